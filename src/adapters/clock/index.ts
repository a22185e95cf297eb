/** Clocks and the shared scheduler. */
export { ManualClock } from './manual-clock.ts';
export { RealtimeScheduler } from './realtime-scheduler.ts';
export { SystemClock } from './system-clock.ts';
export { type LatenessObserver, TimerQueue } from './timer-queue.ts';
