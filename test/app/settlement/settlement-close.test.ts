/**
 * Closing a settlement period, on SQLite and PostgreSQL: the items a close marks settled are
 * exactly those its statements count, even when a charge of the period is committed while the
 * close runs (it lands in the next period); and the run's check against the ledger covers every
 * figure the ledger holds, not the amount due alone.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { type SettlementReport, settlePeriod } from '../../../src/app/settlement/settle-period.ts';
import { type Charge, statementJson, type Totals, ZERO_TOTALS } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { assertLedgerClean, rateAndClose, seedSettlementWorld, settlementStore, type SettlementWorldSpec } from '../../support/settlement-world.ts';

/** Billing carrier A and hosting carrier H in Paris, merchant M on H at 70 %, fee 15 %, bad debt 2 %. */
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
/** October is over in Paris. */
const AFTER_OCTOBER = new ManualClock(Date.parse('2026-11-02T00:00:00Z'));
const AFTER_NOVEMBER = new ManualClock(Date.parse('2026-12-02T00:00:00Z'));

/** A session of A's subscriber on M's offer, metered from `startIso`. */
const pairSession = (store: Store, sessionId: string, startIso: string, meteredSeconds: number): Promise<Charge> =>
  rateAndClose(store, { sessionId, billingCarrierId: 'car_a', offerId: 'off_m', meteringStartMs: Date.parse(startIso), meteredSeconds });

async function settled(store: Store, period: string, close: boolean, clock: ManualClock): Promise<SettlementReport> {
  const result = await settlePeriod({ store, clock }, { period, close });
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** A charge's figures as statement totals. */
function totalsOf(charge: Charge): Totals {
  const s = charge.split;
  return {
    count: 1, billedSeconds: BigInt(charge.billedSeconds), grossMinor: s.grossMinor, vatMinor: s.vatMinor, netMinor: s.netMinor,
    collectionFeeMinor: s.collectionFeeMinor, badDebtMinor: s.badDebtMinor, interconnectMinor: s.interconnectMinor,
    hostingShareMinor: s.hostingCarrierShareMinor, merchantShareMinor: s.merchantShareMinor,
  };
}

describeEachDatabase('settlement close: a charge committed while the close runs is not settled by it, and lands in the next period', (suite) => {
  let store: Store;
  let o1: Charge;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, PAIR_WORLD, AGREEMENTS_FROM_MS);
    o1 = await pairSession(store, 'o1', '2026-10-15T10:00:00Z', 120);
  });

  it('October closes with o1 only: l1, rated in October and committed after the close read its data, is in none of its statements nor items', async () => {
    const draft = await settled(store, '2026-10', false, AFTER_OCTOBER);
    const race: { late: Promise<Charge> | null } = { late: null };
    // The store as the use case sees it, with a charge of October committed between the close's
    // reads and its writes: beside the close's REPEATABLE READ transaction on PostgreSQL, between
    // its reading snapshot and its write transaction on SQLite.
    const racing: Store = Object.assign(Object.create(store) as Store, {
      closeSettlement: (...[period, scopes, decide]: Parameters<Store['closeSettlement']>) => store.closeSettlement(period, scopes, async (data) => {
        race.late = pairSession(store, 'l1', '2026-10-20T10:00:00Z', 180);
        await race.late;
        return decide(data);
      }),
    });
    const closed = await settled(racing, '2026-10', true, AFTER_OCTOBER);
    assert.ok(race.late !== null, 'the close read its data');
    const l1 = await race.late;
    assert.equal(l1.id, 'chg_l1');
    assert.deepEqual(JSON.parse(closed.json), { ...JSON.parse(draft.json), closed: true, closedAt: '2026-11-02T00:00:00.000Z' }, 'the statements count o1 alone');
    const items = await suite.database().db.selectFrom('statement_items').select(['kind', 'item_id', 'statement_id', 'home_period']).orderBy('kind').execute();
    assert.deepEqual(items, [
      { kind: 'carrier', item_id: o1.id, statement_id: 'stm_2026-10_carrier_car_a_car_h', home_period: '2026-10' },
      { kind: 'merchant', item_id: o1.id, statement_id: 'stm_2026-10_merchant_car_h_mer_m', home_period: '2026-10' },
    ], 'exactly the items the statements count');
    await assertLedgerClean(suite);
  });

  it('November settles l1 as an adjustment naming 2026-10, and closing it marks it', async () => {
    const l1 = await store.getCharge('chg_l1');
    assert.ok(l1 !== null);
    const november = await settled(store, '2026-11', true, AFTER_NOVEMBER);
    const adjustment = { period: '2026-10', charges: totalsOf(l1), refunds: ZERO_TOTALS };
    assert.deepEqual(november.statements.map((s) => [s.id, s.current.charges.count, s.adjustments]), [
      ['stm_2026-11_carrier_car_a_car_h', 0, [adjustment]], ['stm_2026-11_merchant_car_h_mer_m', 0, [adjustment]],
    ]);
    assert.deepEqual(november.statements.map((s) => JSON.parse(JSON.stringify(statementJson(s))) as unknown), JSON.parse(november.json).statements);
    const items = await suite.database().db.selectFrom('statement_items').select(['item_id', 'statement_id', 'home_period']).where('item_id', '=', l1.id).orderBy('kind').execute();
    assert.deepEqual(items, [
      { item_id: l1.id, statement_id: 'stm_2026-11_carrier_car_a_car_h', home_period: '2026-10' },
      { item_id: l1.id, statement_id: 'stm_2026-11_merchant_car_h_mer_m', home_period: '2026-10' },
    ]);
    assert.equal((await settled(store, '2026-12', false, new ManualClock(Date.parse('2027-01-02T00:00:00Z')))).statements.length, 0, 'nothing is left, nothing twice');
    await assertLedgerClean(suite);
  });
});

