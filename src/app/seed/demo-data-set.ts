/**
 * The demo data set: carriers, subscribers, merchants with their offers and tariffs, the terms of
 * the agreements between them, and the API keys to create. `parseDemoDataSet` turns the raw JSON
 * files into domain values, or reports every violation (field, rule, message) across all files.
 */
import { IANAZone } from 'luxon';
import type { z } from 'zod';
import {
  type ApiKeyRole, type CarrierAgreementTerms, type Carrier, type Currency, err, isCurrency, type MerchantAgreementTerms, type Merchant,
  Money, normaliseMsisdn, type Offer, ok, parseTariff, PROFILES, Rate, type Result, type SubscriberStatus, type Tariff, type Violation,
  zodViolations,
} from '../../domain/index.ts';
import {
  agreementsFileSchema, apiKeysFileSchema, carriersFileSchema, type DemoDataSetFiles, type MerchantsFile, merchantsFileSchema,
  subscribersFileSchema,
} from './demo-data-set-schema.ts';

/** A subscriber to create: the raw number stays in memory; only its keyed HMAC is stored. */
export interface DemoSubscriberEntry {
  readonly label: string;
  /** E.164, normalised. */
  readonly msisdn: string;
  readonly billingCarrierId: string;
  readonly monthlyCap: Money;
  readonly status: SubscriberStatus;
}

/** An offer with the tariff version it points to (already checked against the offer's profile). */
export interface DemoOfferEntry {
  readonly offer: Offer;
  readonly tariff: Tariff;
}

/** An API key to create; its secret is drawn when seeding. */
export interface DemoApiKeyEntry {
  readonly role: ApiKeyRole;
  readonly scopeId: string;
  readonly label: string;
}

export interface DemoDataSet {
  readonly carriers: readonly Carrier[];
  readonly subscribers: readonly DemoSubscriberEntry[];
  readonly merchants: readonly Merchant[];
  readonly offers: readonly DemoOfferEntry[];
  /** Each billing carrier's terms, agreed with every hosting carrier (itself included, for on-net sessions). */
  readonly carrierTerms: readonly { readonly billingCarrierId: string; readonly terms: CarrierAgreementTerms }[];
  /** Each merchant's terms with its hosting carrier. */
  readonly merchantTerms: readonly { readonly merchantId: string; readonly terms: MerchantAgreementTerms }[];
  /** When every agreement takes effect (epoch ms). */
  readonly agreementsEffectiveFromMs: number;
  readonly apiKeys: readonly DemoApiKeyEntry[];
}

type Push = (field: string, rule: string, message: string) => void;

/** Parses one file with its schema, adding its violations to `out`; null when it does not parse. */
function structure<T>(schema: z.ZodType<T>, input: unknown, out: Violation[]): T | null {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  out.push(...zodViolations(parsed.error, input));
  return null;
}

/** An amount stored in minor units: refused (null) when it has a fraction of the currency's minor unit. */
function storedMoney(amount: string, currency: Currency, field: string, push: Push): Money | null {
  const money = Money.of(amount, currency);
  if (money.isWholeMinorUnits()) return money;
  push(field, 'minor_unit_precision', `${amount} ${currency} is not a whole number of minor units`);
  return null;
}

function duplicates(values: readonly string[]): Set<string> {
  return new Set(values.filter((value, index) => values.indexOf(value) !== index));
}

