/**
 * The 1 Hz ticks of every running session, laid out for 100,000 sessions a second.
 *
 * What a tick reads is a row of numbers: one per ticking session, its figures side by side in
 * one typed array; most seconds a tick reads its row's few numbers and the amount step it is in —
 * no session object, no billing curve (the curve's next steps are laid out in the row a few at a
 * time). Sessions are grouped by the millisecond of the second their ticks fall on (their phase):
 * the scheduler holds one timer per phase in use (at most 1,000), whose firing walks the group's
 * rows in order. Reading the same figures from each session's
 * objects, each tick a timer and a closure of its own, cost a cache miss per object (the sessions
 * are spread over hundreds of megabytes of heap) — most of the tick.
 *
 * The broker writes a row whenever what it mirrors changes (a transition, a heartbeat, a new
 * stop) and removes it when the session stops ticking; rows are reused.
 */
import { lastProofOfLifeMs, type Session } from '../../domain/index.ts';
import type { Scheduler, TickSink, TimerHandle } from '../ports/index.ts';
import type { LiveSession } from './live-session.ts';

const ROWS_INITIAL = 1024;
const PHASES = 1000;
/**
 * Amount steps laid out ahead per row: a refill evaluates the session's billing curve (whose data,
 * read cold, is most of the cost) for this many steps at once. In a per-second tier the amount
 * moves every few seconds.
 */
const STEPS_AHEAD = 8;

/** A phase group: its rows in tick order, its timer while it has any. */
interface Group {
  readonly rows: number[];
  timer: TimerHandle | null;
}

/*
 * A row's figures are FIELDS doubles from row * FIELDS in `figures`: a tick reads a couple of
 * cache lines of its row rather than one line in each of a dozen arrays. Their offsets follow.
 */
/** The session's last proof of life (the older side's). */
const PROOF_MS = 0;
/** Start of the run in progress; NaN while not metering (waiting, or on a free hold). */
const RUN_STARTED_AT_MS = 1;
/** The planned stop; +∞ when none. */
const STOP_AT_MS = 2;
/** Metered seconds of the closed intervals. */
const CLOSED_SECONDS = 3;
/** 1 while the row ticks, 0 once removed (a row removed during its group's walk is skipped). */
const TICKING = 4;
/**
 * The amount steps laid out from the billing curve (STEPS_AHEAD a row): consecutive, the first
 * from STEPS_FROM_SECOND, each holding up to its last second (at STEP_LAST_SECOND + i); how many,
 * and the one in use. Their amounts are in `stepMinor`.
 */
const STEPS_FROM_SECOND = 5;
const STEP_COUNT = 6;
const STEP_CURRENT = 7;
const STEP_LAST_SECOND = 8;
const FIELDS = STEP_LAST_SECOND + STEPS_AHEAD;

export class TickTable {
  private figures = new Float64Array(ROWS_INITIAL * FIELDS);
  /**
   * The laid-out steps' amounts (minor units), STEPS_AHEAD a row: stored as 64-bit integers, not as
   * BigInt objects, which live until the row's next refill — long enough to reach V8's old
   * generation, whose growth at 100,000 sessions set off marking of the whole heap.
   */
  private stepMinor = new BigInt64Array(ROWS_INITIAL * STEPS_AHEAD);
  /** Where each row's ticks go (the feed's sink of its session: no lookup by id a tick). */
  readonly sinks: (TickSink | null)[] = [];
  /** The running session of each row (null when the row is free or being removed). */
  readonly lives: (LiveSession | null)[] = [];
  /** Each row's phase group and its place in it. */
  private phaseOf = new Int16Array(ROWS_INITIAL);
  private positionOf = new Int32Array(ROWS_INITIAL);
  private readonly groups: Group[] = Array.from({ length: PHASES }, () => ({ rows: [], timer: null }));
  private readonly free: number[] = [];
  /** The phase whose rows are being walked (−1 when none): rows removed meanwhile leave it after the walk. */
  private walking = -1;
  private readonly leavingAfterWalk: number[] = [];
  /** `per-session` timers (the benchmark's baseline), by row. */
  private readonly rowTimers: (TimerHandle | null)[] = [];

  constructor(
    private readonly scheduler: Scheduler, private readonly onTick: (row: number, dueMs: number) => void,
    private readonly timers: 'per-phase' | 'per-session' = 'per-phase',
  ) {}

  /**
   * Adds a session that ticks every second on the millisecond of `firstTickMs` (its phase), from
   * that millisecond's next firing — `firstTickMs` when it is the first group of its phase, at most
   * a second away otherwise; returns its row, to `write`. The row owns `sink` and closes it when removed.
   */
  add(live: LiveSession, firstTickMs: number, sink: TickSink): number {
    const row = this.free.pop() ?? this.lives.length;
    if (row >= this.phaseOf.length) this.grow();
    this.lives[row] = live;
    this.sinks[row] = sink;
    this.figures[row * FIELDS + TICKING] = 1;
    if (this.timers === 'per-session') {
      this.rowTimers[row] = this.scheduler.everySecond(firstTickMs, (dueMs) => { this.onTick(row, dueMs); });
      return row;
    }
    const phase = ((Math.floor(firstTickMs) % PHASES) + PHASES) % PHASES;
    const group = this.groups[phase];
    if (group === undefined) throw new RangeError(`no tick group for phase ${phase}`);
    this.phaseOf[row] = phase;
    this.positionOf[row] = group.rows.length;
    group.rows.push(row);
    group.timer ??= this.scheduler.everySecond(firstTickMs, (dueMs) => { this.walk(phase, dueMs); });
    return row;
  }

