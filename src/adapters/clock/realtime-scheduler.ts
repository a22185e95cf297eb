/**
 * Drives the shared TimerQueue in real time with a single `setTimeout`, re-armed for the earliest
 * due timer after every run. One Node timer for every session timer of the process.
 */
import type { Clock, Scheduler, TimerHandle } from '../../app/ports/index.ts';
import { type LatenessObserver, TimerQueue } from './timer-queue.ts';

export class RealtimeScheduler implements Scheduler {
  private readonly queue: TimerQueue;
  private armed: NodeJS.Timeout | null = null;
  private armedForMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly clock: Clock, onLateness?: LatenessObserver) {
    this.queue = new TimerQueue(clock.nowMs(), onLateness);
  }

  get size(): number {
    return this.queue.size;
  }

  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle {
    const handle = this.queue.at(dueMs, fn);
    this.armFor(dueMs);
    return handle;
  }

  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle {
    const handle = this.queue.everySecond(firstMs, fn);
    this.armFor(firstMs);
    return handle;
  }

  cancel(handle: TimerHandle): void {
    this.queue.cancel(handle);
  }

  /** Stops firing timers (graceful shutdown); timers stay registered but never run. */
  stop(): void {
    this.stopped = true;
    if (this.armed !== null) clearTimeout(this.armed);
    this.armed = null;
  }

  /**
   * A new timer due at `dueMs` (or later): the Node timer already armed for an earlier instant
   * will do, without asking the queue for its earliest timer (which scans a slot of the wheel:
   * taking over 100,000 sessions spent most of its time there).
   */
  private armFor(dueMs: number): void {
    if (this.armed !== null && dueMs >= this.armedForMs) return;
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.queue.nextDueMs();
    if (next === null) return;
    if (this.armed !== null && next >= this.armedForMs) return;
    if (this.armed !== null) clearTimeout(this.armed);
    this.armedForMs = next;
    this.armed = setTimeout(() => { this.fire(); }, Math.max(0, next - this.clock.nowMs()));
  }

  private fire(): void {
    this.armed = null;
    this.armedForMs = Number.POSITIVE_INFINITY;
    this.queue.runDue(this.clock.nowMs());
    this.arm();
  }
}
