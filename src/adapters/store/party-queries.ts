/** Carriers, subscribers, merchants, offers, agreements, API keys and tariff versions: rows ⇄ domain. */
import type { Kysely, Selectable } from 'kysely';
import {
  type Agreement, type ApiKey, assert, type Carrier, type Currency, isCurrency, isProfileId, type Medium, type Merchant, Money, type Offer,
  parseTariff, Rate, type Subscriber, type Tariff, tariffToJson,
} from '../../domain/index.ts';
import { TARIFF_VERSIONS_CACHED_MAX } from './limits.ts';
import { prepared, rowBy } from './prepared.ts';
import { asBigInt, asBoolean, asNumber, asNumberOrNull } from './row-values.ts';
import type { AgreementsTable, CarrierCodesTable, Database, MerchantsTable, OffersTable, SubscribersTable } from './tables.ts';

type Db = Kysely<Database>;

function currency(value: string): Currency {
  assert(isCurrency(value), () => `stored currency ${value} is known`);
  return value;
}

export async function insertCarrier(db: Db, carrier: Carrier, atMs: number): Promise<void> {
  await db.insertInto('carriers').values({
    id: carrier.id, name: carrier.name, country: carrier.country, currency: carrier.currency, time_zone: carrier.timeZone, created_at_ms: atMs,
  }).execute();
  if (carrier.mccMncCodes.length > 0) {
    await db.insertInto('carrier_codes').values(carrier.mccMncCodes.map((code) => ({ mcc_mnc: code, carrier_id: carrier.id }))).execute();
  }
}

const carrierById = rowBy('carriers', 'id');
const codesOfCarrier = prepared<{ id: string }, Selectable<CarrierCodesTable>>((db, arg) => db.selectFrom('carrier_codes').selectAll()
  .where('carrier_id', '=', arg('id')).orderBy('mcc_mnc'));

export async function listCarriers(db: Db, id?: string): Promise<Carrier[]> {
  const rows = id === undefined ? await db.selectFrom('carriers').selectAll().orderBy('id').execute() : (await carrierById.execute(db, { value: id })).rows;
  if (rows.length === 0) return [];
  const codes = id === undefined
    ? await db.selectFrom('carrier_codes').selectAll().where('carrier_id', 'in', rows.map((r) => r.id)).orderBy('mcc_mnc').execute()
    : (await codesOfCarrier.execute(db, { id })).rows;
  return rows.map((row) => ({
    id: row.id, name: row.name, country: row.country, currency: currency(row.currency), timeZone: row.time_zone,
    mccMncCodes: codes.filter((code) => code.carrier_id === row.id).map((code) => code.mcc_mnc),
  }));
}

function subscriberFrom(row: Selectable<SubscribersTable>): Subscriber {
  assert(row.status === 'active' || row.status === 'barred', `subscriber status ${row.status}`);
  return {
    id: row.id, msisdnHmac: row.msisdn_hmac, billingCarrierId: row.billing_carrier_id,
    monthlyCap: Money.fromMinorUnits(asBigInt(row.monthly_cap_minor), currency(row.currency)), status: row.status,
  };
}

export async function insertSubscriber(db: Db, subscriber: Subscriber, atMs: number): Promise<void> {
  await db.insertInto('subscribers').values({
    id: subscriber.id, msisdn_hmac: subscriber.msisdnHmac, billing_carrier_id: subscriber.billingCarrierId,
    monthly_cap_minor: subscriber.monthlyCap.toMinorUnits(), currency: subscriber.monthlyCap.currency, status: subscriber.status, created_at_ms: atMs,
  }).execute();
}

const subscriberBy = { id: rowBy('subscribers', 'id'), msisdn_hmac: rowBy('subscribers', 'msisdn_hmac') };

export async function findSubscriber(db: Db, column: 'id' | 'msisdn_hmac', value: string): Promise<Subscriber | null> {
  const row = await subscriberBy[column].first(db, { value });
  return row === undefined ? null : subscriberFrom(row);
}

function merchantFrom(row: Selectable<MerchantsTable>, payoutCurrency: Currency): Merchant {
  return {
    id: row.id, name: row.name, hostingCarrierId: row.hosting_carrier_id, payoutDelayDays: asNumber(row.payout_delay_days),
    payoutMinimum: Money.fromMinorUnits(asBigInt(row.payout_minimum_minor), payoutCurrency),
  };
}

