import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { base32, msisdnKeyFilePath, newApiSecret, resolveMsisdnKey, writeDemoCredentialsFile } from '../../src/adapters/secrets/index.ts';
import { KyselyStore } from '../../src/adapters/store/index.ts';
import type { Store } from '../../src/app/ports/index.ts';
import {
  type DemoDataSetFiles, type DemoSeed, ensureSeeded, isDatabaseEmpty, loadDemoDataSet, parseDemoDataSet,
} from '../../src/app/seed/index.ts';
import { checkProfile, hashApiKeySecret, pseudonymiseMsisdn } from '../../src/domain/index.ts';
import { describeEachDatabase } from '../support/databases.ts';
import { readJson } from '../support/fixtures.ts';

const SEEDED_AT_MS = Date.parse('2026-02-02T09:00:00Z');
const EFFECTIVE_FROM_MS = Date.parse('2026-01-01T00:00:00+01:00');
/** A fixed 32-byte key: the test must be able to recompute the HMACs. */
const MSISDN_KEY = new Uint8Array(32).fill(0x5a);

/** Every value of a table's rows as one string, bigints included, to search for leaked values. */
function tableText(rows: readonly unknown[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

const E212: Record<string, readonly string[]> = {
  car_orange: ['208-01', '208-02'],
  car_sfr: ['208-08', '208-09', '208-10', '208-11', '208-13'],
  car_bouygues: ['208-20', '208-88'],
  car_free: ['208-15', '208-16'],
  car_orange_be: ['206-10'],
};

describeEachDatabase('seed: the demo data set', ({ database }) => {
  let store: Store;
  let seed: DemoSeed;
  before(async () => {
    store = new KyselyStore(database().db, database().dialect);
    assert.equal(await isDatabaseEmpty(store), true);
    const seeded = await ensureSeeded(store, { nowMs: SEEDED_AT_MS, ids: ulidGenerator(() => SEEDED_AT_MS), msisdnKey: MSISDN_KEY, newApiSecret: () => newApiSecret() });
    assert.ok(seeded !== null, 'an empty database is seeded');
    seed = seeded;
  });

  it('creates the four French carriers and Orange Belgium with their E.212 codes, currency and zone', async () => {
    const carriers = await store.listCarriers();
    assert.deepEqual(Object.fromEntries(carriers.map((c) => [c.id, [...c.mccMncCodes].sort()])), E212);
    const belgium = await store.getCarrier('car_orange_be');
    assert.deepEqual([belgium?.country, belgium?.currency, belgium?.timeZone], ['BE', 'EUR', 'Europe/Brussels']);
    for (const id of ['car_orange', 'car_sfr', 'car_bouygues', 'car_free']) {
      const carrier = await store.getCarrier(id);
      assert.deepEqual([carrier?.country, carrier?.currency, carrier?.timeZone], ['FR', 'EUR', 'Europe/Paris']);
    }
  });

  it('stores subscribers on at least three carriers by the HMAC of their number only', async () => {
    assert.ok(new Set(seed.subscribers.map((s) => s.billingCarrierId)).size >= 3);
    for (const subscriber of seed.subscribers) {
      const found = await store.findSubscriberByMsisdnHmac(pseudonymiseMsisdn(subscriber.msisdn, MSISDN_KEY));
      assert.equal(found?.id, subscriber.id);
      assert.equal(found.billingCarrierId, subscriber.billingCarrierId);
      assert.equal(found.status, subscriber.status);
    }
    assert.equal(seed.subscribers.filter((s) => s.status === 'barred').length, 1);
    assert.equal((await store.getSubscriber(seed.subscribers[0]?.id ?? ''))?.monthlyCap.toString(), '300.00');
    const text = tableText(await database().db.selectFrom('subscribers').selectAll().execute());
    for (const { msisdn } of seed.subscribers) {
      // The number in any of its usual spellings: E.164, without "+", national digits.
      for (const spelling of [msisdn, msisdn.slice(1), msisdn.slice(3)]) assert.ok(!text.includes(spelling), `${spelling} is not stored`);
    }
  });

  it('creates three merchants, each on a hosting carrier, with offers whose tariffs are published and pass their profiles', async () => {
    const merchants = await store.listMerchants();
    assert.equal(merchants.length, 3);
    const profiles = new Set<string>();
    for (const merchant of merchants) {
      assert.ok((await store.getCarrier(merchant.hostingCarrierId)) !== null);
      assert.equal(merchant.payoutMinimum.toString(), '15.00');
      const offers = await store.listOffers({ merchantId: merchant.id });
      assert.ok(offers.length >= 1, `${merchant.id} has an offer`);
      for (const offer of offers) {
        const tariff = await store.getTariff(offer.tariffHash);
        assert.ok(tariff !== null, `${offer.id}'s tariff is published`);
        assert.equal(tariff.profile, offer.profile);
        assert.deepEqual(checkProfile(tariff, offer.profile), []);
        assert.ok(!offer.defaultCap.greaterThan(tariff.maxCost?.amount ?? offer.defaultCap));
        profiles.add(offer.profile);
      }
    }
    assert.deepEqual([...profiles].sort(), ['fr-carrier-billing', 'fr-sva-2015', 'minitel-kiosque']);
    const windows = await store.getOffer('off_windows_help');
    assert.equal((await store.getTariff(windows?.tariffHash ?? ''))?.tiers.length, 3);
  });

  it('agrees every (billing, hosting) carrier pair from 2026-01-01, without an interconnect fee, and each merchant with its host', async () => {
    const carriers = await store.listCarriers();
    for (const billing of carriers) {
      for (const hosting of carriers) {
        const agreement = await store.carrierAgreementAt(billing.id, hosting.id, EFFECTIVE_FROM_MS);
        assert.ok(agreement !== null, `${billing.id} → ${hosting.id}`);
        assert.equal(agreement.terms.interconnectPerMinute, null);
        assert.ok(!agreement.terms.collectionFeeRate.isZero() && !agreement.terms.badDebtRate.isNegative());
        assert.equal(await store.carrierAgreementAt(billing.id, hosting.id, EFFECTIVE_FROM_MS - 1), null);
      }
    }
    assert.equal((await store.listAgreements({ kind: 'carrier' })).length, carriers.length ** 2);
    for (const merchant of await store.listMerchants()) {
      const agreement = await store.merchantAgreementAt(merchant.hostingCarrierId, merchant.id, EFFECTIVE_FROM_MS);
      assert.ok(agreement !== null, merchant.id);
      const share = agreement.terms.merchantShareRate;
      assert.ok(share !== null && !share.isZero() && !share.isNegative());
    }
    assert.equal((await store.listAgreements({ kind: 'merchant' })).length, 3);
  });

  it('creates an operator key per French carrier and a merchant key per merchant, stored as SHA-256 only', async () => {
    assert.deepEqual(seed.apiKeys.filter((k) => k.role === 'operator').map((k) => k.scopeId).sort(), ['car_bouygues', 'car_free', 'car_orange', 'car_sfr']);
    assert.deepEqual(seed.apiKeys.filter((k) => k.role === 'merchant').map((k) => k.scopeId).sort(), (await store.listMerchants()).map((m) => m.id).sort());
    const rows = await database().db.selectFrom('api_keys').selectAll().execute();
    const text = tableText(rows);
    for (const credential of seed.apiKeys) {
      assert.match(credential.secret, /^pk_demo_[a-z2-7]{32}$/);
      assert.ok(!text.includes(credential.secret.slice('pk_demo_'.length)), 'the secret is not stored');
      const key = await store.findApiKeyByHash(hashApiKeySecret(credential.secret));
      assert.deepEqual(key, { id: credential.keyId, keyHash: hashApiKeySecret(credential.secret), role: credential.role, scopeId: credential.scopeId, label: credential.label, revokedAtMs: null });
    }
    assert.ok(rows.every((row) => /^[0-9a-f]{64}$/.test(row.key_hash)));
  });

  it('ensureSeeded on a seeded database is a no-op', async () => {
    const counts = async (): Promise<number[]> => Promise.all((['carriers', 'subscribers', 'merchants', 'offers', 'agreements', 'api_keys', 'tariff_versions'] as const)
      .map(async (table) => (await database().db.selectFrom(table).selectAll().execute()).length));
    const before = await counts();
    assert.equal(await isDatabaseEmpty(store), false);
    assert.equal(await ensureSeeded(store, { nowMs: SEEDED_AT_MS, ids: ulidGenerator(), msisdnKey: MSISDN_KEY, newApiSecret: () => newApiSecret() }), null);
    assert.deepEqual(await counts(), before);
  });

  describe('the credentials file', () => {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'palier-credentials-')); });
    after(() => { rmSync(dir, { recursive: true, force: true }); });

    it('holds every secret and demo number, readable by its owner only (0600)', () => {
      const path = join(dir, 'data', 'demo-credentials.json');
      writeDemoCredentialsFile(path, seed, { seededAtMs: SEEDED_AT_MS, database: 'test' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const written = JSON.parse(readFileSync(path, 'utf8')) as { apiKeys: { secret: string }[]; subscribers: { msisdn: string }[]; seededAt: string };
      assert.deepEqual(written.apiKeys.map((k) => k.secret), seed.apiKeys.map((k) => k.secret));
      assert.deepEqual(written.subscribers.map((s) => s.msisdn), seed.subscribers.map((s) => s.msisdn));
      assert.equal(written.seededAt, '2026-02-02T09:00:00.000Z');
    });
  });
});

