/**
 * Settlement golden scenarios (issue 6 §5), on SQLite and PostgreSQL: the golden month of
 * fixtures/settlement/golden-month.json with its hand-computed statements (README.md beside it);
 * periods as calendar months in each debtor's zone across DST and in other zones; refunds after a
 * close; late charges of a period never closed; closing twice; refusals; the ledger verified.
 * Every expected figure is written out here or in the fixture, computed by hand, never by the code.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { type SettlementReport, settlePeriod } from '../../../src/app/settlement/settle-period.ts';
import { Accounts, type Charge, Money, periodBounds, type Statement, statementJson, type Waterfall } from '../../../src/domain/index.ts';
import { brokerHarness } from '../../support/broker-harness.ts';
import { type DatabaseSuite, describeEachDatabase } from '../../support/databases.ts';
import { readJson } from '../../support/fixtures.ts';
import {
  assertLedgerClean, rateAndClose, refundAt, seedSettlementWorld, settlementStore, type SettlementWorldSpec, subscriberOf,
} from '../../support/settlement-world.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

/** The waterfall figures of a charge or refund, as decimal strings. */
interface Figures {
  readonly gross: string;
  readonly vat: string;
  readonly collectionFee: string;
  readonly badDebtAllowance: string;
  readonly interconnect: string;
  readonly hostingShare: string;
  readonly merchantShare: string;
}

function figuresOf(split: Waterfall): Figures {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, split.currency).toString();
  return {
    gross: money(split.grossMinor), vat: money(split.vatMinor), collectionFee: money(split.collectionFeeMinor), badDebtAllowance: money(split.badDebtMinor),
    interconnect: money(split.interconnectMinor), hostingShare: money(split.hostingCarrierShareMinor), merchantShare: money(split.merchantShareMinor),
  };
}