export async function insertMerchant(db: Db, merchant: Merchant, atMs: number): Promise<void> {
  await db.insertInto('merchants').values({
    id: merchant.id, name: merchant.name, hosting_carrier_id: merchant.hostingCarrierId, payout_delay_days: merchant.payoutDelayDays,
    payout_minimum_minor: merchant.payoutMinimum.toMinorUnits(), created_at_ms: atMs,
  }).execute();
}

const merchantsQuery = (db: Db) => db.selectFrom('merchants').innerJoin('carriers', 'carriers.id', 'merchants.hosting_carrier_id')
  .selectAll('merchants').select('carriers.currency as payout_currency').orderBy('merchants.id');
const merchantById = prepared<{ id: string }, Selectable<MerchantsTable> & { payout_currency: string }>((db, arg) => merchantsQuery(db).where('merchants.id', '=', arg('id')));

/** Merchants are paid in their hosting carrier's currency. */
export async function listMerchants(db: Db, id?: string): Promise<Merchant[]> {
  const rows = id === undefined ? await merchantsQuery(db).execute() : (await merchantById.execute(db, { id })).rows;
  return rows.map((row) => merchantFrom(row, currency(row.payout_currency)));
}

function offerFrom(row: Selectable<OffersTable>, offerCurrency: Currency): Offer {
  assert(isProfileId(row.profile), `offer profile ${row.profile}`);
  assert(row.status === 'active' || row.status === 'retired', `offer status ${row.status}`);
  return {
    id: row.id, merchantId: row.merchant_id, name: row.name, tariffHash: row.tariff_hash,
    mediaAllowed: row.media_allowed.split(',').filter((m) => m !== '') as Medium[],
    defaultCap: Money.fromMinorUnits(asBigInt(row.default_cap_minor), offerCurrency), holdBilled: asBoolean(row.hold_billed),
    profile: row.profile, status: row.status,
  };
}

export async function insertOffer(db: Db, offer: Offer, atMs: number): Promise<void> {
  await db.insertInto('offers').values({
    id: offer.id, merchant_id: offer.merchantId, name: offer.name, tariff_hash: offer.tariffHash, media_allowed: offer.mediaAllowed.join(','),
    default_cap_minor: offer.defaultCap.toMinorUnits(), hold_billed: offer.holdBilled ? 1 : 0, profile: offer.profile, status: offer.status,
    created_at_ms: atMs,
  }).execute();
}

const offersQuery = (db: Db) => db.selectFrom('offers').innerJoin('tariff_versions', 'tariff_versions.hash', 'offers.tariff_hash')
  .selectAll('offers').select('tariff_versions.currency as offer_currency').orderBy('offers.id');
const offerById = prepared<{ id: string }, Selectable<OffersTable> & { offer_currency: string }>((db, arg) => offersQuery(db).where('offers.id', '=', arg('id')));

/** Offers are in their tariff's currency. */
export async function listOffers(db: Db, filter: { id?: string; merchantId?: string }): Promise<Offer[]> {
  let rows;
  if (filter.id !== undefined && filter.merchantId === undefined) rows = (await offerById.execute(db, { id: filter.id })).rows;
  else {
    let query = offersQuery(db);
    if (filter.id !== undefined) query = query.where('offers.id', '=', filter.id);
    if (filter.merchantId !== undefined) query = query.where('offers.merchant_id', '=', filter.merchantId);
    rows = await query.execute();
  }
  return rows.map((row) => offerFrom(row, currency(row.offer_currency)));
}

interface StoredCarrierTerms { collectionFeeRate: string; badDebtRate: string; interconnectPerMinute: { amount: string; currency: string } | null }
interface StoredMerchantTerms { merchantShareRate: string | null; wholesalePerMinute?: { amount: string; currency: string } | null }

