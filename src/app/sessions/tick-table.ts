/**
 * What the 1 Hz tick of every running session reads, laid out as a struct of arrays: one row per
 * ticking session, one typed array per figure. A tick reads its row's five numbers and, most
 * seconds, the amount it showed last time — no session object, no billing curve. With 100,000
 * sessions the figures fit in a few megabytes of cache, where reading them from each session's
 * objects (spread over half a gigabyte of heap) cost a cache miss per field and most of the tick.
 *
 * The broker writes a row whenever what it mirrors changes (a transition, a heartbeat, a new
 * stop) and frees it when the session stops ticking; rows are reused.
 */
import type { LiveSession } from './live-session.ts';

const ROWS_INITIAL = 1024;

export class TickTable {
  /** The session's last proof of life (the older side's). */
  proofMs = new Float64Array(ROWS_INITIAL);
  /** Start of the run in progress; NaN while not metering (waiting, or on a free hold). */
  runStartedAtMs = new Float64Array(ROWS_INITIAL);
  /** The planned stop; +∞ when none. */
  stopAtMs = new Float64Array(ROWS_INITIAL);
  /** Metered seconds of the closed intervals. */
  closedSeconds = new Float64Array(ROWS_INITIAL);
  /** The amount last shown holds for metered seconds in [amountFromSecond, amountToSecond] (empty: −1, −2). */
  amountFromSecond = new Float64Array(ROWS_INITIAL);
  amountToSecond = new Float64Array(ROWS_INITIAL);
  /** That amount, in minor units. */
  readonly amountMinor: bigint[] = [];
  /** The session of each row (null when the row is free). */
  readonly lives: (LiveSession | null)[] = [];
  private readonly free: number[] = [];

  /** A row for `live`, filled by `write`. */
  allocate(live: LiveSession): number {
    const row = this.free.pop() ?? this.lives.length;
    if (row >= this.proofMs.length) this.grow();
    this.lives[row] = live;
    this.amountMinor[row] = 0n;
    return row;
  }

  release(row: number): void {
    this.lives[row] = null;
    this.free.push(row);
  }

  /** Mirrors the session's state into its row, and forgets the amount shown (the billing curve may have changed). */
  write(row: number, live: LiveSession, proofMs: number): void {
    const { session } = live;
    this.proofMs[row] = proofMs;
    this.runStartedAtMs[row] = session.meteringStartedAtMs === null || session.runStartedAtMs === null || live.curve === null ? Number.NaN : session.runStartedAtMs;
    this.stopAtMs[row] = live.stopAtMs ?? Number.POSITIVE_INFINITY;
    this.closedSeconds[row] = live.closedSeconds;
    this.amountFromSecond[row] = -1;
    this.amountToSecond[row] = -2;
  }

  /** Only the proof of life changed (a heartbeat). */
  writeProof(row: number, proofMs: number): void {
    this.proofMs[row] = proofMs;
  }

  private grow(): void {
    const capacity = this.proofMs.length * 2;
    const grown = (from: Float64Array): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    this.proofMs = grown(this.proofMs);
    this.runStartedAtMs = grown(this.runStartedAtMs);
    this.stopAtMs = grown(this.stopAtMs);
    this.closedSeconds = grown(this.closedSeconds);
    this.amountFromSecond = grown(this.amountFromSecond);
    this.amountToSecond = grown(this.amountToSecond);
  }
}
