/**
 * A clock and scheduler for tests: time moves only when told to. `advanceBy`/`advanceTo` step
 * through every due timer in time order, setting the clock to each due instant before firing it,
 * so a test can travel hours across a DST change and see every cap stop and tick happen exactly.
 */
import type { Clock, Scheduler, TimerHandle } from '../../app/ports/index.ts';
import { TimerQueue } from './timer-queue.ts';

export class ManualClock implements Clock, Scheduler {
  private currentMs: number;
  private readonly queue: TimerQueue;
  /** Work started by timers (async broker actions) that a test may await. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(startMs: number) {
    this.currentMs = startMs;
    this.queue = new TimerQueue(startMs);
  }

  nowMs(): number {
    return this.currentMs;
  }

  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle {
    return this.queue.at(dueMs, fn);
  }

  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle {
    return this.queue.everySecond(firstMs, fn);
  }

  cancel(handle: TimerHandle): void {
    this.queue.cancel(handle);
  }

  /** Lets a timer callback register async work, so that `advance*` can wait for it. */
  track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Moves time to `targetMs`, firing due timers in order and awaiting the work they start. */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.queue.nextDueMs();
      if (next === null || next > targetMs) break;
      this.currentMs = Math.max(this.currentMs, next);
      this.queue.runDue(this.currentMs);
    }
    this.currentMs = Math.max(this.currentMs, targetMs);
    this.queue.runDue(this.currentMs);
    await this.settle();
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.currentMs + ms);
  }

  private async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
