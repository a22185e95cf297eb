/**
 * The closed form, in precise units (see compiled-tariff.ts): what metered time costs before the
 * one rounding. Shared by `rate`, its inverse and `nextChange`, so the three can never disagree.
 */
import { roundDiv } from '../money/index.ts';
import type { CompiledTariff } from './compiled-tariff.ts';
import { buildSpans, extendIntervals, type MeteredInterval, type Span } from './spans.ts';

/** Billed seconds of a span: a started increment is billed whole, within the span. */
export function spanBilledSeconds(span: Span): number {
  if (span.kind === 'free') return 0;
  const seconds = span.toSecond - span.fromSecond;
  if (span.kind === 'included' || span.tier === null) return seconds;
  const increment = span.tier.incrementSeconds;
  return Math.ceil(seconds / increment) * increment;
}

/** Cost of a span in precise units: closed form, independent of its length's magnitude. */
export function spanUnits(span: Span): bigint {
  if (span.kind !== 'charged' || span.tier === null) return 0n;
  return span.tier.secondUnits * BigInt(spanBilledSeconds(span));
}

/** Seconds the session is billed as: the minimum block applies once the free window is passed. */
export function effectiveSeconds(compiled: CompiledTariff, meteredSeconds: number): number {
  const { freeSeconds, minimumSeconds } = compiled.tariff;
  return meteredSeconds <= freeSeconds ? meteredSeconds : Math.max(meteredSeconds, minimumSeconds);
}

/** One-off charges (connection fee of the band in force at second 0, flat price) in units. */
export function oneOffUnits(compiled: CompiledTariff, firstSpan: Span | undefined): { feeUnits: bigint; flatUnits: bigint } {
  const band = firstSpan === undefined || firstSpan.band < 0 ? undefined : compiled.bands[firstSpan.band];
  return { feeUnits: band?.connectionFeeUnits ?? compiled.connectionFeeUnits, flatUnits: compiled.flatUnits };
}

export interface Cost {
  readonly spans: readonly Span[];
  readonly meteredSeconds: number;
  /** Precise units in the tariff's pricing basis, after a `free` maxCost. */
  readonly units: bigint;
  readonly uncappedUnits: bigint;
  readonly feeUnits: bigint;
  readonly flatUnits: bigint;
}

/** The cost of metered intervals, before rounding. */
export function costOf(compiled: CompiledTariff, intervals: readonly MeteredInterval[]): Cost {
  let meteredSeconds = 0;
  for (const interval of intervals) meteredSeconds += interval.seconds;
  const billable = meteredSeconds > compiled.tariff.freeSeconds;
  const seconds = effectiveSeconds(compiled, meteredSeconds);
  const spans = buildSpans(compiled, seconds === meteredSeconds ? intervals : extendIntervals(intervals, seconds));
  let units = 0n;
  for (const span of spans) units += spanUnits(span);
  const { feeUnits, flatUnits } = billable ? oneOffUnits(compiled, spans[0]) : { feeUnits: 0n, flatUnits: 0n };
  const uncappedUnits = units + feeUnits + flatUnits;
  return { spans, meteredSeconds, units: capUnits(compiled, uncappedUnits), uncappedUnits, feeUnits, flatUnits };
}

/** Applies a `free` maxCost: the amount stops growing there. A `disconnect` maxCost caps nothing here. */
export function capUnits(compiled: CompiledTariff, units: bigint): bigint {
  const max = compiled.maxCostUnits;
  if (max === null || compiled.tariff.maxCost?.strategy !== 'free') return units;
  return units < max ? units : max;
}

/** The billed amount tax included, as an integer at `rounding.decimals` places: the one rounding. */
export function billedScaled(compiled: CompiledTariff, units: bigint): bigint {
  const { decimals, mode } = compiled.tariff.rounding;
  const numerator = units * compiled.grossNumerator * 10n ** BigInt(decimals);
  return roundDiv(numerator, compiled.unitsPerMajor * compiled.grossDenominator, mode);
}
