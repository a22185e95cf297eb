/**
 * Parses tariff JSON (format v1) into an immutable `Tariff`, or reports every violation: the
 * field, the rule and a sentence. Structure comes from the zod schema; rules that span fields
 * (tier order, flat price and tiers, time zones, maxCost precision) are checked here.
 */
import { IANAZone } from 'luxon';
import { type Currency, isCurrency, minorUnitExponent, Money, Rate, toDec } from '../money/index.ts';
import { err, ok, type Result, type Violation } from '../result.ts';
import { zodViolations } from '../zod-violations.ts';
import { type TariffBody, tariffHash } from './canonical-tariff.ts';
import { checkProfile, type ProfileId, type ProfileOptions } from './profiles.ts';
import type { Band, IsoWeekday, Tariff, Tier } from './tariff.ts';
import { type TariffJson, tariffSchema } from './tariff-schema.ts';

/**
 * Validates `input` (parsed JSON) as a tariff: its format, then the rules of its jurisdiction
 * profile. Every violation is reported, not just the first.
 *
 * @example
 * const result = parseTariff({ currency: 'EUR', vatRate: '0.20', tiers: [{ fromSecond: 0, price: '0.34', perSeconds: 60, incrementSeconds: 60 }] });
 * if (result.ok) result.value.hash // "sha256:…"
 */
export function parseTariff(input: unknown, options: ParseTariffOptions = {}): Result<Tariff, Violation[]> {
  const parsed = tariffSchema.safeParse(input);
  if (!parsed.success) return err(zodViolations(parsed.error, input));
  const json = parsed.data;
  const violations = crossFieldViolations(json);
  if (violations.length > 0 || !isCurrency(json.currency)) return err(violations);
  const body = buildTariff(json, json.currency);
  const profileViolations = checkProfile(body, options.profile ?? body.profile, options);
  if (profileViolations.length > 0) return err(profileViolations);
  return ok(Object.freeze({ hash: tariffHash(body), ...body }));
}

export interface ParseTariffOptions extends ProfileOptions {
  /** Check against this profile instead of the one the tariff names. */
  readonly profile?: ProfileId;
}

function crossFieldViolations(json: TariffJson): Violation[] {
  const out: Violation[] = [];
  const push = (field: string, rule: string, message: string): void => { out.push({ field, rule, message }); };
  if (!isCurrency(json.currency)) push('currency', 'currency_unknown', `${json.currency} is not a currency Palier knows`);
  if (Rate.of(json.vatRate).compare(Rate.of('1')) >= 0) push('vatRate', 'max', 'must be below 1 (a fraction: "0.20" is 20 %)');

  const ticketOnly = json.flatPrice !== null && json.flatPrice.includedSeconds === null;
  if (ticketOnly && json.tiers.length > 0) {
    push('tiers', 'flat_tiers_unreachable', 'a flat price without includedSeconds covers the whole session: tiers would never apply');
  }
  if (!ticketOnly && json.tiers.length === 0) push('tiers', 'tiers_required', 'at least one tier is needed to price metered time');
  out.push(...tierListViolations(json.tiers, 'tiers'));

  json.bands.forEach((band, index) => {
    const at = `bands[${index}]`;
    if (!IANAZone.isValidZone(band.timeZone)) push(`${at}.timeZone`, 'time_zone', `${band.timeZone} is not an IANA time zone`);
    if (new Set(band.days).size !== band.days.length) push(`${at}.days`, 'days_unique', 'each weekday at most once');
    if (band.from === band.to) push(`${at}.to`, 'band_empty', 'from and to are the same time: use 00:00–24:00 for a whole day');
    out.push(...tierListViolations(band.tiers, `${at}.tiers`));
  });

  if (json.maxCost !== null) {
    const decimals = json.rounding?.decimals ?? (isCurrency(json.currency) ? minorUnitExponent(json.currency) : 2);
    const amount = toDec(json.maxCost.amount);
    if (amount.isZero()) push('maxCost.amount', 'min', 'must be above zero');
    if (amount.decimalPlaces() > decimals) {
      push('maxCost.amount', 'max_cost_precision', `has more decimals than the rounding (${decimals})`);
    }
  }
  return out;
}

function tierListViolations(tiers: TariffJson['tiers'], at: string): Violation[] {
  const out: Violation[] = [];
  const first = tiers[0];
  if (first !== undefined && first.fromSecond !== 0) {
    out.push({ field: `${at}[0].fromSecond`, rule: 'tiers_start_at_zero', message: 'the first tier starts at second 0' });
  }
  for (let index = 1; index < tiers.length; index += 1) {
    const previous = tiers[index - 1];
    const tier = tiers[index];
    if (previous !== undefined && tier !== undefined && tier.fromSecond <= previous.fromSecond) {
      out.push({ field: `${at}[${index}].fromSecond`, rule: 'tiers_order', message: 'tiers are in strictly increasing fromSecond order' });
    }
  }
  return out;
}

function minuteOfDay(clock: string): number {
  const [hours = '0', minutes = '0'] = clock.split(':');
  return Number.parseInt(hours, 10) * 60 + Number.parseInt(minutes, 10);
}

function buildTariff(json: TariffJson, currency: Currency): TariffBody {
  const money = (amount: string): Money => Money.of(amount, currency);
  const tier = (t: TariffJson['tiers'][number]): Tier => Object.freeze({
    fromSecond: t.fromSecond, price: money(t.price), perSeconds: t.perSeconds, incrementSeconds: t.incrementSeconds,
  });
  const band = (b: TariffJson['bands'][number]): Band => Object.freeze({
    name: b.name, timeZone: b.timeZone, days: Object.freeze([...b.days].sort((a, b) => a - b) as IsoWeekday[]), from: b.from, to: b.to,
    fromMinute: minuteOfDay(b.from), toMinute: minuteOfDay(b.to), priority: b.priority,
    connectionFee: money(b.connectionFee), tiers: Object.freeze(b.tiers.map(tier)),
  });
  return {
    currency,
    vatRate: Rate.of(json.vatRate),
    pricesIncludeVat: json.pricesIncludeVat,
    connectionFee: money(json.connectionFee),
    freeSeconds: json.freeSeconds,
    minimumSeconds: json.minimumSeconds,
    tiers: Object.freeze(json.tiers.map(tier)),
    bands: Object.freeze(json.bands.map(band)),
    flatPrice: json.flatPrice === null ? null : Object.freeze({ amount: money(json.flatPrice.amount), includedSeconds: json.flatPrice.includedSeconds }),
    maxCost: json.maxCost === null ? null : Object.freeze({ amount: money(json.maxCost.amount), strategy: json.maxCost.strategy }),
    rounding: Object.freeze(json.rounding ?? { mode: 'half-up', decimals: minorUnitExponent(currency) }),
    holdBilled: json.holdBilled,
    profile: json.profile,
  };
}