/** A settlement run at the instant `atIso`, which must succeed. */
async function settle(store: Store, period: string, close: boolean, atIso: string): Promise<SettlementReport> {
  const result = await settlePeriod({ store, clock: new ManualClock(Date.parse(atIso)) }, { period, close });
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** Statement totals as statementJson writes them, every figure written out by hand. */
function totals(count: number, billedSeconds: string, billedMinutes: string, money: readonly [string, string, string, string, string, string, string, string]): Record<string, unknown> {
  const [gross, vat, net, collectionFee, badDebtAllowance, interconnect, hostingShare, merchantShare] = money;
  return { count, billedSeconds, billedMinutes, gross, vat, net, collectionFee, badDebtAllowance, interconnect, hostingShare, merchantShare };
}

const NONE = totals(0, '0', '0.00', ['0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00']);

function statement(period: string, kind: 'carrier' | 'merchant', debtorId: string, creditorId: string, body: {
  charges: Record<string, unknown>; refunds?: Record<string, unknown>; adjustments?: Record<string, unknown>[]; amountDue: string;
}): Record<string, unknown> {
  return {
    id: `stm_${period}_${kind}_${debtorId}_${creditorId}`, period, kind, debtorId, creditorId, currency: 'EUR', charges: body.charges, refunds: body.refunds ?? NONE,
    adjustments: body.adjustments ?? [], amountDue: body.amountDue,
  };
}

/** A small world: billing carrier A and hosting carrier H in Paris, merchant M on H at 70 %, fee 15 %, bad debt 2 %. */
const PAIR_WORLD: SettlementWorldSpec = {
  carriers: [
    { id: 'car_a', name: 'Carrier A', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
    { id: 'car_h', name: 'Carrier H', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
  ],
  merchants: [{ id: 'mer_m', name: 'Merchant M', hostingCarrier: 'car_h', offers: [{ id: 'off_m', tariff: 'sva-089-per-second', profile: 'fr-sva-2015', defaultCap: '24.00' }] }],
  carrierAgreements: [{ billingCarrier: 'car_a', hostingCarrier: 'car_h', collectionFeeRate: '0.15', badDebtRate: '0.02', interconnectPerMinute: null }],
  merchantAgreements: [{ merchant: 'mer_m', merchantShareRate: '0.70', wholesalePerMinute: null }],
};
const AGREEMENTS_FROM_MS = Date.parse('2026-01-01T00:00:00+01:00');

/** A session of A's subscriber on M's per-second offer (0.80 €/min), metered from `startIso`. */
const pairSession = (store: Store, sessionId: string, startIso: string, meteredSeconds: number): Promise<Charge> =>
  rateAndClose(store, { sessionId, billingCarrierId: 'car_a', offerId: 'off_m', meteringStartMs: Date.parse(startIso), meteredSeconds });

// ---------------------------------------------------------------------------------------------
// The golden month

interface GoldenSession {
  readonly id: string;
  readonly billingCarrier: string;
  readonly offer: string;
  readonly meteringStart: string;
  readonly meteredSeconds: number;
  readonly path: 'charge' | 'broker';
  readonly expected: Figures & { readonly period: string; readonly billedSeconds: number };
}

interface GoldenMonth extends SettlementWorldSpec {
  readonly period: string;
  readonly agreementsFrom: string;
  readonly sessions: readonly GoldenSession[];
  readonly refunds: readonly { readonly id: string; readonly session: string; readonly amount: string; readonly at: string; readonly expected: Figures }[];
  readonly expected: Readonly<Record<string, { readonly statements: readonly Record<string, unknown>[]; readonly netting: Record<string, unknown> }>>;
}

const golden = readJson('settlement/golden-month.json') as GoldenMonth;

/** A real session through the broker: connected at the metering start, ended by the user `meteredSeconds` later. */
async function brokerSession(suite: DatabaseSuite, session: GoldenSession): Promise<Charge> {
  const h = brokerHarness(suite.database(), Date.parse(session.meteringStart) - 30_000);
  const quote = await h.broker.quote({ offerId: session.offer, subscriberId: subscriberOf(session.billingCarrier), locale: 'fr-FR' });
  assert.ok(quote.ok, quote.ok ? '' : quote.error);
  const consent = await h.broker.consent({
    quoteId: quote.value.quote.id, announcementHash: quote.value.quote.announcementHash, cap: Money.of('5.00', 'EUR'), channel: 'web', clientIp: '192.0.2.1', userAgent: 'test',
  });
  assert.ok(consent.ok, consent.ok ? '' : consent.error);
  const sessionId = consent.value.session.id;
  for (let waited = 0; waited < 30_000; waited += 5_000) {
    await h.clock.advanceBy(5_000);
    await h.broker.heartbeat(sessionId, 'user');
  }
  assert.equal(h.clock.nowMs(), Date.parse(session.meteringStart));
  assert.ok((await h.broker.connect(sessionId)).ok);
  for (let metered = 0; metered < session.meteredSeconds * 1000; metered += 5_000) {
    await h.clock.advanceBy(5_000);
    await h.broker.heartbeat(sessionId, 'user');
    await h.broker.heartbeat(sessionId, 'advisor');
  }
  assert.ok((await h.broker.end(sessionId, 'user')).ok);
  await h.broker.shutdown();
  const charge = await h.store.getChargeForSession(sessionId);
  assert.ok(charge !== null, 'the broker session was charged');
  return charge;
}

describeEachDatabase('settlement golden month 2026-10: four carriers, three merchants, statements computed by hand', (suite) => {
  let store: Store;
  const charges = new Map<string, Charge>();
  const refunds = new Map<string, Waterfall>();
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, golden, Date.parse(golden.agreementsFrom));
    for (const session of golden.sessions) {
      charges.set(session.id, session.path === 'broker' ? await brokerSession(suite, session) : await rateAndClose(store, {
        sessionId: session.id, billingCarrierId: session.billingCarrier, offerId: session.offer, meteringStartMs: Date.parse(session.meteringStart),
        meteredSeconds: session.meteredSeconds,
      }));
    }
    for (const refund of golden.refunds) {
      const charge = charges.get(refund.session);
      assert.ok(charge !== undefined);
      refunds.set(refund.id, (await refundAt(store, charge.id, Money.of(refund.amount, 'EUR').toMinorUnits(), Date.parse(refund.at))).split);
    }
  });

  it('golden: every session is rated and split as computed by hand, and rated when it ended', () => {
    for (const session of golden.sessions) {
      const charge = charges.get(session.id);
      assert.ok(charge !== undefined);
      const { period, billedSeconds, ...figures } = session.expected;
      assert.deepEqual({ billedSeconds: charge.billedSeconds, ...figuresOf(charge.split) }, { billedSeconds, ...figures }, session.id);
      assert.equal(charge.createdAtMs, Date.parse(session.meteringStart) + session.meteredSeconds * 1000, `${session.id}: rated at its end`);
      const bounds = periodBounds(period, 'Europe/Paris');
      assert.ok(charge.createdAtMs >= bounds.startMs && charge.createdAtMs < bounds.endMs, `${session.id} belongs to ${period}`);
    }
  });

  it('golden: every refund gives back the parts computed by hand', () => {
    for (const refund of golden.refunds) assert.deepEqual(figuresOf(refunds.get(refund.id) ?? assert.fail(refund.id)), refund.expected, refund.id);
  });

  it('golden 2026-10: every statement, figure by figure, as computed by hand (fixtures/settlement/README.md)', async () => {
    const report = await settle(store, '2026-10', false, '2026-11-01T00:00:00Z');
    assert.deepEqual(report.statements.map(statementJson), golden.expected['2026-10']?.statements);
    assert.deepEqual(JSON.parse(report.json).statements, golden.expected['2026-10']?.statements, 'the JSON export says the same');
  });

  it('golden 2026-10: netting — Free pays 11.51 to Bouygues, 1.64 to Orange and 0.05 to SFR: three transfers for four carriers', async () => {
    const report = await settle(store, '2026-10', false, '2026-11-01T00:00:00Z');
    assert.deepEqual(JSON.parse(report.json).netting, [{ currency: 'EUR', ...golden.expected['2026-10']?.netting }]);
  });

  it('golden: the statements of October and November sum to the ledger balances of every owes and payable account', async () => {
    const due = new Map<string, bigint>();
    for (const period of ['2026-10', '2026-11']) {
      for (const s of golden.expected[period]?.statements ?? []) {
        const account = s['kind'] === 'carrier' ? Accounts.carrierOwes(String(s['debtorId']), String(s['creditorId'])) : Accounts.merchantPayable(String(s['creditorId']));
        due.set(account, (due.get(account) ?? 0n) + Money.of(String(s['amountDue']), 'EUR').toMinorUnits());
      }
    }
    assert.equal(due.size, 9, 'six carrier pairs and three merchants (November\'s two accounts are October\'s too)');
    for (const [account, dueMinor] of due) assert.equal(await store.balance(account, 'EUR'), -dueMinor, account);
  });

  it('golden: close 2026-10 — the stored report is the draft, closed; closing again and re-running return the same bytes; ledger verify is clean', async () => {
    const draft = await settle(store, '2026-10', false, '2026-11-01T00:00:00Z');
    const closed = await settle(store, '2026-10', true, '2026-11-01T00:00:00Z');
    assert.deepEqual(JSON.parse(closed.json), { ...JSON.parse(draft.json), closed: true, closedAt: '2026-11-01T00:00:00.000Z' });
    assert.equal((await settle(store, '2026-10', true, '2026-12-15T00:00:00Z')).json, closed.json, 'closing twice');
    const rerun = await settle(store, '2026-10', false, '2027-01-01T00:00:00Z');
    assert.equal(rerun.json, closed.json, 're-running a closed period');
    assert.deepEqual(rerun.statements.map(statementJson), golden.expected['2026-10']?.statements, 'its statements, read back from the stored report');
    for (const expected of golden.expected['2026-10']?.statements ?? []) {
      const stored = await store.getStatement(String(expected['id']));
      assert.ok(stored !== null);
      assert.deepEqual(JSON.parse(stored.bodyJson), expected);
      assert.equal(stored.amountDueMinor, Money.of(String(expected['amountDue']), 'EUR').toMinorUnits());
    }
    await assertLedgerClean(suite);
  });

  it('golden 2026-11: the session across midnight at the month end (23:59:30 → 00:00:30 Paris) is November\'s, and only it', async () => {
    const report = await settle(store, '2026-11', false, '2026-12-01T00:00:00Z');
    assert.deepEqual(report.statements.map(statementJson), golden.expected['2026-11']?.statements);
    assert.deepEqual(JSON.parse(report.json).netting, [{ currency: 'EUR', ...golden.expected['2026-11']?.netting }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Periods in each debtor's zone

/**
 * Charges of 0.80 €/min per second whose billed seconds are distinct powers of two, so that a
 * statement's billed seconds name exactly the charges it holds. `end` is when each was rated.
 */
const ZONE_ITEMS = [
  { name: 'p1', billing: 'car_paris', end: '2026-02-28T22:59:59Z' }, // Paris 28 Feb 23:59:59 CET: February
  { name: 'p2', billing: 'car_paris', end: '2026-02-28T23:00:00Z' }, // Paris 1 Mar 00:00 CET: March
  { name: 'p3', billing: 'car_paris', end: '2026-03-29T01:30:00Z' }, // Paris 29 Mar 03:30 CEST, just after the spring gap
  { name: 'p4', billing: 'car_paris', end: '2026-03-31T21:59:59Z' }, // Paris 31 Mar 23:59:59 CEST: March
  { name: 'p5', billing: 'car_paris', end: '2026-03-31T22:00:00Z' }, // Paris 1 Apr 00:00 CEST: April (a fixed +01:00 would say March)
  { name: 'k1', billing: 'car_kolkata', end: '2026-02-28T18:29:59Z' }, // Kolkata 28 Feb 23:59:59; Paris 28 Feb
  { name: 'k2', billing: 'car_kolkata', end: '2026-02-28T18:30:00Z' }, // Kolkata 1 Mar 00:00; Paris 28 Feb 19:30
  { name: 'k3', billing: 'car_kolkata', end: '2026-03-31T18:29:59Z' }, // Kolkata 31 Mar 23:59:59; Paris 31 Mar
  { name: 'k4', billing: 'car_kolkata', end: '2026-03-31T19:00:00Z' }, // Kolkata 1 Apr 00:30; Paris 31 Mar 21:00
  { name: 'n1', billing: 'car_newyork', end: '2026-03-01T04:59:59Z' }, // New York 28 Feb 23:59:59 EST; Paris 1 Mar
  { name: 'n2', billing: 'car_newyork', end: '2026-03-01T05:00:00Z' }, // New York 1 Mar 00:00 EST
  { name: 'n3', billing: 'car_newyork', end: '2026-04-01T03:59:59Z' }, // New York 31 Mar 23:59:59 EDT; Paris 1 Apr 05:59
  { name: 'n4', billing: 'car_newyork', end: '2026-04-01T04:00:00Z' }, // New York 1 Apr 00:00 EDT
  { name: 'b1', billing: 'car_orange_be', end: '2026-03-31T21:59:59Z' }, // Brussels 31 Mar 23:59:59 CEST
  { name: 'b2', billing: 'car_orange_be', end: '2026-03-31T22:00:00Z' }, // Brussels 1 Apr 00:00 CEST
] as const;

const ZONE_WORLD: SettlementWorldSpec = {
  carriers: [
    { id: 'car_paris', name: 'Paris billing', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
    { id: 'car_host', name: 'Paris hosting', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris' },
    { id: 'car_orange_be', name: 'Orange Belgium', country: 'BE', currency: 'EUR', timeZone: 'Europe/Brussels' },
    // Made up: carriers whose calendars are not Paris's (Kolkata has no DST; New York changes on 8 March).
    { id: 'car_kolkata', name: 'Kolkata Mobile (made up)', country: 'IN', currency: 'EUR', timeZone: 'Asia/Kolkata' },
    { id: 'car_newyork', name: 'New York Wireless (made up)', country: 'US', currency: 'EUR', timeZone: 'America/New_York' },
  ],
  merchants: [{ id: 'mer_z', name: 'Merchant Z', hostingCarrier: 'car_host', offers: [{ id: 'off_z', tariff: 'sva-089-per-second', profile: 'fr-sva-2015', defaultCap: '24.00' }] }],
  carrierAgreements: ['car_paris', 'car_orange_be', 'car_kolkata', 'car_newyork'].map((billingCarrier) => (
    { billingCarrier, hostingCarrier: 'car_host', collectionFeeRate: '0.15', badDebtRate: '0.02', interconnectPerMinute: null })),
  merchantAgreements: [{ merchant: 'mer_z', merchantShareRate: '0.70', wholesalePerMinute: null }],
};

/** The items a statement holds, from its billed seconds (item i has 2^i seconds). */
function itemsIn(s: Statement): string[] {
  assert.equal(s.adjustments.length, 0, `${s.id}: no adjustments (every earlier period is closed)`);
  const bits = s.current.charges.billedSeconds;
  return ZONE_ITEMS.filter((_, index) => (bits & (1n << BigInt(index))) !== 0n).map((item) => item.name);
}

function membership(report: SettlementReport): Record<string, string[]> {
  return Object.fromEntries(report.statements.map((s) => [`${s.kind} ${s.debtorId}`, itemsIn(s)]));
}

describeEachDatabase('settlement periods: calendar months in the debtor\'s zone, across DST, in Asia/Kolkata and America/New_York', (suite) => {
  let store: Store;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, ZONE_WORLD, AGREEMENTS_FROM_MS);
    for (const [index, item] of ZONE_ITEMS.entries()) {
      const seconds = 2 ** index;
      await rateAndClose(store, { sessionId: item.name, billingCarrierId: item.billing, offerId: 'off_z', meteringStartMs: Date.parse(item.end) - seconds * 1000, meteredSeconds: seconds });
    }
  });

  it('period bounds: March 2026 is 28 Feb 23:00Z → 31 Mar 22:00Z in Paris, 18:30Z → 18:30Z in Kolkata, 1 Mar 05:00Z → 1 Apr 04:00Z in New York', () => {
    const utc = (zone: string, period: string): string[] => Object.values(periodBounds(period, zone)).map((ms) => new Date(ms).toISOString());
    assert.deepEqual(utc('Europe/Paris', '2026-03'), ['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    assert.deepEqual(utc('Europe/Brussels', '2026-03'), ['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    assert.deepEqual(utc('Asia/Kolkata', '2026-03'), ['2026-02-28T18:30:00.000Z', '2026-03-31T18:30:00.000Z']);
    assert.deepEqual(utc('America/New_York', '2026-03'), ['2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z']);
    assert.deepEqual(utc('Europe/Paris', '2026-10'), ['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
  });

  it('February, closed: each carrier statement in its billing carrier\'s zone, the merchant statement in the host\'s (Paris)', async () => {
    const report = await settle(store, '2026-02', true, '2026-03-02T00:00:00Z');
    assert.deepEqual(membership(report), {
      'carrier car_paris': ['p1'], 'carrier car_kolkata': ['k1'], 'carrier car_newyork': ['n1'], 'merchant car_host': ['p1', 'k1', 'k2'],
    });
  });

  it('March cannot close until it is over in every zone: refused 1 ms before midnight in New York, a draft meanwhile is fine', async () => {
    const clock = new ManualClock(Date.parse('2026-04-01T04:00:00Z') - 1);
    const refused = await settlePeriod({ store, clock }, { period: '2026-03', close: true });
    assert.ok(!refused.ok && refused.error.code === 'period_not_over', JSON.stringify(refused));
    assert.ok((await settlePeriod({ store, clock }, { period: '2026-03', close: false })).ok);
    assert.equal(await store.getSettlementRun({ period: '2026-03' }), null, 'nothing was closed');
  });

  it('March, closed at midnight in New York: the edges fall by local time, DST included', async () => {
    const report = await settle(store, '2026-03', true, '2026-04-01T04:00:00Z');
    assert.deepEqual(membership(report), {
      'carrier car_paris': ['p2', 'p3', 'p4'], 'carrier car_kolkata': ['k2', 'k3'], 'carrier car_newyork': ['n2', 'n3'], 'carrier car_orange_be': ['b1'],
      'merchant car_host': ['p2', 'p3', 'p4', 'k3', 'k4', 'n1', 'n2', 'b1'],
    });
  });

  it('April: what is left, and nothing twice', async () => {
    const report = await settle(store, '2026-04', false, '2026-05-02T00:00:00Z');
    assert.deepEqual(membership(report), {
      'carrier car_paris': ['p5'], 'carrier car_kolkata': ['k4'], 'carrier car_newyork': ['n4'], 'carrier car_orange_be': ['b2'], 'merchant car_host': ['p5', 'n3', 'n4', 'b2'],
    });
    await assertLedgerClean(suite);
  });
});

// ---------------------------------------------------------------------------------------------
// A refund after the close

describeEachDatabase('settlement: a refund after the close is an adjustment naming its period in the next run', (suite) => {
  let store: Store;
  let c1: Charge;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, PAIR_WORLD, AGREEMENTS_FROM_MS);
    // c1: 600 s = 8.00; VAT 1.33; net 6.67 → LR [.15 .02 .70 .13]: fee 1.00, bad 0.13, merchant 4.67, hosting 0.87.
    c1 = await pairSession(store, 'c1', '2026-10-10T10:00:00Z', 600);
    // c2: 300 s = 4.00; VAT 0.67; net 3.33 → 49.95, 6.66, 233.1, 43.29 → fee 0.50, bad 0.07, merchant 2.33, hosting 0.43.
    await pairSession(store, 'c2', '2026-11-05T10:00:00Z', 300);
  });

  const c1Totals = totals(1, '600', '10.00', ['8.00', '1.33', '6.67', '1.00', '0.13', '0.00', '0.87', '4.67']);
  const c2Totals = totals(1, '300', '5.00', ['4.00', '0.67', '3.33', '0.50', '0.07', '0.00', '0.43', '2.33']);

  it('October closes with c1: A owes H 5.54, H owes M 4.67', async () => {
    const closed = await settle(store, '2026-10', true, '2026-11-02T00:00:00Z');
    assert.deepEqual(JSON.parse(closed.json).statements, [
      statement('2026-10', 'carrier', 'car_a', 'car_h', { charges: c1Totals, amountDue: '5.54' }),
      statement('2026-10', 'merchant', 'car_h', 'mer_m', { charges: c1Totals, amountDue: '4.67' }),
    ]);
  });

  it('3.00 of c1 refunded on 10 November: November shows it as an adjustment of 2026-10 and its dues drop by the refund\'s parts', async () => {
    // LR of 300 over what is left of c1 [VAT 133, fee 100, bad 13, ic 0, hosting 87, merchant 467] / 800:
    // 49.875, 37.5, 4.875, 0, 32.625, 175.125 → floors (297) + 1 to VAT, bad, hosting → 50, 37, 5, 0, 33, 175.
    await refundAt(store, c1.id, 300n, Date.parse('2026-11-10T12:00:00Z'));
    const refund = totals(1, '0', '0.00', ['3.00', '0.50', '2.50', '0.37', '0.05', '0.00', '0.33', '1.75']);
    const report = await settle(store, '2026-11', false, '2026-12-01T00:00:00Z');
    assert.deepEqual(report.statements.map(statementJson), [
      // 2.76 − (0.33 + 1.75) = 0.68
      statement('2026-11', 'carrier', 'car_a', 'car_h', { charges: c2Totals, adjustments: [{ period: '2026-10', charges: NONE, refunds: refund }], amountDue: '0.68' }),
      // 2.33 − 1.75 = 0.58
      statement('2026-11', 'merchant', 'car_h', 'mer_m', { charges: c2Totals, adjustments: [{ period: '2026-10', charges: NONE, refunds: refund }], amountDue: '0.58' }),
    ]);
  });

  it('the rest of c1 refunded on 20 November: November\'s dues turn negative and the netting reverses (H pays A 2.78)', async () => {
    // What was left of c1: VAT 83, fee 63, bad 8, hosting 54, merchant 292 (5.00); both refunds give back all of c1.
    await refundAt(store, c1.id, null, Date.parse('2026-11-20T12:00:00Z'));
    const refund = totals(2, '0', '0.00', ['8.00', '1.33', '6.67', '1.00', '0.13', '0.00', '0.87', '4.67']);
    const report = await settle(store, '2026-11', false, '2026-12-01T00:00:00Z');
    assert.deepEqual(report.statements.map(statementJson), [
      // 2.76 − 5.54 = −2.78
      statement('2026-11', 'carrier', 'car_a', 'car_h', { charges: c2Totals, adjustments: [{ period: '2026-10', charges: NONE, refunds: refund }], amountDue: '-2.78' }),
      // 2.33 − 4.67 = −2.34
      statement('2026-11', 'merchant', 'car_h', 'mer_m', { charges: c2Totals, adjustments: [{ period: '2026-10', charges: NONE, refunds: refund }], amountDue: '-2.34' }),
    ]);
    assert.deepEqual(JSON.parse(report.json).netting, [{
      currency: 'EUR', positions: [{ carrierId: 'car_a', net: '2.78' }, { carrierId: 'car_h', net: '-2.78' }], transfers: [{ from: 'car_h', to: 'car_a', amount: '2.78' }],
    }]);
  });

  it('October, closed, is untouched by the refunds: the same bytes; November closes; the ledger agrees and verifies', async () => {
    const october = await settle(store, '2026-10', false, '2026-12-01T00:00:00Z');
    assert.equal(JSON.parse(october.json).statements[0].amountDue, '5.54');
    assert.equal((await settle(store, '2026-10', true, '2026-12-02T00:00:00Z')).json, october.json);
    await settle(store, '2026-11', true, '2026-12-01T00:00:00Z');
    // 5.54 − 2.78 = 2.76 (only c2 is left); 4.67 − 2.34 = 2.33.
    assert.equal(await store.balance(Accounts.carrierOwes('car_a', 'car_h'), 'EUR'), -276n);
    assert.equal(await store.balance(Accounts.merchantPayable('mer_m'), 'EUR'), -233n);
    assert.equal((await settle(store, '2026-12', false, '2027-01-02T00:00:00Z')).statements.length, 0, 'nothing is settled twice');
    await assertLedgerClean(suite);
  });
});

// ---------------------------------------------------------------------------------------------
// Late charges, closing twice, refusals

describeEachDatabase('settlement: late charges, closing twice, refusals', (suite) => {
  let store: Store;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, PAIR_WORLD, AGREEMENTS_FROM_MS);
    // s1 (September, never closed): 60 s = 0.80; VAT 0.13; net 0.67 → fee 0.10, bad 0.01, merchant 0.47, hosting 0.09.
    await pairSession(store, 's1', '2026-09-15T10:00:00Z', 60);
    // o1 (October): 120 s = 1.60; VAT 0.27; net 1.33 → 19.95, 2.66, 93.1, 17.29 → fee 0.20, bad 0.03, merchant 0.93, hosting 0.17.
    await pairSession(store, 'o1', '2026-10-15T10:00:00Z', 120);
  });

  const s1Totals = totals(1, '60', '1.00', ['0.80', '0.13', '0.67', '0.10', '0.01', '0.00', '0.09', '0.47']);
  const o1Totals = totals(1, '120', '2.00', ['1.60', '0.27', '1.33', '0.20', '0.03', '0.00', '0.17', '0.93']);
  // l1: 180 s = 2.40; VAT 0.40; net 2.00 → exactly 0.30, 0.04, 1.40, 0.26.
  const l1Totals = totals(1, '180', '3.00', ['2.40', '0.40', '2.00', '0.30', '0.04', '0.00', '0.26', '1.40']);

  it('period_invalid: not YYYY-MM, or outside 2000–2099', async () => {
    for (const period of ['2026-13', '2026-00', '2026-1', '26-10', '1999-12', '2026-10 ', '2026/10', '']) {
      const result = await settlePeriod({ store, clock: new ManualClock(Date.parse('2026-11-02T00:00:00Z')) }, { period, close: false });
      assert.ok(!result.ok && result.error.code === 'period_invalid', period);
    }
  });

  it('period_not_over: October cannot close before 1 November 00:00 in Paris (23:00Z)', async () => {
    const refused = await settlePeriod({ store, clock: new ManualClock(Date.parse('2026-10-31T22:59:59.999Z')) }, { period: '2026-10', close: true });
    assert.ok(!refused.ok && refused.error.code === 'period_not_over');
  });

  it('October, closed twice at once: one close wins, both answers are its bytes; September\'s charge is an adjustment naming 2026-09', async () => {
    const clock = new ManualClock(Date.parse('2026-11-02T00:00:00Z'));
    const [first, second] = await Promise.all([
      settlePeriod({ store, clock }, { period: '2026-10', close: true }), settlePeriod({ store, clock }, { period: '2026-10', close: true }),
    ]);
    assert.ok(first.ok && second.ok, JSON.stringify([first, second], (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    assert.equal(first.value.json, second.value.json);
    assert.deepEqual(JSON.parse(first.value.json).statements, [
      // 0.17 + 0.93 + 0.09 + 0.47 = 1.66
      statement('2026-10', 'carrier', 'car_a', 'car_h', { charges: o1Totals, adjustments: [{ period: '2026-09', charges: s1Totals, refunds: NONE }], amountDue: '1.66' }),
      // 0.93 + 0.47 = 1.40
      statement('2026-10', 'merchant', 'car_h', 'mer_m', { charges: o1Totals, adjustments: [{ period: '2026-09', charges: s1Totals, refunds: NONE }], amountDue: '1.40' }),
    ]);
    assert.equal((await settle(store, '2026-09', false, '2026-11-02T00:00:00Z')).statements.length, 0, 'September has nothing left: its charge was settled once, in October');
  });

  it('a charge rated in October but stored after October closed lands in November as an adjustment of 2026-10; October\'s bytes do not change', async () => {
    const earlier = await settle(store, '2026-10', false, '2026-11-03T00:00:00Z');
    await pairSession(store, 'l1', '2026-10-20T10:00:00Z', 180);
    assert.equal((await settle(store, '2026-10', false, '2026-11-03T00:00:00Z')).json, earlier.json);
    const november = await settle(store, '2026-11', false, '2026-12-01T00:00:00Z');
    assert.deepEqual(november.statements.map(statementJson), [
      statement('2026-11', 'carrier', 'car_a', 'car_h', { charges: NONE, adjustments: [{ period: '2026-10', charges: l1Totals, refunds: NONE }], amountDue: '1.66' }),
      statement('2026-11', 'merchant', 'car_h', 'mer_m', { charges: NONE, adjustments: [{ period: '2026-10', charges: l1Totals, refunds: NONE }], amountDue: '1.40' }),
    ]);
  });

  it('closed statements are append-only, and ledger verify stays clean after the closes', async () => {
    await settle(store, '2026-11', true, '2026-12-01T00:00:00Z');
    await assert.rejects(sql`update statements set amount_due_minor = 0`.execute(suite.database().db));
    await assert.rejects(sql`delete from statement_items`.execute(suite.database().db));
    assert.equal(await store.balance(Accounts.carrierOwes('car_a', 'car_h'), 'EUR'), -(56n + 110n + 166n));
    await assertLedgerClean(suite);
  });
});
