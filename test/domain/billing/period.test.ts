import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { periodBounds, periodOf } from '../../../src/domain/index.ts';

const ms = (iso: string): number => Date.parse(iso);

describe('billing periods: calendar months in the billing carrier\'s time zone', () => {
  it('2026-10-31T23:30Z is November in Paris (UTC+1 after the DST change) but October in UTC and New York', () => {
    assert.equal(periodOf(ms('2026-10-31T23:30:00Z'), 'Europe/Paris'), '2026-11');
    assert.equal(periodOf(ms('2026-10-31T23:30:00Z'), 'UTC'), '2026-10');
    assert.equal(periodOf(ms('2026-10-31T23:30:00Z'), 'America/New_York'), '2026-10');
    assert.equal(periodOf(ms('2026-10-31T22:59:59.999Z'), 'Europe/Paris'), '2026-10');
  });

  it('bounds follow the zone: October 2026 in Paris lasts 745 h (the DST hour comes back), March 743 h', () => {
    const october = periodBounds('2026-10', 'Europe/Paris');
    assert.equal(october.startMs, ms('2026-09-30T22:00:00Z'));
    assert.equal(october.endMs, ms('2026-10-31T23:00:00Z'));
    assert.equal((october.endMs - october.startMs) / 3_600_000, 745);
    const march = periodBounds('2026-03', 'Europe/Paris');
    assert.equal((march.endMs - march.startMs) / 3_600_000, 743, 'March loses the hour of 29 March');
  });

  it('every instant lies in the bounds of its own period, for any zone', () => {
    const zones = ['Europe/Paris', 'Europe/Brussels', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'UTC'];
    fc.assert(fc.property(fc.integer({ min: ms('2020-01-01T00:00:00Z'), max: ms('2035-01-01T00:00:00Z') }), fc.constantFrom(...zones), (instantMs, zone) => {
      const { startMs, endMs } = periodBounds(periodOf(instantMs, zone), zone);
      assert.ok(startMs <= instantMs && instantMs < endMs);
      assert.equal(periodOf(startMs, zone), periodOf(instantMs, zone));
      assert.notEqual(periodOf(endMs, zone), periodOf(instantMs, zone));
    }), { numRuns: 1000 });
  });

  it('the remembered current period never answers for an instant outside it: probes around both bounds after priming, against luxon', () => {
    const zones = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'UTC'];
    const direct = (instantMs: number, zone: string): string => DateTime.fromMillis(instantMs, { zone }).toFormat('yyyy-MM');
    fc.assert(fc.property(fc.integer({ min: ms('2020-01-01T00:00:00Z'), max: ms('2035-01-01T00:00:00Z') }), fc.constantFrom(...zones), (instantMs, zone) => {
      const { startMs, endMs } = periodBounds(direct(instantMs, zone), zone);
      periodOf(instantMs, zone);
      for (const probe of [instantMs, startMs - 1, startMs, instantMs, endMs - 1, endMs, instantMs, endMs + 1]) {
        assert.equal(periodOf(probe, zone), direct(probe, zone), `${new Date(probe).toISOString()} in ${zone}`);
      }
    }), { numRuns: 500 });
  });
});
