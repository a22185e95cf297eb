/**
 * The settlement benchmark's month (issue 6 §6): 1,000,000 charges of October 2026 across five
 * carriers (four in Europe/Paris, one in Europe/Brussels) and fifty merchants, each with its
 * journal and postings, so that the settlement's ledger check reads real postings.
 *
 * How the rows are made. The world (carriers, merchants, offers, tariffs, agreements) goes in
 * through the Store port. One template per (billing carrier, merchant, session length) is built on
 * the real path — rate() of the offer's tariff, then buildCharge with the agreements in force (so
 * revenueWaterfall and chargePostings wrote its split_json and its postings) — 1,000 templates in
 * all. The million charges are then copied from the templates by INSERT … SELECT over a generated
 * series, in transactions of CHARGES_PER_BATCH charges: charge i takes template
 * (i × TEMPLATE_STRIDE) mod 1,000 with ids, subscriber and instants of its own, spread evenly over
 * the month. Expected statements and running balances are computed here in JavaScript from the
 * templates' waterfalls, independently of any SQL.
 */
import type SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import { splitToJson } from '../../src/adapters/store/charge-queries.ts';
import { buildCharge } from '../../src/app/billing/build-charge.ts';
import type { Store } from '../../src/app/ports/index.ts';
import {
  Accounts, type Charge, type ChargeParties, type JournalDraft, periodBounds, rate, type StatementKind, type Totals, ZERO_TOTALS, addTotals,
} from '../../src/domain/index.ts';
import {
  type CarrierSpec, type MerchantSpec, seedSettlementWorld, type SettlementWorldSpec, subscriberOf, termsAt,
} from '../support/settlement-world.ts';

export const PERIOD = '2026-10';
export const CHARGES = 1_000_000;
/** Charges written per generation transaction (with their journals and postings). */
const CHARGES_PER_BATCH = 50_000;
const SUBSCRIBERS_PER_CARRIER = 200;
/** Session lengths of the templates: under a minute and a bit, a few minutes, ten, nearly twenty-four. */
const METERED_S = [61, 185, 600, 1420] as const;
/** A prime: charge i takes template (i × TEMPLATE_STRIDE) mod templates, so that every template is used equally and pairs interleave. */
const TEMPLATE_STRIDE = 7919;
const MERCHANTS = 50;
const AGREEMENTS_FROM_MS = Date.parse('2026-01-01T00:00:00+01:00');
/** When the templates are rated (a weekday mid-month): their rating is copied to every charge. */
const TEMPLATE_RATED_AT_MS = Date.parse('2026-10-14T09:00:00Z');

