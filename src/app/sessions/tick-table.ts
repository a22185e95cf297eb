/**
 * The 1 Hz ticks of every running session, laid out for 100,000 sessions a second.
 *
 * What a tick reads is a struct of arrays: one row per ticking session, one typed array per
 * figure; most seconds a tick reads its row's few numbers and the amount step it is in — no
 * session object, no billing curve (the curve's next steps are laid out in the row a few at a
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
import type { Scheduler, TimerHandle } from '../ports/index.ts';
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

export class TickTable {
  /** The session's last proof of life (the older side's). */
  proofMs = new Float64Array(ROWS_INITIAL);
  /** Start of the run in progress; NaN while not metering (waiting, or on a free hold). */
  runStartedAtMs = new Float64Array(ROWS_INITIAL);
  /** The planned stop; +∞ when none. */
  stopAtMs = new Float64Array(ROWS_INITIAL);
  /** Metered seconds of the closed intervals. */
  closedSeconds = new Float64Array(ROWS_INITIAL);
  /**
   * The amount steps laid out from the billing curve (STEPS_AHEAD a row): consecutive, the first
   * from `stepsFromSecond`, each holding up to its last second; how many, and the one in use.
   */
  private stepsFromSecond = new Float64Array(ROWS_INITIAL);
  private stepLastSecond = new Float64Array(ROWS_INITIAL * STEPS_AHEAD);
  private readonly stepMinor: bigint[] = [];
  private stepCount = new Int32Array(ROWS_INITIAL);
  private stepCurrent = new Int32Array(ROWS_INITIAL);
  /** The session as last committed, what its tick event carries (kept here, not read through `lives`: one object fewer a tick). */
  readonly sessions: (Session | null)[] = [];
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
   * a second away otherwise; returns its row, to `write`.
   */
  add(live: LiveSession, firstTickMs: number): number {
    const row = this.free.pop() ?? this.lives.length;
    if (row >= this.proofMs.length) this.grow();
    this.lives[row] = live;
    this.sessions[row] = live.session;
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
    this.sessions[row] = null;
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
    this.sessions[row] = session;
    this.proofMs[row] = lastProofOfLifeMs(session);
    this.runStartedAtMs[row] = session.meteringStartedAtMs === null || session.runStartedAtMs === null || live.curve === null ? Number.NaN : session.runStartedAtMs;
    this.stopAtMs[row] = live.stopAtMs ?? Number.POSITIVE_INFINITY;
    this.closedSeconds[row] = live.closedSeconds;
    this.stepCount[row] = 0;
  }

  /**
   * The amount (minor units) at `meteredSeconds` of a row that meters: from the step in use, or a
   * later one laid out ahead, else from steps laid out afresh from the billing curve.
   */
  amountAt(row: number, meteredSeconds: number): bigint {
    const base = row * STEPS_AHEAD;
    const count = this.stepCount[row] ?? 0;
    let current = this.stepCurrent[row] ?? 0;
    // Steps are consecutive: skip those metered time has passed.
    while (current < count && meteredSeconds > (this.stepLastSecond[base + current] ?? 0)) current += 1;
    if (current >= count || meteredSeconds < (this.stepsFromSecond[row] ?? 0)) {
      const steps = this.lives[row]?.curve?.stepsFrom(meteredSeconds, STEPS_AHEAD) ?? [];
      for (const [index, step] of steps.entries()) {
        this.stepLastSecond[base + index] = step.lastSecond;
        this.stepMinor[base + index] = step.billedMinor;
      }
      this.stepsFromSecond[row] = meteredSeconds;
      this.stepCount[row] = steps.length;
      current = 0;
      if (steps.length === 0) return 0n;
    }
    this.stepCurrent[row] = current;
    return this.stepMinor[base + current] ?? 0n;
  }

  /** Only the session's proof of life changed (a heartbeat). */
  writeProof(row: number, session: Session): void {
    this.sessions[row] = session;
    this.proofMs[row] = lastProofOfLifeMs(session);
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
        if (row !== undefined && this.lives[row] !== null) this.onTick(row, dueMs);
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
    const capacity = this.proofMs.length * 2;
    const grown = <T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Int16Array<ArrayBuffer>>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.proofMs = grown(this.proofMs, new Float64Array(capacity));
    this.runStartedAtMs = grown(this.runStartedAtMs, new Float64Array(capacity));
    this.stopAtMs = grown(this.stopAtMs, new Float64Array(capacity));
    this.closedSeconds = grown(this.closedSeconds, new Float64Array(capacity));
    this.stepsFromSecond = grown(this.stepsFromSecond, new Float64Array(capacity));
    this.stepLastSecond = grown(this.stepLastSecond, new Float64Array(capacity * STEPS_AHEAD));
    this.stepCount = grown(this.stepCount, new Int32Array(capacity));
    this.stepCurrent = grown(this.stepCurrent, new Int32Array(capacity));
    this.phaseOf = grown(this.phaseOf, new Int16Array(capacity));
    this.positionOf = grown(this.positionOf, new Int32Array(capacity));
  }
}
