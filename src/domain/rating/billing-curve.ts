/**
 * The billed amount as a function of metered seconds, for a timeline fixed in advance (a session
 * metering from now on): its spans are laid out once, with the cumulative cost at each span's
 * start, so that any point costs a binary search and a few bigint operations — the 1 Hz live
 * amount of thousands of sessions without re-rating. The same closed form as `rate()`, so the two
 * always agree (asserted by the property tests).
 */
import { assert } from '../assert.ts';
import { SESSION_DURATION_S_MAX } from '../limits.ts';
import { minorUnitExponent, roundDiv } from '../money/index.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff, type CompiledTariff } from './compiled-tariff.ts';
import { capUnits, oneOffUnits, spanUnits } from './cost.ts';
import { toIntervals } from './rate.ts';
import { buildSpans, extendIntervals, type MeteredInterval, type Span } from './spans.ts';

export interface BillingCurve {
  /** The billed amount at `meteredSeconds`, as an integer at the tariff's rounding decimals (minor units for cent rounding). */
  billedScaledAt(meteredSeconds: number): bigint;
  /** The same in minor units of the currency (the tariff rounds to at most the minor unit). */
  billedMinorAt(meteredSeconds: number): bigint;
}

/**
 * The curve of a session that has metered `metered` so far and meters on from `continueAtMs`
 * (default: right after the last interval), up to `horizonSeconds`.
 */
export function billingCurve(
  tariff: Tariff, meteringStartMs: number,
  options: { readonly metered?: readonly MeteredInterval[]; readonly continueAtMs?: number; readonly horizonSeconds?: number } = {},
): BillingCurve {
  const compiled = compileTariff(tariff);
  const horizon = options.horizonSeconds ?? SESSION_DURATION_S_MAX;
  const past = options.metered === undefined || options.metered.length === 0
    ? [{ startMs: meteringStartMs, seconds: 0 }] : toIntervals(meteringStartMs, options.metered);
  const spans = buildSpans(compiled, extendIntervals(past, horizon, options.continueAtMs));
  const before: bigint[] = [];
  let cumulative = 0n;
  for (const span of spans) {
    before.push(cumulative);
    cumulative += spanUnits(span);
  }
  const { feeUnits, flatUnits } = oneOffUnits(compiled, spans[0]);
  const evaluate = pointEvaluator(compiled, spans, before, feeUnits + flatUnits);
  // Ticks ask for the same second more than once (between price steps): remember the last answer.
  let lastSeconds = -1;
  let lastScaled = 0n;
  const billedScaledAt = (seconds: number): bigint => {
    const clamped = Math.min(seconds, horizon);
    if (clamped !== lastSeconds) {
      lastScaled = evaluate(clamped);
      lastSeconds = clamped;
    }
    return lastScaled;
  };
  const shift = minorUnitExponent(tariff.currency) - tariff.rounding.decimals;
  const toMinor = 10n ** BigInt(Math.max(0, shift));
  return {
    billedScaledAt,
    billedMinorAt: (seconds) => {
      assert(shift >= 0, 'a session tariff rounds to at most the minor unit');
      return billedScaledAt(seconds) * toMinor;
    },
  };
}

/** Evaluates the curve at a point: binary search for the span, then the closed form of its part. */
function pointEvaluator(compiled: CompiledTariff, spans: readonly Span[], before: readonly bigint[], oneOff: bigint): (seconds: number) => bigint {
  const { freeSeconds, minimumSeconds, rounding } = compiled.tariff;
  const numeratorFactor = compiled.grossNumerator * 10n ** BigInt(rounding.decimals);
  const denominator = compiled.unitsPerMajor * compiled.grossDenominator;
  return (seconds) => {
    if (seconds <= freeSeconds) return 0n;
    const effective = Math.max(seconds, minimumSeconds);
    // The span holding the last billed second (effective − 1).
    let lo = 0;
    let hi = spans.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((spans[mid]?.fromSecond ?? 0) <= effective - 1) lo = mid;
      else hi = mid - 1;
    }
    const span = spans[lo];
    let partial = 0n;
    if (span !== undefined && span.kind === 'charged' && span.tier !== null) {
      const increment = span.tier.incrementSeconds;
      const seconds = Math.min(effective, span.toSecond) - span.fromSecond;
      partial = span.tier.secondUnits * BigInt(Math.ceil(seconds / increment) * increment);
    }
    const units = capUnits(compiled, oneOff + (before[lo] ?? 0n) + partial);
    return roundDiv(units * numeratorFactor, denominator, rounding.mode);
  };
}
