/**
 * What the live display needs beyond the amount: when the billed amount next steps up and to
 * what, and the price in force now and next (tier, band, free window, inclusion ending).
 */
import type { Money } from '../money/index.ts';
import { SESSION_DURATION_S_MAX } from '../limits.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff, type CompiledTariff } from './compiled-tariff.ts';
import { maxAffordableSeconds } from './max-affordable.ts';
import { rate, toIntervals } from './rate.ts';
import { buildSpans, extendIntervals, type MeteredInterval, type Span, type SpanKind } from './spans.ts';

/** The price in force over a run of metered time. */
export interface PricePoint {
  /** Elapsed metered second from which this price applies. */
  readonly fromSecond: number;
  readonly kind: SpanKind;
  readonly band: string | null;
  readonly tier: number | null;
  readonly unitPrice: Money | null;
  readonly perSeconds: number | null;
  readonly incrementSeconds: number | null;
}

export interface NextChange {
  /** Billed amount at `elapsedSeconds`. */
  readonly billed: Money;
  /** The next second at which the billed amount grows, and the amount from then; null if it never does. */
  readonly step: { readonly atSecond: number; readonly billed: Money } | null;
  readonly current: PricePoint;
  /** The next different price (tier, band or kind), or null if the price never changes again. */
  readonly next: PricePoint | null;
}

export interface NextChangeOptions {
  /** Past metered intervals (default: continuous metering from the start). */
  readonly metered?: readonly MeteredInterval[];
  /** Where metering continues after the past intervals (default: right after the last). */
  readonly continueAtMs?: number;
}

function pricePoint(compiled: CompiledTariff, span: Span): PricePoint {
  const tier = span.tier?.tier ?? null;
  return {
    fromSecond: span.fromSecond,
    kind: span.kind,
    band: span.band < 0 ? null : (compiled.bands[span.band]?.band.name ?? null),
    tier: span.tier?.index ?? null,
    unitPrice: tier?.price ?? null,
    perSeconds: tier?.perSeconds ?? null,
    incrementSeconds: tier?.incrementSeconds ?? null,
  };
}

function samePrice(a: Span, b: Span): boolean {
  return a.kind === b.kind && a.band === b.band && a.tier === b.tier;
}

/** The metered timeline from the start to the horizon: past intervals, then metering continued. */
function timelineOf(meteringStartMs: number, elapsedSeconds: number, options: NextChangeOptions): { horizon: number; timeline: MeteredInterval[] } {
  const past = options.metered === undefined ? [{ startMs: meteringStartMs, seconds: elapsedSeconds }] : toIntervals(meteringStartMs, options.metered);
  const horizon = Math.max(SESSION_DURATION_S_MAX, elapsedSeconds + 1);
  return { horizon, timeline: extendIntervals(past, horizon, options.metered === undefined ? undefined : options.continueAtMs) };
}

/** The price in force at `elapsedSeconds` of `timeline`, and the next different one on it. */
function pricesOn(tariff: Tariff, timeline: readonly MeteredInterval[], elapsedSeconds: number): Pick<NextChange, 'current' | 'next'> {
  const compiled = compileTariff(tariff);
  const spans = buildSpans(compiled, timeline);
  const index = Math.max(0, spans.findIndex((span) => span.fromSecond <= elapsedSeconds && elapsedSeconds < span.toSecond));
  const currentSpan = spans[index];
  const nextSpan = currentSpan === undefined ? undefined : spans.slice(index + 1).find((span) => !samePrice(span, currentSpan));
  return {
    current: currentSpan === undefined ? emptyPoint : pricePoint(compiled, currentSpan),
    next: nextSpan === undefined ? null : pricePoint(compiled, nextSpan),
  };
}

/**
 * The price in force after `elapsedSeconds` of metering and the next different one: `nextChange`
 * without the amounts (no rating), for a caller that only needs to know when the price changes.
 */
export function priceChange(tariff: Tariff, meteringStartMs: number, elapsedSeconds: number, options: NextChangeOptions = {}): Pick<NextChange, 'current' | 'next'> {
  return pricesOn(tariff, timelineOf(meteringStartMs, elapsedSeconds, options).timeline, elapsedSeconds);
}

/**
 * The next price step after `elapsedSeconds` of metering, and the price now and next.
 *
 * @example nextChange(kiosque, start, 61).step // { atSecond: 121, billed: 1.02 } for 0.34 €/started minute
 */
export function nextChange(tariff: Tariff, meteringStartMs: number, elapsedSeconds: number, options: NextChangeOptions = {}): NextChange {
  const { horizon, timeline } = timelineOf(meteringStartMs, elapsedSeconds, options);
  const billed = rate(tariff, meteringStartMs, extendIntervals(timeline, elapsedSeconds)).billed;
  const affordable = maxAffordableSeconds(tariff, meteringStartMs, billed, { metered: timeline, horizonSeconds: horizon });
  const stepAt = affordable.seconds + 1;
  const step = affordable.limitedBy === 'cap' && stepAt <= horizon
    ? { atSecond: stepAt, billed: rate(tariff, meteringStartMs, extendIntervals(timeline, stepAt)).billed }
    : null;
  return { billed, step, ...pricesOn(tariff, timeline, elapsedSeconds) };
}

const emptyPoint: PricePoint = { fromSecond: 0, kind: 'free', band: null, tier: null, unitPrice: null, perSeconds: null, incrementSeconds: null };