function agreementFrom(row: Selectable<AgreementsTable>): Agreement {
  const base = {
    id: row.id, hostingCarrierId: row.hosting_carrier_id, effectiveFromMs: asNumber(row.effective_from_ms),
    effectiveToMs: asNumberOrNull(row.effective_to_ms),
  };
  if (row.kind === 'carrier') {
    const terms = JSON.parse(row.terms_json) as StoredCarrierTerms;
    assert(row.billing_carrier_id !== null, 'carrier agreement names its billing carrier');
    return {
      ...base, kind: 'carrier', billingCarrierId: row.billing_carrier_id,
      terms: {
        collectionFeeRate: Rate.of(terms.collectionFeeRate), badDebtRate: Rate.of(terms.badDebtRate),
        interconnectPerMinute: terms.interconnectPerMinute === null ? null : Money.of(terms.interconnectPerMinute.amount, currency(terms.interconnectPerMinute.currency)),
      },
    };
  }
  assert(row.kind === 'merchant' && row.merchant_id !== null, `agreement kind ${row.kind}`);
  const terms = JSON.parse(row.terms_json) as StoredMerchantTerms;
  const wholesale = terms.wholesalePerMinute ?? null;
  return {
    ...base, kind: 'merchant', merchantId: row.merchant_id,
    terms: {
      merchantShareRate: terms.merchantShareRate === null ? null : Rate.of(terms.merchantShareRate),
      wholesalePerMinute: wholesale === null ? null : Money.of(wholesale.amount, currency(wholesale.currency)),
    },
  };
}

export async function insertAgreement(db: Db, agreement: Agreement, atMs: number): Promise<void> {
  const terms = agreement.kind === 'carrier'
    ? {
      collectionFeeRate: agreement.terms.collectionFeeRate.toString(), badDebtRate: agreement.terms.badDebtRate.toString(),
      interconnectPerMinute: agreement.terms.interconnectPerMinute === null ? null
        : { amount: agreement.terms.interconnectPerMinute.toString(), currency: agreement.terms.interconnectPerMinute.currency },
    } satisfies StoredCarrierTerms
    : {
      merchantShareRate: agreement.terms.merchantShareRate?.toString() ?? null,
      wholesalePerMinute: agreement.terms.wholesalePerMinute === null ? null
        : { amount: agreement.terms.wholesalePerMinute.toString(), currency: agreement.terms.wholesalePerMinute.currency },
    } satisfies StoredMerchantTerms;
  await db.insertInto('agreements').values({
    id: agreement.id, kind: agreement.kind, hosting_carrier_id: agreement.hostingCarrierId,
    billing_carrier_id: agreement.kind === 'carrier' ? agreement.billingCarrierId : null,
    merchant_id: agreement.kind === 'merchant' ? agreement.merchantId : null,
    terms_json: JSON.stringify(terms), effective_from_ms: agreement.effectiveFromMs, effective_to_ms: agreement.effectiveToMs, created_at_ms: atMs,
  }).execute();
}

/**
 * Sets the end of an open-ended version: an UPDATE of `effective_to_ms` only, and only while it
 * is null, so a closed version is never moved (two concurrent closes: the second gets
 * `already_closed`). The end must come after the version's start.
 */
export async function closeAgreement(db: Db, id: string, effectiveToMs: number): Promise<'closed' | 'already_closed' | 'not_found'> {
  const row = await db.selectFrom('agreements').select(['effective_from_ms', 'effective_to_ms']).where('id', '=', id).executeTakeFirst();
  if (row === undefined) return 'not_found';
  assert(effectiveToMs > asNumber(row.effective_from_ms), `agreement ${id} ends after it starts`);
  const result = await db.updateTable('agreements').set({ effective_to_ms: effectiveToMs })
    .where('id', '=', id).where('effective_to_ms', 'is', null).executeTakeFirst();
  return result.numUpdatedRows > 0n ? 'closed' : 'already_closed';
}

/** Every version of the agreement of `kind` between a hosting carrier and the other party (a billing carrier, a merchant), oldest first. */
const versionsBetween = (kind: Agreement['kind'], partyColumn: 'billing_carrier_id' | 'merchant_id') => prepared<{ hosting: string; party: string }, Selectable<AgreementsTable>>(
  (db, arg) => db.selectFrom('agreements').selectAll()
    .where('kind', '=', kind).where('hosting_carrier_id', '=', arg('hosting')).where(partyColumn, '=', arg('party'))
    .orderBy('effective_from_ms').orderBy('id'),
);
const versionsOf = { carrier: versionsBetween('carrier', 'billing_carrier_id'), merchant: versionsBetween('merchant', 'merchant_id') };

export async function agreementVersions(db: Db, kind: Agreement['kind'], hostingCarrierId: string, party: string): Promise<Agreement[]> {
  return (await versionsOf[kind].execute(db, { hosting: hostingCarrierId, party })).rows.map(agreementFrom);
}