const CARRIERS: readonly CarrierSpec[] = [
  { id: 'car_orange', name: 'Orange', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
  { id: 'car_sfr', name: 'SFR', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
  { id: 'car_bouygues', name: 'Bouygues Telecom', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
  { id: 'car_free', name: 'Free Mobile', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
  { id: 'car_proximus', name: 'Proximus', country: 'BE', currency: 'EUR', timeZone: 'Europe/Brussels' },
];

const OFFER_KINDS = [
  { tariff: 'kiosque-3615', profile: 'minitel-kiosque' }, { tariff: 'kiosque-3617', profile: 'minitel-kiosque' }, { tariff: 'sva-089-per-second', profile: 'fr-sva-2015' },
] as const;

const carrierAt = (index: number): CarrierSpec => CARRIERS[index % CARRIERS.length] as CarrierSpec;
const merchantId = (m: number): string => `mer_bench_${String(m).padStart(2, '0')}`;

/** Fifty merchants, ten per hosting carrier, on three tariffs; carrier agreements between every two carriers. */
export function worldSpec(): SettlementWorldSpec {
  const merchants: MerchantSpec[] = Array.from({ length: MERCHANTS }, (_, m) => {
    const kind = OFFER_KINDS[m % OFFER_KINDS.length] ?? OFFER_KINDS[0];
    return {
      id: merchantId(m), name: `Merchant ${String(m)}`, hostingCarrier: carrierAt(m).id,
      offers: [{ id: `off_bench_${String(m).padStart(2, '0')}`, tariff: kind.tariff, profile: kind.profile, defaultCap: '30.00' }],
    };
  });
  const carrierAgreements = CARRIERS.flatMap((billing, b) => CARRIERS.filter((hosting) => hosting.id !== billing.id).map((hosting, h) => ({
    billingCarrier: billing.id, hostingCarrier: hosting.id, collectionFeeRate: ['0.14', '0.15', '0.16'][(b + h) % 3] ?? '0.15',
    badDebtRate: ['0.02', '0.025', '0.03'][(b * 2 + h) % 3] ?? '0.02', interconnectPerMinute: (b + h) % 4 === 0 ? '0.01' : null,
  })));
  const merchantAgreements = merchants.map((merchant, m) => ({
    merchant: merchant.id, merchantShareRate: m % 5 === 4 ? null : ['0.60', '0.65', '0.70', '0.72'][m % 4] ?? '0.70', wholesalePerMinute: m % 5 === 4 ? '0.40' : null,
  }));
  return { carriers: CARRIERS, merchants, carrierAgreements, merchantAgreements };
}

/** One template: a charge and its journal built by buildCharge, for the placeholder subscriber and session. */
export interface Template {
  readonly index: number;
  readonly charge: Charge;
  readonly journal: JournalDraft;
}

const TEMPLATE_SESSION = 'ses_template';
/** Templates: every billing carrier × merchant × session length. */
const TEMPLATES = CARRIERS.length * MERCHANTS * METERED_S.length;

/** Charge i's template. */
export const templateOf = (i: number): number => (i * TEMPLATE_STRIDE) % TEMPLATES;
/** Charge i's subscriber (of its billing carrier): i / 5 so that it does not follow the carrier (i mod 5 picks it). */
const subscriberIndexOf = (i: number): number => Math.floor(i / CARRIERS.length) % SUBSCRIBERS_PER_CARRIER;
const benchSubscriber = (carrierId: string, k: number): string => `sub_${carrierId}_${String(k)}`;

async function buildTemplate(store: Store, index: number): Promise<Template> {
  const billing = carrierAt(index);
  const m = Math.floor(index / CARRIERS.length) % MERCHANTS;
  const seconds = METERED_S[Math.floor(index / (CARRIERS.length * MERCHANTS))] ?? 60;
  const offer = await store.getOffer(`off_bench_${String(m).padStart(2, '0')}`);
  const tariff = offer === null ? null : await store.getTariff(offer.tariffHash);
  if (offer === null || tariff === null) throw new Error(`offer of ${merchantId(m)} is not seeded`);
  const parties: ChargeParties = { subscriberId: subscriberOf(billing.id), billingCarrierId: billing.id, hostingCarrierId: carrierAt(m).id, merchantId: merchantId(m) };
  const { charge, journal } = buildCharge({
    chargeId: 'chg_template', journalId: 'jnl_template', sessionId: TEMPLATE_SESSION, offerId: offer.id, parties,
    terms: await termsAt(store, parties, TEMPLATE_RATED_AT_MS), rating: rate(tariff, TEMPLATE_RATED_AT_MS, seconds),
    meteringStartedAtMs: TEMPLATE_RATED_AT_MS, atMs: TEMPLATE_RATED_AT_MS + seconds * 1000,
  });
  return { index, charge, journal };
}

/** Seeds the world through the store and builds the templates. */
export async function seedWorld(store: Store): Promise<Template[]> {
  await seedSettlementWorld(store, worldSpec(), AGREEMENTS_FROM_MS);
  const templates: Template[] = [];
  for (let index = 0; index < TEMPLATES; index += 1) templates.push(await buildTemplate(store, index));
  return templates;
}

/** The month in Paris (Brussels has the same offsets): charges are spread over it, a second clear of each end. */
export function monthSpread(): { startMs: number; stepMs: number; endMs: number } {
  const { startMs, endMs } = periodBounds(PERIOD, 'Europe/Paris');
  return { startMs, endMs, stepMs: Math.floor((endMs - startMs - 2000) / CHARGES) };
}

// ---------------------------------------------------------------------------------------------
// Expected results, in JavaScript from the templates.

export interface ExpectedStatement {
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly totals: Totals;
  readonly amountDueMinor: bigint;
}

function totalsOf(template: Template, count: number): Totals {
  const s = template.charge.split;
  const n = BigInt(count);
  return {
    count, billedSeconds: BigInt(template.charge.billedSeconds) * n, grossMinor: s.grossMinor * n, vatMinor: s.vatMinor * n, netMinor: s.netMinor * n,
    collectionFeeMinor: s.collectionFeeMinor * n, badDebtMinor: s.badDebtMinor * n, interconnectMinor: s.interconnectMinor * n,
    hostingShareMinor: s.hostingCarrierShareMinor * n, merchantShareMinor: s.merchantShareMinor * n,
  };
}

/** How many charges take each template. */
export function templateCounts(): number[] {
  const counts = new Array<number>(TEMPLATES).fill(0);
  for (let i = 0; i < CHARGES; i += 1) counts[templateOf(i)] = (counts[templateOf(i)] ?? 0) + 1;
  return counts;
}

/** The statements the month must produce, keyed `kind|debtor|creditor`. */
export function expectedStatements(templates: readonly Template[]): Map<string, ExpectedStatement> {
  const counts = templateCounts();
  const statements = new Map<string, ExpectedStatement>();
  const add = (kind: StatementKind, debtorId: string, creditorId: string, totals: Totals): void => {
    const key = `${kind}|${debtorId}|${creditorId}`;
    const sum = addTotals(statements.get(key)?.totals ?? ZERO_TOTALS, totals);
    const amountDueMinor = kind === 'carrier' ? sum.hostingShareMinor + sum.merchantShareMinor : sum.merchantShareMinor;
    statements.set(key, { kind, debtorId, creditorId, totals: sum, amountDueMinor });
  };
  for (const template of templates) {
    const { charge } = template;
    const totals = totalsOf(template, counts[template.index] ?? 0);
    if (charge.billingCarrierId !== charge.hostingCarrierId) add('carrier', charge.billingCarrierId, charge.hostingCarrierId, totals);
    add('merchant', charge.hostingCarrierId, charge.merchantId, totals);
  }
  return statements;
}

/** Every account's balance after the month: the sum of its postings (the subscriber line goes to charge i's own subscriber). */
function expectedBalances(templates: readonly Template[]): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  const add = (account: string, minor: bigint): void => { balances.set(account, (balances.get(account) ?? 0n) + minor); };
  for (let i = 0; i < CHARGES; i += 1) {
    const template = templates[templateOf(i)];
    if (template === undefined) throw new Error(`template ${String(templateOf(i))}`);
    const placeholder = Accounts.subscriberReceivable(template.charge.subscriberId);
    for (const posting of template.journal.postings) {
      const account = posting.account === placeholder ? Accounts.subscriberReceivable(benchSubscriber(template.charge.billingCarrierId, subscriberIndexOf(i))) : posting.account;
      add(account, posting.amountMinor);
    }
  }
  return balances;
}

// ---------------------------------------------------------------------------------------------
// Bulk generation, in SQL.

type Dialect = 'sqlite' | 'postgres';

/** The generation statements of a dialect; each copies charges lo..hi (inclusive) from the templates. */
function generationSql(dialect: Dialect): { journals: string; postings: string; charges: string } {
  const sqlite = dialect === 'sqlite';
  const p = sqlite ? { lo: '@lo', hi: '@hi', start: '@start', step: '@step' } : { lo: '$1::bigint', hi: '$2::bigint', start: '$3::bigint', step: '$4::bigint' };
  const series = sqlite ? `(with recursive s(i) as (select ${p.lo} union all select i + 1 from s where i < ${p.hi}) select i from s) n` : `generate_series(${p.lo}, ${p.hi}) as n(i)`;
  const id = (prefix: string): string => (sqlite ? `printf('${prefix}_BENCH%021d', n.i)` : `'${prefix}_BENCH' || lpad(n.i::text, 21, '0')`);
  const k = `(n.i / ${String(CARRIERS.length)}) % ${String(SUBSCRIBERS_PER_CARRIER)}`;
  const subscriber = sqlite ? `'sub_' || t.billing || '_' || (${k})` : `'sub_' || t.billing || '_' || (${k})::text`;
  const from = `from ${series} join bench_tpl t on t.t = (n.i * ${String(TEMPLATE_STRIDE)}) % ${String(TEMPLATES)}`;
  const created = `(${p.start} + 1000 + n.i * ${p.step})`;
  return {
    journals: `insert into ledger_journals (id, kind, cause_type, cause_id, reverses_journal_id, description, created_at_ms)
      select ${id('jnl')}, 'charge', 'charge', ${id('chg')}, null, 'session ' || ${id('ses')} || t.description_tail, ${created} ${from}`,
    postings: `insert into ledger_postings (journal_id, line, account, currency, amount_minor)
      select ${id('jnl')}, q.line, case when q.subscriber = 1 then 'subscriber:' || ${subscriber} || ':receivable' else q.account end, t.currency, q.amount_minor
      ${from} join bench_tpl_posting q on q.t = t.t`,
    charges: `insert into charges (id, session_id, subscriber_id, merchant_id, offer_id, billing_carrier_id, hosting_carrier_id, tariff_hash, currency,
        metered_s, billed_s, amount_minor, amount_precise, net_minor, vat_minor, split_json, rating_json, journal_id, metering_started_at_ms, created_at_ms)
      select ${id('chg')}, ${id('ses')}, ${subscriber}, t.merchant, t.offer, t.billing, t.hosting, t.tariff_hash, t.currency,
        t.metered_s, t.billed_s, t.amount_minor, t.amount_precise, t.net_minor, t.vat_minor, t.split_json, t.rating_json, ${id('jnl')},
        ${created} - t.metered_s * 1000, ${created} ${from}`,
  };
}

const TEMPLATE_TABLES = `
  create temp table bench_tpl (t integer primary key, billing text not null, hosting text not null, merchant text not null, offer text not null,
    tariff_hash text not null, currency text not null, metered_s integer not null, billed_s integer not null, amount_minor bigint not null,
    amount_precise text not null, net_minor bigint not null, vat_minor bigint not null, split_json text not null, rating_json text not null,
    description_tail text not null);
  create temp table bench_tpl_posting (t integer not null, line integer not null, account text not null, amount_minor bigint not null,
    subscriber integer not null, primary key (t, line));`;

/** A template as the values of bench_tpl (in column order), then its postings' rows. */
function templateRows(template: Template): { tpl: unknown[]; postings: unknown[][] } {
  const c = template.charge;
  const prefix = `session ${TEMPLATE_SESSION}`;
  if (!template.journal.description.startsWith(prefix)) throw new Error('journal description names its session first');
  const placeholder = Accounts.subscriberReceivable(c.subscriberId);
  return {
    tpl: [template.index, c.billingCarrierId, c.hostingCarrierId, c.merchantId, c.offerId, c.tariffHash, c.currency, c.meteredSeconds, c.billedSeconds,
      c.amount.toMinorUnits(), c.precise.toString(), c.net.toMinorUnits(), c.vat.toMinorUnits(), splitToJson(c.split), c.ratingJson,
      template.journal.description.slice(prefix.length)],
    postings: template.journal.postings.map((posting, line) => [template.index, line, posting.account, posting.amountMinor, posting.account === placeholder ? 1 : 0]),
  };
}

export interface Generated {
  readonly expected: Map<string, ExpectedStatement>;
  readonly postings: number;
  readonly balances: number;
}

/** Batches of charges: [lo, hi] inclusive. */
function batches(): [number, number][] {
  const out: [number, number][] = [];
  for (let lo = 0; lo < CHARGES; lo += CHARGES_PER_BATCH) out.push([lo, Math.min(CHARGES, lo + CHARGES_PER_BATCH) - 1]);
  return out;
}

const SUBSCRIBER_ROWS = CARRIERS.flatMap((carrier) => Array.from({ length: SUBSCRIBERS_PER_CARRIER }, (_, k) => [benchSubscriber(carrier.id, k), `hmac_bench_${carrier.id}_${String(k)}`, carrier.id]));

/**
 * Generates the month on SQLite through the raw handle, in transactions of CHARGES_PER_BATCH
 * charges, fsyncs off meanwhile (the file is thrown away after the run).
 */
export function generateSqlite(sqlite: SqliteDatabase.Database, templates: readonly Template[], progress: (line: string) => void): Generated {
  sqlite.exec(TEMPLATE_TABLES);
  const insertTpl = sqlite.prepare(`insert into bench_tpl values (${new Array(16).fill('?').join(', ')})`);
  const insertPosting = sqlite.prepare('insert into bench_tpl_posting values (?, ?, ?, ?, ?)');
  const insertSubscriber = sqlite.prepare("insert into subscribers (id, msisdn_hmac, billing_carrier_id, monthly_cap_minor, currency, status, created_at_ms) values (?, ?, ?, 30000, 'EUR', 'active', ?)");
  sqlite.transaction(() => {
    for (const template of templates) {
      const rows = templateRows(template);
      insertTpl.run(...rows.tpl);
      for (const posting of rows.postings) insertPosting.run(...posting);
    }
    for (const row of SUBSCRIBER_ROWS) insertSubscriber.run(...row, AGREEMENTS_FROM_MS);
  })();
  const sql = generationSql('sqlite');
  const statements = [sqlite.prepare(sql.journals), sqlite.prepare(sql.postings), sqlite.prepare(sql.charges)];
  const { startMs, stepMs } = monthSpread();
  sqlite.pragma('synchronous = OFF');
  try {
    for (const [lo, hi] of batches()) {
      const values = { lo: BigInt(lo), hi: BigInt(hi), start: BigInt(startMs), step: BigInt(stepMs) };
      sqlite.transaction(() => { for (const statement of statements) statement.run(values); })();
      if ((hi + 1) % 200_000 === 0) progress(`${(hi + 1).toLocaleString('en-US')} charges`);
    }
    const balances = expectedBalances(templates);
    const insertBalance = sqlite.prepare("insert into ledger_balances (account, currency, balance_minor) values (?, 'EUR', ?)");
    sqlite.transaction(() => { for (const [account, minor] of balances) insertBalance.run(account, minor); })();
    sqlite.exec('drop table bench_tpl; drop table bench_tpl_posting');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const postings = Number(sqlite.prepare('select count(*) from ledger_postings').pluck().get());
    return { expected: expectedStatements(templates), postings, balances: balances.size };
  } finally {
    sqlite.pragma('synchronous = NORMAL');
  }
}

/** Generates the month on PostgreSQL on one client, in transactions of CHARGES_PER_BATCH charges, then ANALYZE (as autovacuum would). */
export async function generatePostgres(client: pg.ClientBase, templates: readonly Template[], progress: (line: string) => void): Promise<Generated> {
  await client.query(TEMPLATE_TABLES);
  await client.query('set synchronous_commit = off');
  await client.query('begin');
  for (const template of templates) {
    const rows = templateRows(template);
    await client.query(`insert into bench_tpl values (${rows.tpl.map((_, k) => `$${String(k + 1)}`).join(', ')})`, rows.tpl.map(String));
    for (const posting of rows.postings) await client.query('insert into bench_tpl_posting values ($1, $2, $3, $4, $5)', posting.map(String));
  }
  for (const row of SUBSCRIBER_ROWS) {
    await client.query("insert into subscribers (id, msisdn_hmac, billing_carrier_id, monthly_cap_minor, currency, status, created_at_ms) values ($1, $2, $3, 30000, 'EUR', 'active', $4)", [...row, AGREEMENTS_FROM_MS]);
  }
  await client.query('commit');
  const sql = generationSql('postgres');
  const { startMs, stepMs } = monthSpread();
  for (const [lo, hi] of batches()) {
    await client.query('begin');
    // The postings take no instants: only lo and hi ($1, $2).
    await client.query(sql.journals, [lo, hi, startMs, stepMs]);
    await client.query(sql.postings, [lo, hi]);
    await client.query(sql.charges, [lo, hi, startMs, stepMs]);
    await client.query('commit');
    if ((hi + 1) % 200_000 === 0) progress(`${(hi + 1).toLocaleString('en-US')} charges`);
  }
  const balances = expectedBalances(templates);
  await client.query('begin');
  for (const [account, minor] of balances) await client.query("insert into ledger_balances (account, currency, balance_minor) values ($1, 'EUR', $2)", [account, minor.toString()]);
  await client.query('commit');
  await client.query('drop table bench_tpl; drop table bench_tpl_posting');
  await client.query('set synchronous_commit = on');
  await client.query('analyze');
  const postings = Number((await client.query<{ n: string }>('select count(*)::text as n from ledger_postings')).rows[0]?.n ?? Number.NaN);
  return { expected: expectedStatements(templates), postings, balances: balances.size };
}
