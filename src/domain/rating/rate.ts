/**
 * `rate()`: the pure rating function. The live display and the final bill both call it, so the
 * last price shown equals the price billed (DESIGN.md §2).
 */
import { type Currency, Money, type Rate, roundDiv } from '../money/index.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff, type CompiledTariff } from './compiled-tariff.ts';
import { billedScaled, costOf, spanBilledSeconds, spanUnits } from './cost.ts';
import { assertIntervals, type MeteredInterval, type Span, type SpanKind } from './spans.ts';

/** One span of the rating: seconds under one band, one tier and one kind. */
export interface RatingLine {
  readonly kind: SpanKind;
  /** Band name, or null for the base tiers. */
  readonly band: string | null;
  /** Index of the tier in its list (the band's or the base), or null for a pure ticket. */
  readonly tier: number | null;
  readonly fromSecond: number;
  readonly toSecond: number;
  readonly seconds: number;
  /** Seconds paid for: rounded up to whole increments for charged spans, 0 for free ones. */
  readonly billedSeconds: number;
  readonly unitPrice: Money | null;
  readonly perSeconds: number | null;
  readonly incrementSeconds: number | null;
  /** Precise (unrounded) amount of the span, in the tariff's pricing basis. */
  readonly amount: Money;
}

export interface VatSplit {
  readonly rate: Rate;
  readonly net: Money;
  readonly vat: Money;
  readonly gross: Money;
}

export interface Rating {
  readonly tariffHash: string;
  readonly currency: Currency;
  readonly meteredSeconds: number;
  /** Seconds paid for: metered seconds past the free window, with the minimum block and whole increments. */
  readonly billedSeconds: number;
  /** What the subscriber pays, tax included, rounded once with the tariff's rounding. */
  readonly billed: Money;
  /** The same before rounding, tax included (exact, or 60 significant digits). */
  readonly precise: Money;
  readonly connectionFee: Money;
  readonly flatPrice: Money;
  /** True when a `free` maxCost stopped the amount from growing. */
  readonly maxCostReached: boolean;
  readonly vat: VatSplit;
  readonly lines: readonly RatingLine[];
}

/** Normalises the metered-time argument of the public functions into intervals. */
export function toIntervals(meteringStartMs: number, metered: number | readonly MeteredInterval[]): readonly MeteredInterval[] {
  const intervals = typeof metered === 'number' ? [{ startMs: meteringStartMs, seconds: metered }] : metered;
  assertIntervals(intervals);
  return intervals;
}

/**
 * Rates a session: `meteredSeconds` of continuous metering from `meteringStartMs`, or explicit
 * metered intervals (holds leave gaps). Pure: the same arguments always give the same rating.
 *
 * @example
 * rate(tariff, Date.parse('2026-01-05T10:00:00Z'), 61).billed.toString() // "0.68" for 0.34 €/started minute
 */
export function rate(tariff: Tariff, meteringStartMs: number, metered: number | readonly MeteredInterval[]): Rating {
  const compiled = compileTariff(tariff);
  const cost = costOf(compiled, toIntervals(meteringStartMs, metered));
  const currency = tariff.currency;
  const scaled = billedScaled(compiled, cost.units);
  const billed = Money.fromScaledInteger(scaled, tariff.rounding.decimals, currency);
  const { lcm, scaleDigits } = compiled;
  const grossDigits = tariff.pricesIncludeVat ? scaleDigits : scaleDigits + compiled.vatDigits;
  const firstBand = cost.spans[0] === undefined || cost.spans[0].band < 0 ? undefined : compiled.bands[cost.spans[0].band];
  const zero = Money.zero(currency);
  let billedSeconds = 0;
  for (const span of cost.spans) billedSeconds += spanBilledSeconds(span);
  return {
    tariffHash: tariff.hash,
    currency,
    meteredSeconds: cost.meteredSeconds,
    billedSeconds,
    billed,
    precise: Money.fromScaledFraction(cost.units * compiled.grossNumerator, lcm, grossDigits, currency),
    connectionFee: cost.feeUnits === 0n ? zero : (firstBand?.band.connectionFee ?? tariff.connectionFee),
    flatPrice: cost.flatUnits === 0n || tariff.flatPrice === null ? zero : tariff.flatPrice.amount,
    maxCostReached: cost.units < cost.uncappedUnits,
    vat: vatSplit(compiled, scaled, cost.units),
    lines: cost.spans.map((span) => ratingLine(compiled, span)),
  };
}

/**
 * Splits the billed amount into net and VAT. Prices tax included: the VAT is rounded half-up from
 * the gross and the net is the rest. Prices tax excluded: the net is rounded with the tariff's
 * mode and the VAT is the rest. Either way net + VAT = gross exactly.
 */
function vatSplit(compiled: CompiledTariff, grossScaled: bigint, units: bigint): VatSplit {
  const { tariff } = compiled;
  const { decimals, mode } = tariff.rounding;
  const vatScaled = tariff.pricesIncludeVat
    ? roundDiv(grossScaled * compiled.vatUnits, compiled.vatScale + compiled.vatUnits, 'half-up')
    : grossScaled - roundDiv(units * 10n ** BigInt(decimals), compiled.unitsPerMajor, mode);
  const money = (scaled: bigint): Money => Money.fromScaledInteger(scaled, decimals, tariff.currency);
  return { rate: tariff.vatRate, net: money(grossScaled - vatScaled), vat: money(vatScaled), gross: money(grossScaled) };
}

function ratingLine(compiled: CompiledTariff, span: Span): RatingLine {
  const tier = span.tier?.tier ?? null;
  return {
    kind: span.kind,
    band: span.band < 0 ? null : (compiled.bands[span.band]?.band.name ?? null),
    tier: span.tier?.index ?? null,
    fromSecond: span.fromSecond,
    toSecond: span.toSecond,
    seconds: span.toSecond - span.fromSecond,
    billedSeconds: spanBilledSeconds(span),
    unitPrice: tier?.price ?? null,
    perSeconds: tier?.perSeconds ?? null,
    incrementSeconds: tier?.incrementSeconds ?? null,
    amount: Money.fromScaledFraction(spanUnits(span), compiled.lcm, compiled.scaleDigits, compiled.tariff.currency),
  };
}