describeEachDatabase('settlement close: another close settling the same items meanwhile makes the close read again', (suite) => {
  let store: Store;
  let o2: Charge;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, PAIR_WORLD, AGREEMENTS_FROM_MS);
    o2 = await pairSession(store, 'o2', '2026-10-15T10:00:00Z', 120);
  });

  it('November, closed while October\'s close decides, settles o2 as a late item: October reads again and closes with nothing', async () => {
    const aggregateRows: number[] = [];
    const racing: Store = Object.assign(Object.create(store) as Store, {
      closeSettlement: (...[period, scopes, decide]: Parameters<Store['closeSettlement']>) => store.closeSettlement(period, scopes, async (data) => {
        aggregateRows.push(data.items.length);
        if (aggregateRows.length === 1) await settled(store, '2026-11', true, AFTER_NOVEMBER);
        return decide(data);
      }),
    });
    const october = await settled(racing, '2026-10', true, AFTER_NOVEMBER);
    assert.deepEqual(aggregateRows, [2, 0], 'o2 counted by the first reading (carrier and merchant), nothing by the second');
    assert.deepEqual(october.statements, []);
    const items = await suite.database().db.selectFrom('statement_items').select(['item_id', 'statement_id', 'home_period']).orderBy('kind').execute();
    assert.deepEqual(items, [
      { item_id: o2.id, statement_id: 'stm_2026-11_carrier_car_a_car_h', home_period: '2026-10' },
      { item_id: o2.id, statement_id: 'stm_2026-11_merchant_car_h_mer_m', home_period: '2026-10' },
    ], 'o2 settled once, by November');
    await assertLedgerClean(suite);
  });
});

describeEachDatabase('settlement close: the run checks every figure the ledger holds, not the amount due alone', (suite) => {
  let store: Store;
  before(async () => {
    store = settlementStore(suite);
    await seedSettlementWorld(store, PAIR_WORLD, AGREEMENTS_FROM_MS);
    await pairSession(store, 'c1', '2026-10-10T10:00:00Z', 600);
    await pairSession(store, 'c2', '2026-10-11T10:00:00Z', 300);
    assert.ok((await settlePeriod({ store, clock: AFTER_OCTOBER }, { period: '2026-10', close: false })).ok, 'the ledger agrees before it is corrupted');
  });

  it('a cent of c2 moved from the hosting carrier\'s revenue to the billing carrier\'s (journal balanced, amount due unchanged) → ledger_mismatch, nothing closed', async () => {
    const { db, dialect } = suite.database();
    // Only on this throwaway database: lift the ledger's append-only trigger.
    if (dialect === 'postgres') await sql`alter table ledger_postings disable trigger all`.execute(db);
    else await sql`drop trigger ledger_postings_no_update`.execute(db);
    await sql`update ledger_postings set amount_minor = amount_minor + 1 where journal_id = 'jnl_c2' and account = 'carrier:car_h:revenue'`.execute(db);
    await sql`update ledger_postings set amount_minor = amount_minor - 1 where journal_id = 'jnl_c2' and account = 'carrier:car_a:revenue'`.execute(db);
    for (const close of [false, true]) {
      const refused = await settlePeriod({ store, clock: AFTER_OCTOBER }, { period: '2026-10', close });
      assert.ok(!refused.ok, `close ${String(close)}: refused`);
      assert.equal(refused.error.code, 'ledger_mismatch');
      // The ledger's hosting share is a cent short, its billing carrier's fees a cent over, in both statements.
      for (const statement of ['stm_2026-10_carrier_car_a_car_h', 'stm_2026-10_merchant_car_h_mer_m']) {
        assert.match(refused.error.detail, new RegExp(`${statement} charges: billingFeesMinor (\\d+) in the statement, \\d+ in the ledger`));
        assert.match(refused.error.detail, new RegExp(`${statement} charges: hostingShareMinor (\\d+) in the statement, \\d+ in the ledger`));
      }
      assert.doesNotMatch(refused.error.detail, /amountDueMinor/, 'the amount due still agrees');
    }
    assert.equal(await store.getSettlementRun({ period: '2026-10' }), null, 'nothing was closed');
    const items = await db.selectFrom('statement_items').select((eb) => eb.fn.countAll<bigint | number | string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(items.n), 0);
  });
});
