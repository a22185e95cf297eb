/**
 * The billed amount as a function of metered seconds, for a timeline fixed in advance (a session
 * metering from now on): its spans are laid out once, with the cumulative cost at each span's
 * start, so that any point costs a binary search and a few bigint operations, and says how long
 * its amount holds — the 1 Hz live amount of thousands of sessions without re-rating. The same closed form as `rate()`, so the two
 * always agree (asserted by the property tests).
 */
import { assert } from '../assert.ts';
import { SESSION_DURATION_S_MAX } from '../limits.ts';
import { minorUnitExponent, roundDiv, roundDivThreshold } from '../money/index.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff, type CompiledTariff } from './compiled-tariff.ts';
import { capUnits, oneOffUnits, spanUnits } from './cost.ts';
import { toIntervals } from './rate.ts';
import { buildSpans, extendIntervals, type MeteredInterval, type Span } from './spans.ts';

export interface BillingCurve {
  /** The billed amount at `meteredSeconds`, as an integer at the tariff's rounding decimals (minor units for cent rounding). */
  billedScaledAt(meteredSeconds: number): bigint;
  /**
   * The amount in minor units from `meteredSeconds` on, as up to `count` consecutive steps: each
   * holds up to its last second (where the rounded amount next moves, or a span ends), the next
   * starting one second later. A caller showing the amount every second asks again only when
   * metered time has passed them all. The curve answers up to its horizon (by default
   * SESSION_DURATION_S_MAX, where a session is stopped); past it, the amount reached at the
   * horizon is given as holding for ever (lastSecond Infinity), whatever rate() would bill there.
   */
  stepsFrom(meteredSeconds: number, count: number): readonly AmountStep[];
}

/** An amount (minor units) and the last metered second it holds for. */
export interface AmountStep {
  readonly billedMinor: bigint;
  readonly lastSecond: number;
}

interface Point {
  readonly scaled: bigint;
  readonly lastSecond: number;
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
  const pointAt = (seconds: number): Point => {
    if (seconds >= horizon) return { scaled: evaluate(horizon).scaled, lastSecond: Number.POSITIVE_INFINITY };
    return evaluate(seconds);
  };
  const shift = minorUnitExponent(tariff.currency) - tariff.rounding.decimals;
  const toMinor = 10n ** BigInt(Math.max(0, shift));
  const toMinorUnits = (scaled: bigint): bigint => {
    assert(shift >= 0, 'a session tariff rounds to at most the minor unit');
    return scaled * toMinor;
  };
  return {
    billedScaledAt: (seconds) => pointAt(seconds).scaled,
    stepsFrom: (seconds, count) => {
      const steps: AmountStep[] = [];
      let from = seconds;
      while (steps.length < count) {
        const point = pointAt(from);
        steps.push({ billedMinor: toMinorUnits(point.scaled), lastSecond: point.lastSecond });
        if (point.lastSecond === Number.POSITIVE_INFINITY) break;
        from = point.lastSecond + 1;
      }
      return steps;
    },
  };
}

/** ⌈a / b⌉ for b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return quotient * b < a ? quotient + 1n : quotient;
}

/**
 * Evaluates the curve at a point: binary search for the span, then the closed form of its part;
 * with the last second of the same amount, from the rounding threshold the amount next crosses.
 */
function pointEvaluator(compiled: CompiledTariff, spans: readonly Span[], before: readonly bigint[], oneOff: bigint): (seconds: number) => Point {
  const { freeSeconds, minimumSeconds, rounding } = compiled.tariff;
  const numeratorFactor = compiled.grossNumerator * 10n ** BigInt(rounding.decimals);
  const denominator = compiled.unitsPerMajor * compiled.grossDenominator;
  // Units past which `capUnits` holds the amount (maxCost with the `free` strategy).
  const maxUnits = compiled.tariff.maxCost?.strategy === 'free' ? compiled.maxCostUnits : null;
  return (seconds) => {
    if (seconds <= freeSeconds) return { scaled: 0n, lastSecond: freeSeconds };
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
    const upToSpan = oneOff + (before[lo] ?? 0n);
    if (span === undefined || span.kind !== 'charged' || span.tier === null) {
      // Nothing accrues in this span: the amount holds to its end.
      const scaled = roundDiv(capUnits(compiled, upToSpan) * numeratorFactor, denominator, rounding.mode);
      return { scaled, lastSecond: Math.max(seconds, span?.toSecond ?? Number.POSITIVE_INFINITY) };
    }
    const increment = span.tier.incrementSeconds;
    const blocks = Math.ceil((Math.min(effective, span.toSecond) - span.fromSecond) / increment);
    const units = capUnits(compiled, upToSpan + span.tier.secondUnits * BigInt(blocks * increment));
    const scaled = roundDiv(units * numeratorFactor, denominator, rounding.mode);
    // The rounded amount steps up at the first increment whose units reach the next rounding
    // threshold (not before the increment being billed ends, nor after the span does).
    const blockUnits = span.tier.secondUnits * BigInt(increment);
    const unitsNeeded = ceilDiv(roundDivThreshold(scaled, denominator, rounding.mode), numeratorFactor);
    const capped = maxUnits !== null && unitsNeeded > maxUnits;
    // A count of increments, not money: beyond the span's own increments the step falls at its end
    // (null), so the count converted to a number is at most the span's, a small whole number.
    const spanBlocks = Math.ceil((span.toSecond - span.fromSecond) / increment);
    const blocksAhead = blockUnits === 0n || capped ? null : ceilDiv(unitsNeeded - upToSpan, blockUnits);
    const blocksNeeded = blocksAhead === null || blocksAhead > BigInt(spanBlocks) ? null : Number(blocksAhead);
    const lastSecond = blocksNeeded === null ? span.toSecond : Math.min(span.toSecond, span.fromSecond + (Math.max(blocksNeeded, blocks + 1) - 1) * increment);
    return { scaled, lastSecond: Math.max(seconds, lastSecond) };
  };
}
