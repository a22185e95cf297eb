/** fast-check generators of tariffs (format v1 JSON) and metering timelines, biased to hard cases. */
import fc from 'fast-check';
import { parseTariff, type Tariff } from '../../src/domain/index.ts';

const decimal = (maxUnits: number, decimals: number): fc.Arbitrary<string> =>
  fc.integer({ min: 0, max: maxUnits }).map((n) => {
    if (decimals === 0) return String(n);
    const text = String(n).padStart(decimals + 1, '0');
    return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
  });

const price = fc.oneof(decimal(200, 2), decimal(5000, 4), decimal(3, 0));

const tierList = fc.array(
  fc.record({ gap: fc.integer({ min: 1, max: 900 }), price, perSeconds: fc.constantFrom(1, 30, 60, 3600), incrementSeconds: fc.constantFrom(1, 6, 30, 60, 90) }),
  { minLength: 1, maxLength: 4 },
).map((tiers) => {
  let fromSecond = 0;
  return tiers.map(({ gap, ...tier }, index) => {
    if (index > 0) fromSecond += gap;
    return { fromSecond, ...tier };
  });
});

const clock = fc.integer({ min: 0, max: 47 }).map((half) => `${String(Math.floor(half / 2)).padStart(2, '0')}:${half % 2 === 0 ? '00' : '30'}`);

const band = fc.record({
  name: fc.constantFrom('nuit', 'soir', 'week-end'),
  timeZone: fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata', 'Australia/Lord_Howe'),
  days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
  from: clock,
  to: clock,
  priority: fc.integer({ min: 0, max: 3 }),
  connectionFee: decimal(100, 2),
  tiers: tierList,
}).filter((b) => b.from !== b.to);

export const tariffJson = fc.record({
  currency: fc.constant('EUR'),
  vatRate: fc.constantFrom('0.20', '0.085', '0', '0.055'),
  pricesIncludeVat: fc.boolean(),
  connectionFee: fc.oneof(fc.constant('0'), decimal(150, 2)),
  freeSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 })),
  minimumSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 120 })),
  tiers: tierList,
  bands: fc.array(band, { maxLength: 2 }),
  flatPrice: fc.option(fc.record({ amount: decimal(1000, 2), includedSeconds: fc.integer({ min: 1, max: 600 }) }), { freq: 4 }),
  maxCost: fc.option(fc.record({ amount: decimal(5000, 2).filter((a) => !/^0(\.0+)?$/.test(a)), strategy: fc.constantFrom('disconnect', 'free') }), { freq: 3 }),
  rounding: fc.record({ mode: fc.constantFrom('half-up', 'half-even', 'up', 'down'), decimals: fc.constantFrom(2, 2, 0, 4) }),
  holdBilled: fc.boolean(),
  profile: fc.constant('minitel-kiosque'),
}).map((json) => {
  // maxCost lives on the rounding grid: with 0 decimals it is a whole amount.
  if (json.maxCost === null || json.rounding.decimals >= 2) return json;
  const whole = json.maxCost.amount.split('.')[0] ?? '1';
  return { ...json, maxCost: { ...json.maxCost, amount: whole === '0' ? '1' : whole } };
});

/** A parsed tariff (generated JSON is always valid for minitel-kiosque). */
export const tariff: fc.Arbitrary<Tariff> = tariffJson.map((json) => {
  const parsed = parseTariff(json);
  if (!parsed.ok) throw new Error(`generator produced an invalid tariff: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
});

const DST_2026 = [Date.parse('2026-03-29T00:00:00Z'), Date.parse('2026-10-25T00:00:00Z'), Date.parse('2026-03-08T06:00:00Z'), Date.parse('2026-11-01T05:00:00Z')];

/** A metering start: near a 2026 DST change, near a local midnight, or anywhere in 2026 — whole seconds. */
export const meteringStartMs = fc.oneof(
  fc.tuple(fc.constantFrom(...DST_2026), fc.integer({ min: -6 * 3600, max: 6 * 3600 })).map(([base, offset]) => base + offset * 1000),
  fc.integer({ min: Date.parse('2026-01-01T00:00:00Z') / 1000, max: Date.parse('2026-12-31T00:00:00Z') / 1000 }).map((s) => s * 1000),
);

/** One to three metered intervals separated by gaps (free holds). */
export const intervalsFrom = (startMs: number, maxSecondsEach: number): fc.Arbitrary<{ startMs: number; seconds: number }[]> =>
  fc.array(fc.record({ seconds: fc.integer({ min: 0, max: maxSecondsEach }), gapS: fc.integer({ min: 0, max: 1800 }) }), { minLength: 1, maxLength: 3 })
    .map((parts) => {
      let at = startMs;
      return parts.map(({ seconds, gapS }) => {
        const interval = { startMs: at, seconds };
        at += (seconds + gapS) * 1000;
        return interval;
      });
    });
