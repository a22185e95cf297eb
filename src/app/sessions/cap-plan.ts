/**
 * Where a metering session must stop and warn: the exact instant its billed amount would pass
 * the cap (the inverse of rating), the instant it reaches 80 % of the cap, and one minute before
 * the stop. Pure given the session, its tariff and the reserved amount.
 *
 * The tariff's maxCost (its billed amount, {@link maxCostBilled}) takes part by its strategy:
 * - `disconnect`: the session stops at the last second billed at most maxCost. When maxCost is
 *   not above the reservation, maxCost is what stops the session, and the end reason is
 *   `max_cost` (a tie counts as maxCost: the user consented to the tariff's whole maximum);
 *   otherwise the reservation stops it first (`cap_reached`).
 * - `free`: the amount stops growing at maxCost (rate() caps it) and the session runs on. With a
 *   reservation of at least maxCost the cap never stops it (maxAffordableSeconds finds no stop);
 *   with less, the reservation stops it as any cap does.
 *
 * A session the cap does not stop within a day of metering (SESSION_DURATION_S_MAX) stops there,
 * `duration_max`, without warnings (they are about the cap).
 */
import {
  closedSeconds, maxAffordableSeconds, maxCostBilled, type MeteredInterval, Money, rate, Rate, type Session, type Tariff,
} from '../../domain/index.ts';
import { limits } from '../../domain/index.ts';
import { CAP_WARNING_BEFORE_STOP_MS, CAP_WARNING_FRACTION } from '../limits.ts';

export interface CapPlan {
  /** Wall instant of the stop, or null when nothing is metering now. */
  readonly stopAtMs: number | null;
  readonly stopReason: 'cap_reached' | 'max_cost' | 'duration_max';
  /** The cap actually enforced (reserved amount, or a `disconnect` maxCost not above it), minor units. */
  readonly effectiveCapMinor: bigint;
  readonly warnings: readonly { readonly atMs: number; readonly kind: 'cap_warning_80' | 'cap_warning_1min' }[];
}

/** The stop plan of a session that is metering now (a run in progress). */
export function capPlan(session: Session, tariff: Tariff): CapPlan {
  const reserved = session.reservedMinor ?? session.capMinor;
  const maxCost = tariff.maxCost?.strategy === 'disconnect' ? (maxCostBilled(tariff)?.roundToMinorUnit('down').toMinorUnits() ?? null) : null;
  const byMaxCost = maxCost !== null && maxCost <= reserved;
  const effectiveCapMinor = byMaxCost ? maxCost : reserved;
  const runStart = session.runStartedAtMs;
  if (runStart === null || session.meteringStartedAtMs === null) return { stopAtMs: null, stopReason: 'cap_reached', effectiveCapMinor, warnings: [] };
  const options = { metered: session.intervals, continueAtMs: runStart };
  const atSecond = (seconds: number): number => runStart + (seconds - closedSeconds(session)) * 1000;
  const cap = Money.fromMinorUnits(effectiveCapMinor, tariff.currency);
  const affordable = maxAffordableSeconds(tariff, session.meteringStartedAtMs, cap, options);
  // No session meters longer than a day: when the cap is not reached by then (a `free` maxCost the
  // reservation covers, or a cap a day cannot spend), the day is the stop. The live curve and the
  // cap inverse look no further either, so what is shown stays what is billed.
  if (affordable.limitedBy !== 'cap') {
    return { stopAtMs: atSecond(limits.SESSION_DURATION_S_MAX), stopReason: 'duration_max', effectiveCapMinor, warnings: [] };
  }
  const stopAtMs = atSecond(affordable.seconds);
  const stopReason = byMaxCost ? 'max_cost' : 'cap_reached';
  const warnings: CapPlan['warnings'][number][] = [];
  // The first second whose billed amount reaches `minor`, or null if it never does.
  const reaching = (minor: bigint): number | null => {
    if (minor <= 0n) return null;
    const below = maxAffordableSeconds(tariff, session.meteringStartedAtMs ?? runStart, Money.fromMinorUnits(minor - 1n, tariff.currency), options);
    return below.limitedBy === 'cap' ? below.seconds + 1 : null;
  };
  // 80 % of the cap — or, with coarse steps that jump past 80 %, the last step before the stop.
  const at80 = reaching(cap.times(Rate.of(CAP_WARNING_FRACTION)).roundToMinorUnit('up').toMinorUnits());
  const lastStep = reaching(rate(tariff, session.meteringStartedAtMs, affordableTimeline(session, runStart, affordable.seconds)).billed.toMinorUnits());
  const warnAt = at80 === null ? lastStep : lastStep === null ? at80 : Math.min(at80, lastStep);
  if (warnAt !== null) warnings.push({ atMs: atSecond(warnAt), kind: 'cap_warning_80' });
  warnings.push({ atMs: stopAtMs - CAP_WARNING_BEFORE_STOP_MS, kind: 'cap_warning_1min' });
  return { stopAtMs, stopReason, effectiveCapMinor, warnings };
}

/** The session's closed intervals plus the run in progress, extended to `totalSeconds` of metering. */
function affordableTimeline(session: Session, runStart: number, totalSeconds: number): MeteredInterval[] {
  const run = totalSeconds - closedSeconds(session);
  return run > 0 ? [...session.intervals, { startMs: runStart, seconds: run }] : [...session.intervals];
}
