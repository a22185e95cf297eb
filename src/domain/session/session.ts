/**
 * The session state machine (DESIGN.md §1): queued → active ⇄ on_hold → ended → rated.
 * Pure: every transition takes the instant it happens at and returns the next state or a
 * refusal with a stable code; the broker persists states and appends the events.
 *
 * Metered time is kept as closed intervals plus the run in progress. A run closes on a whole
 * number of seconds, rounded down: a partial second is never billed.
 */
import { assert } from '../assert.ts';
import type { Currency } from '../money/index.ts';
import type { Medium } from '../parties/index.ts';
import type { MeteredInterval } from '../rating/index.ts';
import { err, ok, type Result } from '../result.ts';

export const SESSION_STATUSES = ['queued', 'active', 'on_hold', 'ended', 'rated'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Why a session ended. */
export const END_REASONS = [
  'user', 'advisor', 'operator', 'cap_reached', 'max_cost', 'duration_max', 'budget_exhausted', 'liveness_lost', 'consent_withdrawn', 'quote_expired',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface Session {
  readonly id: string;
  readonly offerId: string;
  readonly merchantId: string;
  readonly subscriberId: string;
  readonly quoteId: string;
  readonly tariffHash: string;
  readonly currency: Currency;
  /** The cap the user consented to, in minor units. */
  readonly capMinor: bigint;
  /** What the connect actually reserved on the monthly budget (≤ cap), or null before connect. */
  readonly reservedMinor: bigint | null;
  readonly holdBilled: boolean;
  readonly status: SessionStatus;
  readonly medium: Medium;
  readonly createdAtMs: number;
  readonly meteringStartedAtMs: number | null;
  /** Closed runs of metered seconds. */
  readonly intervals: readonly MeteredInterval[];
  /** Start of the run being metered now, or null when not metering (queued, free hold, ended). */
  readonly runStartedAtMs: number | null;
  readonly lastUserSeenAtMs: number;
  readonly lastAdvisorSeenAtMs: number | null;
  readonly endedAtMs: number | null;
  readonly endReason: EndReason | null;
  readonly chargeId: string | null;
  /** Optimistic-concurrency version, bumped by every stored change. */
  readonly version: number;
}

/**
 * Refusals of a transition, in precedence order (the first that applies is reported):
 * `session_closed` (already ended or rated) › `session_not_queued` › `session_not_active` ›
 * `session_not_on_hold`.
 */
export type TransitionError = 'session_closed' | 'session_not_queued' | 'session_not_active' | 'session_not_on_hold';

export type SessionEventType = 'consented' | 'connected' | 'held' | 'resumed' | 'media_changed' | 'ended' | 'rated';

export interface SessionEvent {
  readonly type: SessionEventType;
  readonly atMs: number;
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
}

export interface Transition {
  readonly session: Session;
  readonly event: SessionEvent;
}

function isClosed(session: Session): boolean {
  return session.status === 'ended' || session.status === 'rated';
}

/** Metered seconds in the closed intervals. */
export function closedSeconds(session: Session): number {
  return session.intervals.reduce((sum, interval) => sum + interval.seconds, 0);
}

/** Closes the run in progress at `atMs` (whole seconds, rounded down). */
function closeRun(session: Session, atMs: number): Session {
  if (session.runStartedAtMs === null) return session;
  const seconds = Math.max(0, Math.floor((atMs - session.runStartedAtMs) / 1000));
  const intervals = seconds > 0 ? [...session.intervals, { startMs: session.runStartedAtMs, seconds }] : session.intervals;
  return { ...session, intervals, runStartedAtMs: null };
}

/** The metered intervals as of `atMs`, the run in progress included up to then. */
export function meteredIntervalsAt(session: Session, atMs: number): readonly MeteredInterval[] {
  return closeRun(session, atMs).intervals;
}

/** Metered seconds as of `atMs`. */
export function meteredSecondsAt(session: Session, atMs: number): number {
  return meteredIntervalsAt(session, atMs).reduce((sum, interval) => sum + interval.seconds, 0);
}

/** The advisor takes the request: metering starts now (waiting was free). */
export function connect(session: Session, atMs: number, reservedMinor: bigint): Result<Transition, TransitionError> {
  if (isClosed(session)) return err('session_closed');
  if (session.status !== 'queued') return err('session_not_queued');
  assert(reservedMinor > 0n && reservedMinor <= session.capMinor, 'connect reserves a positive amount up to the cap');
  const next: Session = {
    ...session, status: 'active', meteringStartedAtMs: atMs, runStartedAtMs: atMs, reservedMinor, lastAdvisorSeenAtMs: atMs,
  };
  return ok({ session: next, event: { type: 'connected', atMs, data: { reservedMinor: reservedMinor.toString() } } });
}

/** The advisor puts the user on hold: metering pauses unless the offer bills hold time. */
export function hold(session: Session, atMs: number): Result<Transition, TransitionError> {
  if (isClosed(session)) return err('session_closed');
  if (session.status !== 'active') return err('session_not_active');
  const paused = session.holdBilled ? session : closeRun(session, atMs);
  return ok({ session: { ...paused, status: 'on_hold' }, event: { type: 'held', atMs, data: { billed: session.holdBilled } } });
}

/** Back from hold: metering runs again. */
export function resume(session: Session, atMs: number): Result<Transition, TransitionError> {
  if (isClosed(session)) return err('session_closed');
  if (session.status !== 'on_hold') return err('session_not_on_hold');
  const running = session.runStartedAtMs === null ? { ...session, runStartedAtMs: atMs } : session;
  return ok({ session: { ...running, status: 'active' }, event: { type: 'resumed', atMs, data: {} } });
}

/** Voice → video, co-browsing on or off: recorded, never priced differently. */
export function changeMedium(session: Session, medium: Session['medium'], atMs: number): Result<Transition, TransitionError> {
  if (isClosed(session)) return err('session_closed');
  return ok({ session: { ...session, medium }, event: { type: 'media_changed', atMs, data: { from: session.medium, to: medium } } });
}

/** Proof of life from one side. Never moves backwards. */
export function seen(session: Session, side: 'user' | 'advisor', atMs: number): Session {
  if (side === 'user') return atMs > session.lastUserSeenAtMs ? { ...session, lastUserSeenAtMs: atMs } : session;
  return session.lastAdvisorSeenAtMs === null || atMs > session.lastAdvisorSeenAtMs ? { ...session, lastAdvisorSeenAtMs: atMs } : session;
}

/** Keeps only the metered seconds that started before `atMs`. */
function truncateAt(intervals: readonly MeteredInterval[], atMs: number): MeteredInterval[] {
  const out: MeteredInterval[] = [];
  for (const interval of intervals) {
    const seconds = Math.min(interval.seconds, Math.max(0, Math.floor((atMs - interval.startMs) / 1000)));
    if (seconds > 0) out.push({ startMs: interval.startMs, seconds });
  }
  return out;
}

/**
 * Ends the session at `atMs`, which may be earlier than now (the cap instant, the last proof of
 * life): every metered second from then on is dropped, so nothing after it is billed.
 */
export function end(session: Session, reason: EndReason, atMs: number): Result<Transition, TransitionError> {
  if (isClosed(session)) return err('session_closed');
  const closed = closeRun(session, atMs);
  const next: Session = { ...closed, intervals: truncateAt(closed.intervals, atMs), status: 'ended', endedAtMs: atMs, endReason: reason };
  return ok({ session: next, event: { type: 'ended', atMs, data: { reason, meteredSeconds: closedSeconds(next) } } });
}

/** Rated: the charge (or none, for a session that cost nothing) is written. */
export function markRated(session: Session, chargeId: string | null, atMs: number): Transition {
  assert(session.status === 'ended', 'only an ended session is rated');
  return { session: { ...session, status: 'rated', chargeId }, event: { type: 'rated', atMs, data: { chargeId } } };
}

/**
 * When liveness is lost: the older of the two sides' last proofs of life (the advisor side only
 * once connected). The session is billed up to it, never up to the moment it was noticed.
 */
export function lastProofOfLifeMs(session: Session): number {
  return session.lastAdvisorSeenAtMs === null ? session.lastUserSeenAtMs : Math.min(session.lastUserSeenAtMs, session.lastAdvisorSeenAtMs);
}