/** The versions in force at `atMs`, in their order: started at or before it, not ended at it. */
export function inForceAt(versions: readonly Agreement[], atMs: number): Agreement[] {
  return versions.filter((a) => a.effectiveFromMs <= atMs && (a.effectiveToMs === null || a.effectiveToMs > atMs));
}

export async function listAgreements(
  db: Db, filter: { kind: Agreement['kind']; hostingCarrierId?: string; billingCarrierId?: string; merchantId?: string; atMs?: number },
): Promise<Agreement[]> {
  let query = db.selectFrom('agreements').selectAll().where('kind', '=', filter.kind).orderBy('effective_from_ms').orderBy('id');
  if (filter.hostingCarrierId !== undefined) query = query.where('hosting_carrier_id', '=', filter.hostingCarrierId);
  if (filter.billingCarrierId !== undefined) query = query.where('billing_carrier_id', '=', filter.billingCarrierId);
  if (filter.merchantId !== undefined) query = query.where('merchant_id', '=', filter.merchantId);
  if (filter.atMs !== undefined) {
    const at = filter.atMs;
    query = query.where('effective_from_ms', '<=', at).where((eb) => eb.or([eb('effective_to_ms', 'is', null), eb('effective_to_ms', '>', at)]));
  }
  return (await query.execute()).map(agreementFrom);
}

function apiKeyFrom(row: Selectable<Database['api_keys']>): ApiKey {
  assert(row.role === 'operator' || row.role === 'merchant', `api key role ${row.role}`);
  return { id: row.id, keyHash: row.key_hash, role: row.role, scopeId: row.scope_id, label: row.label, revokedAtMs: asNumberOrNull(row.revoked_at_ms) };
}

export async function insertApiKey(db: Db, key: ApiKey, atMs: number): Promise<void> {
  await db.insertInto('api_keys').values({
    id: key.id, key_hash: key.keyHash, role: key.role, scope_id: key.scopeId, label: key.label, created_at_ms: atMs, revoked_at_ms: key.revokedAtMs,
  }).execute();
}

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKey | null> {
  const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
  return row === undefined ? null : apiKeyFrom(row);
}

export async function publishTariff(db: Db, tariff: Tariff, atMs: number): Promise<'created' | 'exists'> {
  const existing = await db.selectFrom('tariff_versions').select('hash').where('hash', '=', tariff.hash).executeTakeFirst();
  if (existing !== undefined) return 'exists';
  await db.insertInto('tariff_versions').values({
    hash: tariff.hash, canonical_json: JSON.stringify(tariffToJson(tariff)), currency: tariff.currency, profile: tariff.profile, published_at_ms: atMs,
  }).execute();
  return 'created';
}

/**
 * Parsed tariff versions by hash, shared by every reader. A version is immutable and addressed by
 * the hash of its canonical JSON, and parsing is pure, so one parsed value serves every session on
 * it — and with it one compiled form and one band-timeline cache (compileTariff caches per tariff
 * object), instead of a parse, a compilation and a cache per session. The row is still read each
 * time; only its parse is skipped, and only when the stored JSON is the very text parsed before.
 */
const parsedTariffs = new Map<string, { readonly canonicalJson: string; readonly tariff: Tariff }>();

const tariffJson = prepared<{ hash: string }, { canonical_json: string }>((db, arg) => db.selectFrom('tariff_versions').select('canonical_json').where('hash', '=', arg('hash')));

export async function getTariff(db: Db, hash: string): Promise<Tariff | null> {
  const row = await tariffJson.first(db, { hash });
  if (row === undefined) return null;
  const cached = parsedTariffs.get(hash);
  if (cached?.canonicalJson === row.canonical_json) return cached.tariff;
  const parsed = parseTariff(JSON.parse(row.canonical_json) as unknown);
  assert(parsed.ok && parsed.value.hash === hash, `stored tariff ${hash} parses to the same version`);
  if (parsedTariffs.size >= TARIFF_VERSIONS_CACHED_MAX) {
    const oldest = parsedTariffs.keys().next();
    if (oldest.done !== true) parsedTariffs.delete(oldest.value);
  }
  parsedTariffs.set(hash, { canonicalJson: row.canonical_json, tariff: parsed.value });
  return parsed.value;
}
