import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { billingCurve, maxAffordableSeconds, Money, nextChange, parseTariff, priceChange, rate, toDec } from '../../../src/domain/index.ts';
import { SESSION_DURATION_S_MAX } from '../../../src/domain/limits.ts';
import { intervalsFrom, meteringStartMs, tariff } from '../../support/arbitraries.ts';
import { naiveRate } from '../../support/naive-rating.ts';

const RUNS = 1000;

describe('rating: properties (fast-check)', () => {
  it('an amount exactly on the rounding grid (mode up): the closed form and the naive reference both bill 40.1956 (seed -1576833238 of CI)', () => {
    // 499 s at 2.00/30 s and 636 s at 1.30/3600 s, VAT 20 %: exactly 40.1956 TTC. The naive
    // reference's sum of repeating decimals landed 1e-78 above it and rounded up to 40.1957.
    const parsed = parseTariff({
      currency: 'EUR', vatRate: '0.20', pricesIncludeVat: false, connectionFee: '0', freeSeconds: 0, minimumSeconds: 0,
      tiers: [{ fromSecond: 0, price: '0.00', perSeconds: 1, incrementSeconds: 1 }],
      bands: [{
        name: 'nuit', timeZone: 'Europe/Paris', days: [4], from: '00:00', to: '01:30', priority: 0, connectionFee: '0.00',
        tiers: [
          { fromSecond: 0, price: '0.00', perSeconds: 1, incrementSeconds: 1 }, { fromSecond: 483, price: '2.00', perSeconds: 30, incrementSeconds: 1 },
          { fromSecond: 982, price: '0.00', perSeconds: 1, incrementSeconds: 1 }, { fromSecond: 983, price: '1.30', perSeconds: 3600, incrementSeconds: 1 },
        ],
      }],
      flatPrice: null, maxCost: null, rounding: { mode: 'up', decimals: 4 }, holdBilled: false, profile: 'minitel-kiosque',
    });
    assert.ok(parsed.ok);
    // Thursday 2026-01-01, 01:00 in Paris: the whole session in the night band.
    const intervals = [{ startMs: Date.parse('2026-01-01T00:00:00Z'), seconds: 1619 }];
    assert.equal(rate(parsed.value, intervals[0]?.startMs ?? 0, intervals).billed.toString(), '40.1956');
    assert.equal(naiveRate(parsed.value, intervals).billed, '40.1956');
  });

  it('the closed form equals the naive per-second reference, holds and DST included', () => {
    fc.assert(fc.property(tariff, meteringStartMs.chain((start) => fc.tuple(fc.constant(start), intervalsFrom(start, 2400))), (t, [, intervals]) => {
      const closed = rate(t, intervals[0]?.startMs ?? 0, intervals);
      const naive = naiveRate(t, intervals);
      assert.ok(toDec(closed.billed.toString()).equals(toDec(naive.billed)), `billed ${closed.billed.toString()} ≠ naive ${naive.billed}`);
      assert.equal(closed.billedSeconds, naive.billedSeconds);
      assert.ok(naive.preciseTtc.minus(closed.precise.toString()).abs().lessThan('1e-40'), 'precise amounts agree');
    }), { numRuns: RUNS });
  });

  it('the billed amount never decreases as metered time grows', () => {
    fc.assert(fc.property(tariff, meteringStartMs, fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 3_000 }), (t, start, a, extra) => {
      const shorter = rate(t, start, a).billed;
      const longer = rate(t, start, a + extra).billed;
      assert.ok(shorter.lessThanOrEqual(longer), `${shorter.toString()} > ${longer.toString()}`);
    }), { numRuns: RUNS });
  });

  it('rate(maxAffordable(cap)) ≤ cap < rate(maxAffordable(cap) + 1), unless free from there on', () => {
    const cap = fc.integer({ min: 0, max: 6000 }).map((cents) => Money.fromMinorUnits(BigInt(cents), 'EUR'));
    fc.assert(fc.property(tariff, meteringStartMs, cap, (t, start, c) => {
      const affordable = maxAffordableSeconds(t, start, c);
      assert.ok(rate(t, start, affordable.seconds).billed.lessThanOrEqual(c), 'affordable duration fits under the cap');
      if (affordable.limitedBy === 'cap') {
        assert.ok(rate(t, start, affordable.seconds + 1).billed.greaterThan(c), 'one second more goes over the cap');
      } else {
        assert.ok(rate(t, start, 86_400).billed.lessThanOrEqual(c), 'horizon: a whole day fits under the cap');
      }
    }), { numRuns: RUNS });
  });

  it('nextChange: the amount is constant until the announced step, and the step is the rated amount there', () => {
    fc.assert(fc.property(tariff, meteringStartMs, fc.integer({ min: 0, max: 4000 }), (t, start, elapsed) => {
      const change = nextChange(t, start, elapsed);
      assert.ok(change.billed.equals(rate(t, start, elapsed).billed));
      if (change.step === null) return;
      assert.ok(change.step.atSecond > elapsed);
      assert.ok(rate(t, start, change.step.atSecond - 1).billed.equals(change.billed), 'no change before the step');
      assert.ok(change.step.billed.equals(rate(t, start, change.step.atSecond).billed));
      assert.ok(change.step.billed.greaterThan(change.billed));
    }), { numRuns: RUNS });
  });

  it('priceChange: the price now and the next one, as nextChange tells them, without the amounts; the next one starts later', () => {
    fc.assert(fc.property(tariff, meteringStartMs, fc.integer({ min: 0, max: 4000 }), (t, start, elapsed) => {
      const { current, next } = nextChange(t, start, elapsed);
      assert.deepEqual(priceChange(t, start, elapsed), { current, next });
      if (next !== null) assert.ok(next.fromSecond > elapsed, 'the next price starts after the elapsed time');
    }), { numRuns: RUNS });
  });

  it('VAT: net + VAT = billed, for every tariff', () => {
    fc.assert(fc.property(tariff, meteringStartMs, fc.integer({ min: 0, max: 7200 }), (t, start, seconds) => {
      const { vat, billed } = rate(t, start, seconds);
      assert.ok(vat.net.plus(vat.vat).equals(billed));
      assert.ok(!vat.vat.isNegative() && !vat.net.isNegative());
    }), { numRuns: RUNS });
  });
});

