/**
 * A naive per-second rating, written independently of src/domain/rating for tests and the
 * benchmark baseline: it looks at every metered second, finds its band with luxon and its tier by
 * scanning, groups seconds into spans, and prices them with decimal.js. Slow on purpose, obvious
 * on purpose.
 */
import { Decimal } from 'decimal.js';
import { DateTime } from 'luxon';
import type { Band, Tariff, Tier } from '../../src/domain/index.ts';

const D = Decimal.clone({ precision: 80 });

interface NaiveResult { billed: string; preciseTtc: Decimal; billedSeconds: number }

function covers(band: Band, ms: number): boolean {
  const local = DateTime.fromMillis(ms, { zone: band.timeZone });
  const minute = local.hour * 60 + local.minute;
  const today = band.days.includes(local.weekday as 1);
  const yesterday = band.days.includes((((local.weekday + 5) % 7) + 1) as 1);
  if (band.toMinute > band.fromMinute) return today && minute >= band.fromMinute && minute < band.toMinute;
  return (today && minute >= band.fromMinute) || (yesterday && minute < band.toMinute);
}

function bandAt(tariff: Tariff, ms: number): number {
  let chosen = -1;
  tariff.bands.forEach((band, index) => {
    const current = tariff.bands[chosen];
    if (covers(band, ms) && (current === undefined || band.priority > current.priority)) chosen = index;
  });
  return chosen;
}

function tierAt(tiers: readonly Tier[], second: number): number {
  let index = 0;
  tiers.forEach((tier, i) => { if (tier.fromSecond <= second) index = i; });
  return index;
}

const dec = (money: { toString(): string }): Decimal => new D(money.toString());

/** Wall-clock start of each metered second, minimum block included (continuing the last interval). */
function secondStarts(intervals: readonly { startMs: number; seconds: number }[], total: number): number[] {
  const starts: number[] = [];
  for (const interval of intervals) for (let s = 0; s < interval.seconds; s += 1) starts.push(interval.startMs + s * 1000);
  const last = intervals[intervals.length - 1];
  let next = last === undefined ? 0 : last.startMs + last.seconds * 1000;
  while (starts.length < total) { starts.push(next); next += 1000; }
  return starts;
}

export function naiveRate(tariff: Tariff, intervals: readonly { startMs: number; seconds: number }[]): NaiveResult {
  const metered = intervals.reduce((sum, i) => sum + i.seconds, 0);
  const billable = metered > tariff.freeSeconds;
  const total = billable ? Math.max(metered, tariff.minimumSeconds) : metered;
  const starts = secondStarts(intervals, total);
  const includedEnd = tariff.flatPrice === null ? 0 : (tariff.flatPrice.includedSeconds ?? Infinity);
  // Group seconds into spans by (band, tier, kind), then bill each span's increments.
  let amount = new D(0);
  let billedSeconds = 0;
  let spanKey = '';
  let spanLength = 0;
  let spanTier: Tier | undefined;
  let spanKind = '';
  const closeSpan = (): void => {
    if (spanLength === 0) return;
    if (spanKind === 'charged' && spanTier !== undefined) {
      const billed = Math.ceil(spanLength / spanTier.incrementSeconds) * spanTier.incrementSeconds;
      billedSeconds += billed;
      amount = amount.plus(dec(spanTier.price).times(billed).div(spanTier.perSeconds));
    } else if (spanKind === 'included') billedSeconds += spanLength;
  };
  starts.forEach((ms, second) => {
    const band = tariff.bands.length === 0 ? -1 : bandAt(tariff, ms);
    const tiers = band < 0 ? tariff.tiers : (tariff.bands[band]?.tiers ?? []);
    const tier = tiers.length === 0 ? -1 : tierAt(tiers, second);
    const kind = second < tariff.freeSeconds ? 'free' : second < includedEnd ? 'included' : 'charged';
    const key = `${band}|${tier}|${kind}`;
    if (key !== spanKey) { closeSpan(); spanKey = key; spanLength = 0; spanTier = tiers[tier]; spanKind = kind; }
    spanLength += 1;
  });
  closeSpan();
  if (billable) {
    const firstBand = tariff.bands.length === 0 || starts[0] === undefined ? -1 : bandAt(tariff, starts[0]);
    amount = amount.plus(dec(firstBand < 0 ? tariff.connectionFee : (tariff.bands[firstBand]?.connectionFee ?? 0)));
    if (tariff.flatPrice !== null) amount = amount.plus(dec(tariff.flatPrice.amount));
  }
  if (tariff.maxCost?.strategy === 'free' && amount.greaterThan(dec(tariff.maxCost.amount))) amount = dec(tariff.maxCost.amount);
  const preciseTtc = tariff.pricesIncludeVat ? amount : amount.times(dec(tariff.vatRate).plus(1));
  const modes = { 'half-up': Decimal.ROUND_HALF_UP, 'half-even': Decimal.ROUND_HALF_EVEN, up: Decimal.ROUND_UP, down: Decimal.ROUND_DOWN } as const;
  // Per-second prices such as 2.00/30 s are repeating decimals, summed here at 80 significant
  // digits: the sum can land 1e-78 beside its true value. When the true value sits exactly on the
  // rounding grid (40.1956 with mode "up"), that residue would round it a step away. Settled to 50
  // places first: a true amount off the grid is a fraction whose denominator divides a few
  // thousands (seconds a price is per, VAT), so it is farther from the grid than 1e-50 by far.
  const settled = preciseTtc.toDecimalPlaces(50, Decimal.ROUND_HALF_EVEN);
  const billed = settled.toDecimalPlaces(tariff.rounding.decimals, modes[tariff.rounding.mode]).toFixed(tariff.rounding.decimals);
  return { billed, preciseTtc, billedSeconds };
}
