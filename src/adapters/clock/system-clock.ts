/**
 * The production clock: anchored to the wall clock once at start, then advanced by the monotonic
 * `performance.now()`, so it never jumps backwards when NTP corrects the wall clock and durations
 * measured with it are true. Restarting the process re-anchors it.
 */
import type { Clock } from '../../app/ports/index.ts';

export class SystemClock implements Clock {
  private readonly anchorWallMs = Date.now();
  private readonly anchorMonotonicMs = performance.now();

  nowMs(): number {
    return this.anchorWallMs + Math.floor(performance.now() - this.anchorMonotonicMs);
  }
}
