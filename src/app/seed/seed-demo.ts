/**
 * Seeding the demo: loads the demo data set through the Store port in one transaction (tariffs,
 * carriers, subscribers, merchants, offers, agreements, API keys) and hands back the demo
 * credentials. API key secrets exist only in the returned value; storage keeps their SHA-256.
 * Subscriber numbers exist only in memory; storage keeps their keyed HMAC.
 */
import {
  type Agreement, type ApiKeyRole, assert, hashApiKeySecret, pseudonymiseMsisdn, type SubscriberStatus,
} from '../../domain/index.ts';
import { MSISDN_KEY_BYTES_MIN } from '../limits.ts';
import type { IdGenerator, Store } from '../ports/index.ts';
import type { DemoDataSet } from './demo-data-set.ts';
import { loadDemoDataSet } from './load-demo-data-set.ts';

export interface SeedDemoOptions {
  /** The instant of the seed (epoch ms): every record's creation time. */
  readonly nowMs: number;
  readonly ids: IdGenerator;
  /** The HMAC key subscriber numbers are pseudonymised with: at least `MSISDN_KEY_BYTES_MIN` bytes. */
  readonly msisdnKey: Uint8Array;
  /** Draws a fresh random API key secret, such as `pk_demo_…` (randomness stays out of this module). */
  readonly newApiSecret: () => string;
  /** The data set to load; by default the one shipped in fixtures/demo. */
  readonly dataSet?: DemoDataSet;
}

/** One demo API key: the secret is shown once and never stored. */
export interface DemoApiKeyCredential {
  readonly keyId: string;
  readonly role: ApiKeyRole;
  /** The carrier (operator key) or merchant (merchant key) it acts for. */
  readonly scopeId: string;
  readonly label: string;
  readonly secret: string;
}

/** One demo subscriber: the number to type in the demo, and the id it got. */
export interface DemoSubscriber {
  readonly id: string;
  readonly label: string;
  /** E.164. */
  readonly msisdn: string;
  readonly billingCarrierId: string;
  readonly status: SubscriberStatus;
}

/** What a seed created. */
export interface DemoSeed {
  readonly apiKeys: readonly DemoApiKeyCredential[];
  readonly subscribers: readonly DemoSubscriber[];
  readonly counts: {
    readonly carriers: number;
    readonly subscribers: number;
    readonly merchants: number;
    readonly offers: number;
    readonly tariffs: number;
    readonly agreements: number;
    readonly apiKeys: number;
  };
}

/** True when the database holds no carrier: nothing can have been set up without one. */
export async function isDatabaseEmpty(store: Store): Promise<boolean> {
  return (await store.listCarriers()).length === 0;
}

async function insertSubscribers(store: Store, dataSet: DemoDataSet, options: SeedDemoOptions): Promise<DemoSubscriber[]> {
  const subscribers: DemoSubscriber[] = [];
  for (const entry of dataSet.subscribers) {
    const id = options.ids.newId('sub');
    await store.insertSubscriber({
      id, msisdnHmac: pseudonymiseMsisdn(entry.msisdn, options.msisdnKey), billingCarrierId: entry.billingCarrierId,
      monthlyCap: entry.monthlyCap, status: entry.status,
    }, options.nowMs);
    subscribers.push({ id, label: entry.label, msisdn: entry.msisdn, billingCarrierId: entry.billingCarrierId, status: entry.status });
  }
  return subscribers;
}

/** Every (billing, hosting) pair of carriers on the billing carrier's terms, then each merchant with its host. */
function agreementsOf(dataSet: DemoDataSet, ids: IdGenerator): Agreement[] {
  const effective = { effectiveFromMs: dataSet.agreementsEffectiveFromMs, effectiveToMs: null };
  const carrierAgreements = dataSet.carrierTerms.flatMap(({ billingCarrierId, terms }) => dataSet.carriers.map((hosting): Agreement => ({
    id: ids.newId('agr'), kind: 'carrier', billingCarrierId, hostingCarrierId: hosting.id, terms, ...effective,
  })));
  const merchantAgreements = dataSet.merchantTerms.map(({ merchantId, terms }): Agreement => {
    const merchant = dataSet.merchants.find((m) => m.id === merchantId);
    assert(merchant !== undefined, `merchant terms for ${merchantId} name a merchant of the data set`);
    return { id: ids.newId('agr'), kind: 'merchant', merchantId, hostingCarrierId: merchant.hostingCarrierId, terms, ...effective };
  });
  return [...carrierAgreements, ...merchantAgreements];
}

