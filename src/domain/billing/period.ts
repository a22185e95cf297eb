/** Billing periods: calendar months in a carrier's IANA time zone. */
import { DateTime } from 'luxon';
import { assert } from '../assert.ts';

/**
 * The last period answered per time zone, with its bounds: an instant within them is in it, so
 * the common case (now, in the current month) skips luxon's time-zone arithmetic (~10 µs).
 */
const lastPeriods = new Map<string, { readonly period: string; readonly startMs: number; readonly endMs: number }>();

/** "YYYY-MM" of the instant in `timeZone`: 2026-10-31T23:30:00Z is "2026-11" in Europe/Paris. */
export function periodOf(instantMs: number, timeZone: string): string {
  const last = lastPeriods.get(timeZone);
  if (last !== undefined && instantMs >= last.startMs && instantMs < last.endMs) return last.period;
  const local = DateTime.fromMillis(instantMs, { zone: timeZone });
  assert(local.isValid, `valid instant and zone ${timeZone}`);
  const period = local.toFormat('yyyy-MM');
  // Only valid zones get here (the assertion above), so the map holds at most one entry per IANA zone.
  lastPeriods.set(timeZone, { period, ...periodBounds(period, timeZone) });
  return period;
}

/** The UTC bounds [startMs, endMs) of a period in `timeZone`. */
export function periodBounds(period: string, timeZone: string): { startMs: number; endMs: number } {
  const start = DateTime.fromFormat(period, 'yyyy-MM', { zone: timeZone });
  assert(start.isValid, `period ${period} is YYYY-MM`);
  return { startMs: start.toMillis(), endMs: start.plus({ months: 1 }).toMillis() };
}
