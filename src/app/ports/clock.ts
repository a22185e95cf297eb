/**
 * Time, as a port (STYLE.md rule 6). `nowMs()` is the server-authoritative instant (epoch
 * milliseconds, UTC) used for records and for rating; within a process it never goes backwards
 * and advances at the rate of a monotonic clock, so durations measured with it are immune to
 * wall-clock jumps.
 */
export interface Clock {
  nowMs(): number;
}

export interface TimerHandle {
  readonly id: number;
}

/**
 * One shared scheduler for every session timer (never a timer per session per second).
 * Callbacks receive the instant they were due, not the instant they ran.
 */
export interface Scheduler {
  /** Runs `fn` once at `dueMs` (clock time). */
  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle;
  /** Runs `fn` every second from `firstMs` (within the next second) until cancelled. */
  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}
