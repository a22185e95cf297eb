/**
 * Jurisdiction profiles: the legal rules a tariff must follow and the ceilings that bound a cap
 * (DESIGN.md §2, sources in fixtures/README.md). A profile never changes a price; it refuses a
 * tariff, naming every rule broken, and tells the broker the largest cap the law allows.
 */
import { type Currency, Money, Rate } from '../money/index.ts';
import type { Violation } from '../result.ts';
import type { TariffBody } from './canonical-tariff.ts';

export const PROFILE_IDS = ['minitel-kiosque', 'fr-sva-2015', 'fr-carrier-billing', 'uk-phone-paid'] as const;
export type ProfileId = (typeof PROFILE_IDS)[number];

/** French premium-rate number ranges with their own ceilings under ARCEP decision 2012-0856. */
export const SVA_NUMBER_RANGES = ['081', '082', '089'] as const;
export type SvaNumberRange = (typeof SVA_NUMBER_RANGES)[number];

export interface ProfileOptions {
  /** For `fr-sva-2015`: the number range whose ceilings apply (default `089`, the highest). */
  readonly svaNumberRange?: SvaNumberRange;
}

export interface JurisdictionProfile {
  readonly id: ProfileId;
  readonly title: string;
  /** Legal text the rules come from. */
  readonly source: string;
  /** Currency the profile's amounts are in; a tariff in another currency is refused. */
  readonly currency: Currency | null;
  /** Legal ceiling of one session (price TTC), or null when the law sets none. */
  readonly sessionAmountMax: Money | null;
  /** Legal ceiling per subscriber and calendar month, or null. */
  readonly monthlyAmountMax: Money | null;
}

/** SVA ceilings TTC per number range: per minute (per-second billing) and per call. */
const SVA_CEILINGS: Record<SvaNumberRange, { readonly perMinute: string; readonly perCall: string }> = {
  '081': { perMinute: '0.06', perCall: '0.15' },
  '082': { perMinute: '0.20', perCall: '0.50' },
  '089': { perMinute: '0.80', perCall: '3.00' },
};

export const PROFILES: Readonly<Record<ProfileId, JurisdictionProfile>> = {
  'minitel-kiosque': {
    id: 'minitel-kiosque', title: 'Minitel kiosque (Télétel 3613–3617)',
    source: 'Historical Télétel kiosque model: duration paliers and time bands allowed',
    currency: null, sessionAmountMax: null, monthlyAmountMax: null,
  },
  'fr-sva-2015': {
    id: 'fr-sva-2015', title: 'French value-added services after the 2015 reform',
    source: 'ARCEP decision 2012-0856, in force 2015-10-01',
    currency: 'EUR', sessionAmountMax: null, monthlyAmountMax: null,
  },
  'fr-carrier-billing': {
    id: 'fr-carrier-billing', title: 'French carrier billing (Internet+)',
    source: 'Code monétaire et financier L.521-3-1: 50 € per transaction, 300 € per subscriber per month',
    currency: 'EUR', sessionAmountMax: Money.of('50.00', 'EUR'), monthlyAmountMax: Money.of('300.00', 'EUR'),
  },
  'uk-phone-paid': {
    id: 'uk-phone-paid', title: 'UK phone-paid services',
    source: 'Payment Services Regulations 2017, electronic communications exclusion: £40 per transaction, £240 per month',
    currency: 'GBP', sessionAmountMax: Money.of('40.00', 'GBP'), monthlyAmountMax: Money.of('240.00', 'GBP'),
  },
};

export function isProfileId(value: unknown): value is ProfileId {
  return typeof value === 'string' && (PROFILE_IDS as readonly string[]).includes(value);
}

/**
 * Every rule of `profileId` that `tariff` breaks (empty when it complies).
 *
 * @example checkProfile(tariff, 'fr-sva-2015') // [{ field: 'connectionFee', rule: 'sva_no_connection_fee', … }]
 */