describe('seed: secrets', () => {
  it('hashApiKeySecret is the hex SHA-256 of the UTF-8 secret (FIPS 180-2 "abc" vector)', () => {
    assert.equal(hashApiKeySecret('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('base32 follows RFC 4648 §10 (lower case, no padding) and secrets are 160 random bits', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [input, expected] of vectors) assert.equal(base32(new TextEncoder().encode(input)), expected);
    const secrets = new Set(Array.from({ length: 100 }, () => newApiSecret()));
    assert.equal(secrets.size, 100);
  });
});

describe('seed: the MSISDN key', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'palier-msisdn-key-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('lives beside the SQLite file; PostgreSQL has no key file', () => {
    assert.equal(msisdnKeyFilePath({ dialect: 'sqlite', path: 'data/palier.sqlite' }), 'data/msisdn.key');
    assert.equal(msisdnKeyFilePath({ dialect: 'postgres', url: 'postgres://h/db' }), null);
  });

  it('is generated once (32 random bytes, mode 0600), then read back unchanged', () => {
    const path = join(dir, 'nested', 'msisdn.key');
    const created = resolveMsisdnKey({ env: {}, keyFilePath: path });
    assert.ok(created.ok && created.value.source === 'file_created' && created.value.key.length === 32);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const again = resolveMsisdnKey({ env: {}, keyFilePath: path });
    assert.ok(again.ok && again.value.source === 'file');
    assert.deepEqual(again.value.key, created.value.key);
  });

  it('PALIER_MSISDN_KEY wins over the file; without it PostgreSQL is refused; a damaged file is refused', () => {
    const fromEnv = resolveMsisdnKey({ env: { PALIER_MSISDN_KEY: '0A'.repeat(40) }, keyFilePath: join(dir, 'unused.key') });
    assert.ok(fromEnv.ok && fromEnv.value.source === 'env' && fromEnv.value.key.length === 40 && fromEnv.value.key[0] === 10);
    const postgres = resolveMsisdnKey({ env: {}, keyFilePath: null });
    assert.equal(postgres.ok ? null : postgres.error.code, 'msisdn_key_required');
    const damaged = join(dir, 'damaged.key');
    writeFileSync(damaged, 'abcd\n');
    const refused = resolveMsisdnKey({ env: {}, keyFilePath: damaged });
    assert.equal(refused.ok ? null : refused.error.code, 'msisdn_key_file_invalid');
    assert.equal(readFileSync(damaged, 'utf8'), 'abcd\n', 'a damaged key file is never replaced');
  });
});

