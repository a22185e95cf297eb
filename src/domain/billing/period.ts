/** Billing periods: calendar months in a carrier's IANA time zone. */
import { DateTime } from 'luxon';
import { assert } from '../assert.ts';

/** "YYYY-MM" of the instant in `timeZone`: 2026-10-31T23:30:00Z is "2026-11" in Europe/Paris. */
export function periodOf(instantMs: number, timeZone: string): string {
  const local = DateTime.fromMillis(instantMs, { zone: timeZone });
  assert(local.isValid, `valid instant and zone ${timeZone}`);
  return local.toFormat('yyyy-MM');
}

/** The UTC bounds [startMs, endMs) of a period in `timeZone`. */
export function periodBounds(period: string, timeZone: string): { startMs: number; endMs: number } {
  const start = DateTime.fromFormat(period, 'yyyy-MM', { zone: timeZone });
  assert(start.isValid, `period ${period} is YYYY-MM`);
  return { startMs: start.toMillis(), endMs: start.plus({ months: 1 }).toMillis() };
}