export function checkProfile(tariff: TariffBody, profileId: ProfileId, options: ProfileOptions = {}): Violation[] {
  const profile = PROFILES[profileId];
  const violations: Violation[] = [];
  if (profile.currency !== null && tariff.currency !== profile.currency) {
    violations.push({ field: 'currency', rule: 'profile_currency', message: `${profile.id} tariffs are in ${profile.currency}` });
  }
  if (profile.sessionAmountMax !== null && tariff.currency === profile.currency) {
    violations.push(...checkSessionCeiling(tariff, profile.id, profile.sessionAmountMax));
  }
  if (profileId === 'fr-sva-2015') violations.push(...checkSva(tariff, options.svaNumberRange ?? '089'));
  return violations;
}

/** No single component may exceed the per-session legal ceiling (carrier billing). */
function checkSessionCeiling(tariff: TariffBody, id: ProfileId, ceiling: Money): Violation[] {
  const out: Violation[] = [];
  const over = (amount: Money): boolean => amount.greaterThan(ceiling);
  const rule = 'session_ceiling';
  const limit = `${ceiling.toString()} ${ceiling.currency}`;
  if (over(tariff.connectionFee)) out.push({ field: 'connectionFee', rule, message: `${id}: a connection fee above ${limit} per session` });
  if (tariff.flatPrice !== null && over(tariff.flatPrice.amount)) {
    out.push({ field: 'flatPrice.amount', rule, message: `${id}: a flat price above ${limit} per session` });
  }
  if (tariff.maxCost !== null && over(tariff.maxCost.amount)) {
    out.push({ field: 'maxCost.amount', rule, message: `${id}: maxCost above the legal ${limit} per session` });
  }
  return out;
}

/** ARCEP 2012-0856: per call or per second from the first second, no set-up charge, no time variation. */
function checkSva(tariff: TariffBody, range: SvaNumberRange): Violation[] {
  const out: Violation[] = [];
  const ceilings = SVA_CEILINGS[range];
  const push = (field: string, rule: string, message: string): void => { out.push({ field, rule, message }); };
  if (!tariff.pricesIncludeVat) push('pricesIncludeVat', 'sva_prices_ttc', 'SVA face values are set tax included');
  if (!tariff.connectionFee.isZero()) push('connectionFee', 'sva_no_connection_fee', 'SVA tariffs have no set-up charge');
  if (tariff.bands.length > 0) push('bands', 'sva_no_time_variation', 'SVA prices are the same at any hour and day');
  if (tariff.minimumSeconds > 0) push('minimumSeconds', 'sva_per_second_from_first', 'SVA billing runs per second from the first second, with no initial block');
  if (tariff.rounding.decimals !== 2) push('rounding.decimals', 'sva_face_value_cents', 'SVA amounts are in whole cents');
  if (tariff.flatPrice !== null) {
    const perCall = tariff.flatPrice.amount;
    if (tariff.flatPrice.includedSeconds !== null || tariff.tiers.length > 0) {
      push('flatPrice', 'sva_call_or_second', 'an SVA tariff is billed per call or per second, not both');
    }
    if (perCall.decimalPlaces() > 2) push('flatPrice.amount', 'sva_face_value_cents', 'SVA face values are multiples of 0.01 € TTC');
    if (tariff.currency === 'EUR' && perCall.greaterThan(Money.of(ceilings.perCall, 'EUR'))) {
      push('flatPrice.amount', 'sva_price_ceiling', `${range}x numbers are capped at ${ceilings.perCall} € per call`);
    }
    return out;
  }
  if (tariff.tiers.length > 1) push('tiers', 'sva_single_tier', 'SVA prices do not vary with duration: one tier only');
  tariff.tiers.forEach((tier, index) => {
    if (tier.incrementSeconds !== 1) push(`tiers[${index}].incrementSeconds`, 'sva_per_second_from_first', 'SVA billing is per second');
    const perMinute = tier.price.times(60n).dividedBy(Rate.of(BigInt(tier.perSeconds)));
    if (!perMinute.isWholeMinorUnits()) push(`tiers[${index}].price`, 'sva_face_value_cents', 'SVA face values are multiples of 0.01 € TTC per minute');
    if (tariff.currency === 'EUR' && perMinute.greaterThan(Money.of(ceilings.perMinute, 'EUR'))) {
      push(`tiers[${index}].price`, 'sva_price_ceiling', `${range}x numbers are capped at ${ceilings.perMinute} € per minute`);
    }
  });
  return out;
}
