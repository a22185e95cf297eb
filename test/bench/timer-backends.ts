/**
 * Session timers for the broker benchmark: the broker's Scheduler port over either the shared
 * scheduler (RealtimeScheduler: one Node timer for the whole process) or one Node timer per session
 * timer (the baseline: a `setInterval` per session tick, a `setTimeout` per one-shot). The broker
 * sees one `SwitchableScheduler` and never knows which backend runs its timers, so the same
 * sessions with the same callbacks can be measured on both, in turn, in one run.
 *
 * Lateness is measured the same way for both backends, as each callback starts: the clock's now
 * minus the instant the timer was due (for a tick, the session's second boundary it stands for).
 */
import type { Clock, Scheduler, TimerHandle } from '../../src/app/index.ts';

/** Lateness above this is counted in one overflow bucket (a stall that long fails any target anyway). */
const LATENESS_MS_MAX = 60_000;

/** Whole-millisecond lateness histogram (the clock has millisecond resolution). */
export class LatenessHistogram {
  private counts = new Uint32Array(LATENESS_MS_MAX + 1);
  private total = 0;
  private maxMs = 0;

  record(latenessMs: number): void {
    const ms = Math.min(LATENESS_MS_MAX, Math.max(0, latenessMs));
    this.counts[ms] = (this.counts[ms] ?? 0) + 1;
    this.total += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  reset(): void {
    this.counts = new Uint32Array(LATENESS_MS_MAX + 1);
    this.total = 0;
    this.maxMs = 0;
  }

  clone(): LatenessHistogram {
    const copy = new LatenessHistogram();
    copy.counts = this.counts.slice();
    copy.total = this.total;
    copy.maxMs = this.maxMs;
    return copy;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The smallest lateness that `p` % of the samples do not exceed. */
  percentile(p: number): number {
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let ms = 0; ms <= LATENESS_MS_MAX; ms += 1) {
      seen += this.counts[ms] ?? 0;
      if (seen >= rank) return ms;
    }
    return Number.NaN;
  }

  summary(): string {
    return this.total === 0 ? 'no samples'
      : `p50 ${this.percentile(50)} ms, p99 ${this.percentile(99)} ms, p99.9 ${this.percentile(99.9)} ms, max ${this.max} ms over ${this.total.toLocaleString('en-US')} firings`;
  }
}

/**
 * The baseline: one Node timer per session timer. A tick is a `setTimeout` to its first second,
 * then a `setInterval(…, 1000)`; it reports the session's latest second boundary as its due
 * instant, so the broker computes the same amounts as on the shared scheduler, and the interval's
 * drift away from the session's seconds counts as lateness.
 */
export class PerTimerScheduler implements Scheduler {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, setTimeout(() => {
      this.timers.delete(id);
      fn(dueMs);
    }, Math.max(0, dueMs - this.clock.nowMs())));
    return { id };
  }

  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle {
    const id = this.nextId++;
    const tick = (): void => { fn(secondBoundary(firstMs, this.clock.nowMs())); };
    this.timers.set(id, setTimeout(() => {
      this.timers.set(id, setInterval(tick, 1000));
      tick();
    }, Math.max(0, firstMs - this.clock.nowMs())));
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(handle.id);
  }
}

/**
 * Node timers may fire up to a millisecond before the clock's (floored) due instant: a firing this
 * close to the next second boundary stands for it.
 */
const EARLY_TOLERANCE_MS = 2;

/** The session second boundary (phase + k·1000) a tick firing at `nowMs` stands for. */
function secondBoundary(phaseMs: number, nowMs: number): number {
  return phaseMs + Math.floor((nowMs - phaseMs + EARLY_TOLERANCE_MS) / 1000) * 1000;
}

interface Registration {
  readonly periodic: boolean;
  /** One-shot: its due instant; periodic: its first tick (the phase of every later one). */
  readonly dueMs: number;
  readonly fn: (dueMs: number) => void;
  inner: TimerHandle;
}

/** The one-shot timer callback running now (dueMs null otherwise): what it starts can be traced to it. */
export interface Firing {
  dueMs: number | null;
  startedAtMs: number;
}

/**
 * The broker's scheduler: registrations kept here, run by the current backend, movable to another.
 * Records the lateness of one-shots; a tick's lateness is measured where its event is published
 * (the event carries the instant the tick was due).
 */
export class SwitchableScheduler implements Scheduler {
  readonly oneShotLateness = new LatenessHistogram();
  /** The one-shot callback running now; updated in place. */
  readonly firing: Firing = { dueMs: null, startedAtMs: 0 };
  private readonly registrations = new Map<number, Registration>();
  private nextId = 1;

  constructor(private readonly clock: Clock, private backend: Scheduler) {}

  get size(): number {
    return this.registrations.size;
  }

  at(dueMs: number, fn: (dueMs: number) => void): TimerHandle {
    return this.register({ periodic: false, dueMs, fn });
  }

  everySecond(firstMs: number, fn: (dueMs: number) => void): TimerHandle {
    return this.register({ periodic: true, dueMs: firstMs, fn });
  }

  cancel(handle: TimerHandle): void {
    const registration = this.registrations.get(handle.id);
    if (registration === undefined) return;
    this.backend.cancel(registration.inner);
    this.registrations.delete(handle.id);
  }

  /** Moves every live timer to `backend`; ticks keep their phase, one-shots their due instant. */
  use(backend: Scheduler): void {
    const nowMs = this.clock.nowMs();
    for (const [id, registration] of this.registrations) {
      this.backend.cancel(registration.inner);
      registration.inner = this.arm(backend, id, registration, nowMs);
    }
    this.backend = backend;
  }

  private register(spec: Omit<Registration, 'inner'>): TimerHandle {
    const id = this.nextId++;
    const registration: Registration = { ...spec, inner: { id: 0 } };
    this.registrations.set(id, registration);
    registration.inner = this.arm(this.backend, id, registration, this.clock.nowMs());
    return { id };
  }

  private arm(backend: Scheduler, id: number, registration: Registration, nowMs: number): TimerHandle {
    const { fn, dueMs } = registration;
    if (!registration.periodic) {
      return backend.at(dueMs, (due) => {
        this.registrations.delete(id);
        const startedAtMs = this.clock.nowMs();
        this.oneShotLateness.record(startedAtMs - due);
        this.firing.dueMs = due;
        this.firing.startedAtMs = startedAtMs;
        try {
          fn(due);
        } finally {
          this.firing.dueMs = null;
        }
      });
    }
    // Ticks are the hot path (100,000 a second): the broker's own callback goes to the backend, with
    // no wrapper around it, whose extra hop through memory costs as much as a fifth of a tick.
    const nextMs = nowMs < dueMs ? dueMs : dueMs + Math.ceil((nowMs + 1 - dueMs) / 1000) * 1000;
    return backend.everySecond(nextMs, fn);
  }
}