describe('rating: the billing curve of a running session', () => {
  it('billedScaledAt(d) equals rate() of the same timeline at d, holds and DST included', () => {
    fc.assert(fc.property(tariff, meteringStartMs.chain((start) => fc.tuple(intervalsFrom(start, 1200), fc.integer({ min: 0, max: 1800 }), fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 8 }))),
      (t, [intervals, gapS, points]) => {
        const start = intervals[0]?.startMs ?? 0;
        const last = intervals[intervals.length - 1];
        const continueAtMs = (last === undefined ? start : last.startMs + last.seconds * 1000) + gapS * 1000;
        const curve = billingCurve(t, start, { metered: intervals, continueAtMs });
        const closed = intervals.reduce((sum, i) => sum + i.seconds, 0);
        for (const point of points) {
          const seconds = closed + point;
          const timeline = point === 0 ? intervals : [...intervals, { startMs: continueAtMs, seconds: point }];
          const expected = rate(t, start, timeline).billed;
          assert.equal(curve.billedScaledAt(seconds), BigInt(expected.decimal().times(10 ** t.rounding.decimals).toFixed(0)), `at ${seconds} s`);
        }
      }), { numRuns: RUNS });
  });

  it('stepsFrom(d): consecutive steps, each amount holding, as rate() says, from its first second to its last (within the horizon)', () => {
    fc.assert(fc.property(tariff, meteringStartMs, fc.integer({ min: 0, max: 2400 }), fc.integer({ min: 0, max: 300 }), (t, start, from, probe) => {
      fc.pre(t.rounding.decimals <= 2); // a session's tariff rounds to at most the cent (minor units)
      const curve = billingCurve(t, start);
      let first = from;
      for (const step of curve.stepsFrom(from, 4)) {
        assert.ok(step.lastSecond >= first, `a step from ${first} s ends at ${step.lastSecond} s`);
        // The curve answers up to its horizon, the longest a session meters (it is stopped there).
        if (first > SESSION_DURATION_S_MAX) break;
        // Its first second, one inside it (the probe folded into it) and its last bill the same as rate() says.
        const span = Math.min(step.lastSecond, first + 3600, SESSION_DURATION_S_MAX) - first;
        for (const seconds of [first, first + (probe % (span + 1)), first + span]) {
          assert.equal(rate(t, start, seconds).billed.toMinorUnits(), step.billedMinor, `at ${seconds} s, within the step from ${first} s to ${step.lastSecond} s`);
        }
        first = step.lastSecond + 1;
      }
    }), { numRuns: RUNS });
  });
});