function carriersFrom(file: z.infer<typeof carriersFileSchema>, push: Push): Carrier[] {
  const repeatedIds = duplicates(file.carriers.map((c) => c.id));
  const repeatedCodes = duplicates(file.carriers.flatMap((c) => c.mccMncCodes));
  const carriers: Carrier[] = [];
  file.carriers.forEach((entry, index) => {
    const at = `carriers[${index}]`;
    if (repeatedIds.has(entry.id)) push(`${at}.id`, 'duplicate_id', `${entry.id} names two carriers`);
    entry.mccMncCodes.forEach((code, codeIndex) => {
      if (repeatedCodes.has(code)) push(`${at}.mccMncCodes[${codeIndex}]`, 'duplicate_mcc_mnc', `${code} is given to two carriers`);
    });
    if (!IANAZone.isValidZone(entry.timeZone)) push(`${at}.timeZone`, 'time_zone', `${entry.timeZone} is not an IANA time zone`);
    if (!isCurrency(entry.currency)) {
      push(`${at}.currency`, 'currency_unknown', `${entry.currency} is not a currency Palier knows`);
      return;
    }
    carriers.push({ ...entry, currency: entry.currency, mccMncCodes: [...entry.mccMncCodes] });
  });
  return carriers;
}

function subscribersFrom(file: z.infer<typeof subscribersFileSchema>, carriers: ReadonlyMap<string, Carrier>, push: Push): DemoSubscriberEntry[] {
  const subscribers: DemoSubscriberEntry[] = [];
  const seen = new Set<string>();
  file.subscribers.forEach((entry, index) => {
    const at = `subscribers[${index}]`;
    const carrier = carriers.get(entry.billingCarrier);
    const msisdn = normaliseMsisdn(entry.msisdn);
    if (carrier === undefined) push(`${at}.billingCarrier`, 'unknown_carrier', `${entry.billingCarrier} is not a carrier of carriers.json`);
    if (!msisdn.ok) push(`${at}.msisdn`, 'msisdn_format', 'must be an E.164 number such as "+33 6 00 00 00 01"');
    else if (seen.has(msisdn.value)) push(`${at}.msisdn`, 'duplicate_msisdn', 'two subscribers have this number');
    if (carrier === undefined || !msisdn.ok) return;
    seen.add(msisdn.value);
    const monthlyCap = storedMoney(entry.monthlyCap, carrier.currency, `${at}.monthlyCap`, push);
    if (monthlyCap === null) return;
    subscribers.push({ label: entry.label, msisdn: msisdn.value, billingCarrierId: carrier.id, status: entry.status, monthlyCap });
  });
  return subscribers;
}

/** Why a default cap cannot be offered with this tariff, or null when it can. */
function defaultCapProblem(cap: Money, tariff: Tariff): { rule: string; message: string } | null {
  const ceiling = PROFILES[tariff.profile].sessionAmountMax;
  if (cap.isZero()) return { rule: 'default_cap_zero', message: 'a zero cap would end every session at once' };
  if (tariff.maxCost !== null && cap.greaterThan(tariff.maxCost.amount)) {
    return { rule: 'default_cap_above_max_cost', message: `is above the tariff's maxCost ${tariff.maxCost.amount.toString()}` };
  }
  if (ceiling !== null && cap.greaterThan(ceiling)) {
    return { rule: 'default_cap_above_legal_ceiling', message: `is above the ${tariff.profile} ceiling of ${ceiling.toString()} per session` };
  }
  if (tariff.flatPrice !== null && tariff.flatPrice.amount.greaterThan(cap)) {
    return { rule: 'default_cap_below_flat_price', message: `is below the flat price ${tariff.flatPrice.amount.toString()}: no session could start` };
  }
  return null;
}

type OfferJson = MerchantsFile['merchants'][number]['offers'][number];

