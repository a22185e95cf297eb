/**
 * The inverse of rating: the largest metered duration whose billed (rounded) amount fits under a
 * cap. The broker schedules the cap stop there, so the billed amount never exceeds the cap.
 */
import { assert } from '../assert.ts';
import { decimalToBigInt, type Money, type RoundingMode } from '../money/index.ts';
import { SESSION_DURATION_S_MAX } from '../limits.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff, type CompiledTariff } from './compiled-tariff.ts';
import { billedScaled, costOf, oneOffUnits, spanUnits } from './cost.ts';
import { toIntervals } from './rate.ts';
import { buildSpans, extendIntervals, type MeteredInterval } from './spans.ts';

export interface Affordable {
  /** Largest total metered seconds (including those already metered) billed at most the cap. */
  readonly seconds: number;
  /** `cap`: one more second would cost more than the cap; `horizon`: the cap is never reached. */
  readonly limitedBy: 'cap' | 'horizon';
}

export interface AffordableOptions {
  /** Where future metering continues when `metered` is a list of past intervals (default: right after the last). */
  readonly continueAtMs?: number;
  /** How far to look, in total metered seconds (default SESSION_DURATION_S_MAX). */
  readonly horizonSeconds?: number;
}

/**
 * Largest x such that roundDiv(x, denominator, mode) ≤ c: the greatest numerator that still
 * rounds to at most c. Exact for every mode.
 */
function largestNumeratorRoundingTo(c: bigint, denominator: bigint, mode: RoundingMode): bigint {
  switch (mode) {
    case 'down': return (c + 1n) * denominator - 1n;
    case 'up': return c * denominator;
    case 'half-up': return ((2n * c + 1n) * denominator - 1n) / 2n;
    case 'half-even': {
      const twice = (2n * c + 1n) * denominator;
      return c % 2n === 0n && twice % 2n === 0n ? twice / 2n : (twice - 1n) / 2n;
    }
  }
}

/** The largest precise-unit total whose billed amount is at most `capScaled`, or null if unbounded. */
function unitsBudget(compiled: CompiledTariff, capScaled: bigint): bigint | null {
  const { decimals, mode } = compiled.tariff.rounding;
  const maxCost = compiled.maxCostUnits;
  if (maxCost !== null && compiled.tariff.maxCost?.strategy === 'free' && billedScaled(compiled, maxCost) <= capScaled) return null;
  const a = compiled.grossNumerator * 10n ** BigInt(decimals);
  const b = compiled.unitsPerMajor * compiled.grossDenominator;
  const budget = largestNumeratorRoundingTo(capScaled, b, mode) / a;
  assert(budget < 0n || billedScaled(compiled, budget) <= capScaled, 'budget rounds under the cap');
  assert(billedScaled(compiled, budget + 1n) > capScaled, 'one unit more rounds over the cap');
  return budget;
}

/** The cap as an integer at the rounding's decimals (floored: billed amounts live on that grid). */
function capToScaled(compiled: CompiledTariff, cap: Money): bigint {
  assert(cap.currency === compiled.tariff.currency, 'cap and tariff share a currency');
  assert(!cap.isNegative(), 'a cap is not negative');
  const { decimals } = compiled.tariff.rounding;
  return decimalToBigInt(cap.round(decimals, 'down').decimal().times(10 ** decimals));
}

/**
 * The largest metered duration from `meteringStartMs` whose billed amount is ≤ `cap`.
 *
 * @example maxAffordableSeconds(onePennyPerSecond, start, Money.of('0.12', 'EUR')) // { seconds: 12, limitedBy: 'cap' }
 */
export function maxAffordableSeconds(
  tariff: Tariff, meteringStartMs: number, cap: Money,
  options: AffordableOptions & { readonly metered?: readonly MeteredInterval[] } = {},
): Affordable {
  const compiled = compileTariff(tariff);
  const horizon = options.horizonSeconds ?? SESSION_DURATION_S_MAX;
  const budget = unitsBudget(compiled, capToScaled(compiled, cap));
  if (budget === null) return { seconds: horizon, limitedBy: 'horizon' };
  const past = options.metered === undefined ? [] : toIntervals(meteringStartMs, options.metered);
  const start = past.length === 0 ? [{ startMs: meteringStartMs, seconds: 0 }] : past;
  const timeline = extendIntervals(start, horizon, options.continueAtMs);
  const { freeSeconds, minimumSeconds } = tariff;
  // Past the free window the session costs at least its first billable step (minimum block included).
  const firstBillable = Math.max(freeSeconds + 1, minimumSeconds);
  if (firstBillable > horizon || costOf(compiled, extendIntervals(timeline, firstBillable)).units > budget) {
    return { seconds: Math.min(freeSeconds, horizon), limitedBy: freeSeconds >= horizon ? 'horizon' : 'cap' };
  }
  const spans = buildSpans(compiled, timeline);
  const { feeUnits, flatUnits } = oneOffUnits(compiled, spans[0]);
  // Below the budget a `free` maxCost is never reached (the budget is under it), so no capping here.
  let spent = feeUnits + flatUnits;
  for (const span of spans) {
    const increment = span.tier?.incrementSeconds ?? 1;
    const perIncrement = span.kind === 'charged' && span.tier !== null ? span.tier.secondUnits * BigInt(increment) : 0n;
    const full = spanUnits(span);
    if (perIncrement === 0n || spent + full <= budget) {
      spent += full;
      continue;
    }
    const increments = Number((budget - spent) / perIncrement); // ok: a count of increments (< one span), not money
    const seconds = Math.max(span.fromSecond + increments * increment, firstBillable);
    return { seconds, limitedBy: 'cap' };
  }
  return { seconds: horizon, limitedBy: 'horizon' };
}