async function insertApiKeys(store: Store, dataSet: DemoDataSet, options: SeedDemoOptions): Promise<DemoApiKeyCredential[]> {
  const credentials: DemoApiKeyCredential[] = [];
  for (const entry of dataSet.apiKeys) {
    const keyId = options.ids.newId('key');
    const secret = options.newApiSecret();
    await store.insertApiKey({ id: keyId, keyHash: hashApiKeySecret(secret), role: entry.role, scopeId: entry.scopeId, label: entry.label, revokedAtMs: null }, options.nowMs);
    credentials.push({ keyId, role: entry.role, scopeId: entry.scopeId, label: entry.label, secret });
  }
  // A generator that repeats itself is a bug: two keys with one secret could not be told apart.
  assert(new Set(credentials.map((c) => c.secret)).size === credentials.length, 'every demo API key has its own secret');
  return credentials;
}

/**
 * Loads the demo data set into `store`, all or nothing (one transaction). Run it on an empty
 * database ({@link ensureSeeded} checks); on a seeded one the demo ids collide and it throws.
 *
 * @example
 * const seed = await seedDemo(store, { nowMs: Date.now(), ids: ulidGenerator(), msisdnKey, newApiSecret });
 * seed.apiKeys[0] // { keyId: 'key_…', role: 'operator', scopeId: 'car_orange', label: 'Orange operator (demo)', secret: 'pk_demo_…' }
 */
export async function seedDemo(store: Store, options: SeedDemoOptions): Promise<DemoSeed> {
  assert(options.msisdnKey.length >= MSISDN_KEY_BYTES_MIN, `the MSISDN key has at least ${MSISDN_KEY_BYTES_MIN} bytes`);
  const dataSet = options.dataSet ?? loadDemoDataSet();
  return store.transaction(async (tx) => {
    const tariffs = new Map(dataSet.offers.map(({ tariff }) => [tariff.hash, tariff]));
    for (const tariff of tariffs.values()) await tx.publishTariff(tariff, options.nowMs);
    for (const carrier of dataSet.carriers) await tx.insertCarrier(carrier, options.nowMs);
    const subscribers = await insertSubscribers(tx, dataSet, options);
    for (const merchant of dataSet.merchants) await tx.insertMerchant(merchant, options.nowMs);
    for (const { offer } of dataSet.offers) await tx.insertOffer(offer, options.nowMs);
    const agreements = agreementsOf(dataSet, options.ids);
    for (const agreement of agreements) await tx.insertAgreement(agreement, options.nowMs);
    const apiKeys = await insertApiKeys(tx, dataSet, options);
    return {
      apiKeys, subscribers,
      counts: {
        carriers: dataSet.carriers.length, subscribers: subscribers.length, merchants: dataSet.merchants.length, offers: dataSet.offers.length,
        tariffs: tariffs.size, agreements: agreements.length, apiKeys: apiKeys.length,
      },
    };
  });
}

/**
 * Seeds the demo when the database is empty and returns what it created, or null when the
 * database already holds data (then nothing is written). Safe to call at every start.
 *
 * Two instances starting together on PostgreSQL may both find the database empty; the second
 * one's inserts then collide with the first one's and roll back. That race is an expected
 * outcome, so it returns null when the database turns out to be seeded after all.
 */
export async function ensureSeeded(store: Store, options: SeedDemoOptions): Promise<DemoSeed | null> {
  try {
    return await store.transaction(async (tx) => (await isDatabaseEmpty(tx)) ? seedDemo(tx, options) : null);
  } catch (error) {
    if (!(await isDatabaseEmpty(store))) return null;
    throw error;
  }
}