function offerFrom(
  entry: OfferJson, at: string, context: { merchantId: string; currency: Currency; tariffs: Readonly<Record<string, unknown>> }, push: Push,
): DemoOfferEntry | null {
  const tariffJson = context.tariffs[entry.tariff];
  if (tariffJson === undefined) {
    push(`${at}.tariff`, 'unknown_tariff', `fixtures/tariffs/${entry.tariff}.json does not exist`);
    return null;
  }
  const parsed = parseTariff(tariffJson, { profile: entry.profile });
  if (!parsed.ok) {
    for (const violation of parsed.error) push(`${at}.tariff(${entry.tariff}).${violation.field}`, violation.rule, violation.message);
    return null;
  }
  const tariff = parsed.value;
  if (tariff.currency !== context.currency) {
    push(`${at}.tariff`, 'currency_mismatch', `the tariff is in ${tariff.currency}, the hosting carrier settles in ${context.currency}`);
    return null;
  }
  const defaultCap = storedMoney(entry.defaultCap, tariff.currency, `${at}.defaultCap`, push);
  if (defaultCap === null) return null;
  const problem = defaultCapProblem(defaultCap, tariff);
  if (problem !== null) push(`${at}.defaultCap`, problem.rule, problem.message);
  // Hold billing is the tariff's: the offer copies it so the two can never disagree.
  const offer: Offer = {
    id: entry.id, merchantId: context.merchantId, name: entry.name, tariffHash: tariff.hash, mediaAllowed: [...new Set(entry.mediaAllowed)],
    defaultCap, holdBilled: tariff.holdBilled, profile: entry.profile, status: entry.status,
  };
  return { offer, tariff };
}

function merchantsFrom(
  file: MerchantsFile, carriers: ReadonlyMap<string, Carrier>, tariffs: Readonly<Record<string, unknown>>, push: Push,
): { merchants: Merchant[]; offers: DemoOfferEntry[] } {
  const repeatedMerchants = duplicates(file.merchants.map((m) => m.id));
  const repeatedOffers = duplicates(file.merchants.flatMap((m) => m.offers.map((o) => o.id)));
  const merchants: Merchant[] = [];
  const offers: DemoOfferEntry[] = [];
  file.merchants.forEach((entry, index) => {
    const at = `merchants[${index}]`;
    if (repeatedMerchants.has(entry.id)) push(`${at}.id`, 'duplicate_id', `${entry.id} names two merchants`);
    const carrier = carriers.get(entry.hostingCarrier);
    if (carrier === undefined) {
      push(`${at}.hostingCarrier`, 'unknown_carrier', `${entry.hostingCarrier} is not a carrier of carriers.json`);
      return;
    }
    const payoutMinimum = storedMoney(entry.payoutMinimum, carrier.currency, `${at}.payoutMinimum`, push);
    if (payoutMinimum !== null) {
      merchants.push({ id: entry.id, name: entry.name, hostingCarrierId: carrier.id, payoutDelayDays: entry.payoutDelayDays, payoutMinimum });
    }
    entry.offers.forEach((offerEntry, offerIndex) => {
      const offerAt = `${at}.offers[${offerIndex}]`;
      if (repeatedOffers.has(offerEntry.id)) push(`${offerAt}.id`, 'duplicate_id', `${offerEntry.id} names two offers`);
      const offer = offerFrom(offerEntry, offerAt, { merchantId: entry.id, currency: carrier.currency, tariffs }, push);
      if (offer !== null) offers.push(offer);
    });
  });
  return { merchants, offers };
}

/** Every party of `ids` has exactly one entry in `keys` (its terms), and every entry names a party. */
function oneEach(field: string, keys: readonly string[], ids: readonly string[], push: Push): void {
  keys.forEach((key, index) => {
    if (!ids.includes(key)) push(`${field}[${index}]`, 'unknown_party', `${key} is not in the data set`);
    else if (keys.indexOf(key) !== index) push(`${field}[${index}]`, 'terms_duplicate', `${key} has terms twice`);
  });
  for (const id of ids) if (!keys.includes(id)) push(field, 'terms_missing', `${id} has no terms`);
}