describe('seed: the demo data set is validated across files', () => {
  const files = (): DemoDataSetFiles => ({
    carriers: readJson('demo/carriers.json'), subscribers: readJson('demo/subscribers.json'), merchants: readJson('demo/merchants.json'),
    agreements: readJson('demo/agreements.json'), apiKeys: readJson('demo/api-keys.json'),
  });
  const tariffs = {
    'kiosque-paliers': readJson('tariffs/kiosque-paliers.json'), 'sva-089-per-second': readJson('tariffs/sva-089-per-second.json'),
    'expert-ticket': readJson('tariffs/expert-ticket.json'), 'kiosque-3615': readJson('tariffs/kiosque-3615.json'),
  };
  const rules = (changed: Partial<DemoDataSetFiles>, tariffSet: Record<string, unknown> = tariffs): string[] => {
    const parsed = parseDemoDataSet({ ...files(), ...changed }, tariffSet);
    return parsed.ok ? [] : parsed.error.map((v) => `${v.field} ${v.rule}`);
  };
  const edit = <T>(json: unknown, change: (value: T) => void): T => {
    const copy = structuredClone(json) as T;
    change(copy);
    return copy;
  };

  it('the shipped data set loads: 5 carriers, 6 subscribers, 3 merchants, 3 offers, 7 API keys', () => {
    const dataSet = loadDemoDataSet();
    assert.deepEqual(
      [dataSet.carriers.length, dataSet.subscribers.length, dataSet.merchants.length, dataSet.offers.length, dataSet.apiKeys.length],
      [5, 6, 3, 3, 7],
    );
    assert.equal(dataSet.agreementsEffectiveFromMs, EFFECTIVE_FROM_MS);
    assert.deepEqual(rules({}), []);
  });

  it('refuses a subscriber on an unknown carrier, a bad number and a cap in fractions of a cent', () => {
    type File = { subscribers: { billingCarrier: string; msisdn: string; monthlyCap: string }[] };
    const subscribers = edit<File>(readJson('demo/subscribers.json'), (file) => {
      const [first, second, third] = file.subscribers;
      if (first !== undefined) first.billingCarrier = 'car_nowhere';
      if (second !== undefined) second.msisdn = '06 00 00 00 02';
      if (third !== undefined) third.monthlyCap = '150.005';
    });
    assert.deepEqual(rules({ subscribers }), [
      'subscribers[0].billingCarrier unknown_carrier', 'subscribers[1].msisdn msisdn_format', 'subscribers[2].monthlyCap minor_unit_precision',
    ]);
  });

  it('refuses an MCC-MNC given to two carriers', () => {
    const carriers = edit<{ carriers: { mccMncCodes: string[] }[] }>(readJson('demo/carriers.json'), (file) => { file.carriers[4]?.mccMncCodes.push('208-01'); });
    assert.deepEqual(rules({ carriers }), ['carriers[0].mccMncCodes[0] duplicate_mcc_mnc', 'carriers[4].mccMncCodes[1] duplicate_mcc_mnc']);
  });

  it('checks an offer\'s tariff against the offer\'s profile and its default cap against the law', () => {
    type File = { merchants: { offers: { tariff: string; profile: string; defaultCap: string }[] }[] };
    const merchants = edit<File>(readJson('demo/merchants.json'), (file) => {
      const legal = file.merchants[1]?.offers[0];
      if (legal !== undefined) legal.tariff = 'kiosque-3615';
      const ticket = file.merchants[2]?.offers[0];
      if (ticket !== undefined) ticket.defaultCap = '60.00';
    });
    const found = rules({ merchants });
    assert.ok(found.includes('merchants[1].offers[0].tariff(kiosque-3615).tiers[0].incrementSeconds sva_per_second_from_first'), found.join('\n'));
    assert.ok(found.includes('merchants[2].offers[0].defaultCap default_cap_above_max_cost'), found.join('\n'));
  });

  it('requires terms for every carrier and merchant, and API key scopes that exist', () => {
    type Agreements = { carrierTerms: unknown[]; merchantTerms: unknown[] };
    const agreements = edit<Agreements>(readJson('demo/agreements.json'), (file) => { file.carrierTerms.pop(); file.merchantTerms.pop(); });
    const apiKeys = edit<{ apiKeys: { scope: string }[] }>(readJson('demo/api-keys.json'), (file) => { if (file.apiKeys[0] !== undefined) file.apiKeys[0].scope = 'mer_depannage_pc'; });
    assert.deepEqual(rules({ agreements, apiKeys }), ['carrierTerms terms_missing', 'merchantTerms terms_missing', 'apiKeys[0].scope unknown_scope']);
  });

  it('reports amounts written as JSON numbers as type errors', () => {
    const subscribers = edit<{ subscribers: { monthlyCap: unknown }[] }>(readJson('demo/subscribers.json'), (file) => { if (file.subscribers[0] !== undefined) file.subscribers[0].monthlyCap = 300; });
    assert.deepEqual(rules({ subscribers }), ['subscribers[0].monthlyCap type']);
  });
});