  /** The session stops ticking (from within a tick too). */
  remove(row: number): void {
    if (this.lives[row] === null) return;
    this.lives[row] = null;
    this.figures[row * FIELDS + TICKING] = 0;
    this.sinks[row]?.close();
    this.sinks[row] = null;
    const timer = this.rowTimers[row];
    if (timer !== undefined && timer !== null) {
      this.scheduler.cancel(timer);
      this.rowTimers[row] = null;
      this.free.push(row);
      return;
    }
    if (this.phaseOf[row] === this.walking) this.leavingAfterWalk.push(row);
    else this.leave(row);
  }

  /** Mirrors the session's state into its row, and forgets the amount shown (the billing curve may have changed). */
  write(row: number, live: LiveSession): void {
    const { session } = live;
    const at = row * FIELDS;
    this.figures[at + PROOF_MS] = lastProofOfLifeMs(session);
    this.figures[at + RUN_STARTED_AT_MS] = session.meteringStartedAtMs === null || session.runStartedAtMs === null || live.curve === null ? Number.NaN : session.runStartedAtMs;
    this.figures[at + STOP_AT_MS] = live.stopAtMs ?? Number.POSITIVE_INFINITY;
    this.figures[at + CLOSED_SECONDS] = live.closedSeconds;
    this.figures[at + STEP_COUNT] = 0;
  }

  /** The row's last proof of life. */
  proofMs(row: number): number {
    return this.figures[row * FIELDS + PROOF_MS] ?? 0;
  }

  /**
   * The metered seconds a tick due at `dueMs` shows: up to the last proof of life and the planned
   * stop, never beyond; NaN while not metering.
   */
  meteredAt(row: number, dueMs: number): number {
    const at = row * FIELDS;
    const { figures } = this;
    const runStartedAtMs = figures[at + RUN_STARTED_AT_MS] ?? Number.NaN;
    const shownAtMs = Math.min(dueMs, Math.max(figures[at + PROOF_MS] ?? 0, runStartedAtMs), figures[at + STOP_AT_MS] ?? Number.POSITIVE_INFINITY);
    return (figures[at + CLOSED_SECONDS] ?? 0) + Math.floor((shownAtMs - runStartedAtMs) / 1000);
  }

  /**
   * The amount (minor units) at `meteredSeconds` of a row that meters: from the step in use, or a
   * later one laid out ahead, else from steps laid out afresh from the billing curve.
   */
  amountAt(row: number, meteredSeconds: number): bigint {
    const at = row * FIELDS;
    const { figures } = this;
    const count = figures[at + STEP_COUNT] ?? 0;
    let current = figures[at + STEP_CURRENT] ?? 0;
    // Steps are consecutive: skip those metered time has passed.
    while (current < count && meteredSeconds > (figures[at + STEP_LAST_SECOND + current] ?? 0)) current += 1;
    if (current >= count || meteredSeconds < (figures[at + STEPS_FROM_SECOND] ?? 0)) {
      const steps = this.lives[row]?.curve?.stepsFrom(meteredSeconds, STEPS_AHEAD) ?? [];
      for (const [index, step] of steps.entries()) {
        figures[at + STEP_LAST_SECOND + index] = step.lastSecond;
        this.stepMinor[row * STEPS_AHEAD + index] = step.billedMinor;
      }
      figures[at + STEPS_FROM_SECOND] = meteredSeconds;
      figures[at + STEP_COUNT] = steps.length;
      current = 0;
      if (steps.length === 0) return 0n;
    }
    figures[at + STEP_CURRENT] = current;
    return this.stepMinor[row * STEPS_AHEAD + current] ?? 0n;
  }

  /** Only the session's proof of life changed (a heartbeat). */
  writeProof(row: number, session: Session): void {
    this.figures[row * FIELDS + PROOF_MS] = lastProofOfLifeMs(session);
  }

  /** Ticks every session of a phase group, in the order they joined; those joining meanwhile tick from the next second. */
  private walk(phase: number, dueMs: number): void {
    const group = this.groups[phase];
    if (group === undefined) return;
    const { rows } = group;
    const end = rows.length;
    this.walking = phase;
    try {
      for (let index = 0; index < end; index += 1) {
        const row = rows[index];
        if (row !== undefined && this.figures[row * FIELDS + TICKING] === 1) this.onTick(row, dueMs);
      }
    } finally {
      this.walking = -1;
      for (const row of this.leavingAfterWalk) this.leave(row);
      this.leavingAfterWalk.length = 0;
    }
  }

  /** Takes the row out of its group (the group's last row takes its place) and frees it. */
  private leave(row: number): void {
    const group = this.groups[this.phaseOf[row] ?? 0];
    if (group === undefined) return;
    const position = this.positionOf[row] ?? 0;
    const last = group.rows.pop();
    if (last !== undefined && last !== row) {
      group.rows[position] = last;
      this.positionOf[last] = position;
    }
    if (group.rows.length === 0 && group.timer !== null) {
      this.scheduler.cancel(group.timer);
      group.timer = null;
    }
    this.free.push(row);
  }

  private grow(): void {
    const capacity = this.phaseOf.length * 2;
    const grown = <T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Int16Array<ArrayBuffer>>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.figures = grown(this.figures, new Float64Array(capacity * FIELDS));
    const stepMinor = new BigInt64Array(capacity * STEPS_AHEAD);
    stepMinor.set(this.stepMinor);
    this.stepMinor = stepMinor;
    this.phaseOf = grown(this.phaseOf, new Int16Array(capacity));
    this.positionOf = grown(this.positionOf, new Int32Array(capacity));
  }
}