function termsFrom(
  file: z.infer<typeof agreementsFileSchema>, parties: { carriers: ReadonlyMap<string, Carrier>; merchantIds: readonly string[] }, push: Push,
): Pick<DemoDataSet, 'carrierTerms' | 'merchantTerms' | 'agreementsEffectiveFromMs'> {
  oneEach('carrierTerms', file.carrierTerms.map((t) => t.billingCarrier), [...parties.carriers.keys()], push);
  oneEach('merchantTerms', file.merchantTerms.map((t) => t.merchant), parties.merchantIds, push);
  const carrierTerms = file.carrierTerms.flatMap((entry, index) => {
    const carrier = parties.carriers.get(entry.billingCarrier);
    const collectionFeeRate = Rate.of(entry.collectionFeeRate);
    const badDebtRate = Rate.of(entry.badDebtRate);
    if (collectionFeeRate.plus(badDebtRate).compare(Rate.of('1')) >= 0) {
      push(`carrierTerms[${index}]`, 'fees_exceed_whole', 'the collection fee and the bad-debt provision take the whole price');
    }
    if (carrier === undefined) return [];
    const interconnectPerMinute = entry.interconnectPerMinute === null ? null : Money.of(entry.interconnectPerMinute, carrier.currency);
    return [{ billingCarrierId: carrier.id, terms: { collectionFeeRate, badDebtRate, interconnectPerMinute } }];
  });
  const merchantTerms = file.merchantTerms.map((entry) => ({ merchantId: entry.merchant, terms: { merchantShareRate: Rate.of(entry.merchantShareRate), wholesalePerMinute: null } }));
  // The schema accepted an ISO 8601 instant with an offset, which Date.parse reads exactly.
  return { carrierTerms, merchantTerms, agreementsEffectiveFromMs: Date.parse(file.effectiveFrom) };
}

function apiKeysFrom(
  file: z.infer<typeof apiKeysFileSchema>, parties: { carrierIds: readonly string[]; merchantIds: readonly string[] }, push: Push,
): DemoApiKeyEntry[] {
  return file.apiKeys.flatMap((entry, index) => {
    const scopes = entry.role === 'operator' ? parties.carrierIds : parties.merchantIds;
    if (!scopes.includes(entry.scope)) {
      push(`apiKeys[${index}].scope`, 'unknown_scope', `${entry.scope} is not a ${entry.role === 'operator' ? 'carrier' : 'merchant'} of the data set`);
      return [];
    }
    return [{ role: entry.role, scopeId: entry.scope, label: entry.label }];
  });
}

/**
 * Validates the demo data set: each file's structure, then what spans files (every reference
 * resolves, amounts are in the right carrier's currency, each offer's tariff parses under the
 * offer's profile and its default cap fits the tariff and the law, every party has its terms).
 *
 * @param tariffs tariff JSON by file name under fixtures/tariffs (`"kiosque-paliers"`).
 */
export function parseDemoDataSet(files: DemoDataSetFiles, tariffs: Readonly<Record<string, unknown>>): Result<DemoDataSet, Violation[]> {
  const out: Violation[] = [];
  const push: Push = (field, rule, message) => { out.push({ field, rule, message }); };
  const carriersFile = structure(carriersFileSchema, files.carriers, out);
  const subscribersFile = structure(subscribersFileSchema, files.subscribers, out);
  const merchantsFile = structure(merchantsFileSchema, files.merchants, out);
  const agreementsFile = structure(agreementsFileSchema, files.agreements, out);
  const apiKeysFile = structure(apiKeysFileSchema, files.apiKeys, out);
  if (carriersFile === null || subscribersFile === null || merchantsFile === null || agreementsFile === null || apiKeysFile === null) return err(out);

  const carriers = carriersFrom(carriersFile, push);
  const carrierById = new Map(carriers.map((carrier) => [carrier.id, carrier]));
  const subscribers = subscribersFrom(subscribersFile, carrierById, push);
  const { merchants, offers } = merchantsFrom(merchantsFile, carrierById, tariffs, push);
  const merchantIds = merchants.map((merchant) => merchant.id);
  const terms = termsFrom(agreementsFile, { carriers: carrierById, merchantIds }, push);
  const apiKeys = apiKeysFrom(apiKeysFile, { carrierIds: [...carrierById.keys()], merchantIds }, push);
  if (out.length > 0) return err(out);
  return ok({ carriers, subscribers, merchants, offers, ...terms, apiKeys });
}
