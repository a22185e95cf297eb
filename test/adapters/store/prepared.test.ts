/**
 * Prepared queries (src/adapters/store/prepared.ts), on both databases: a query built and compiled
 * once answers what kysely's builder answers for every argument, keeps the constants written in
 * it, places an argument used twice at both places, runs on a transaction's connection too, and
 * refuses an argument that did not become a parameter. insertRows writes rows of any shape it
 * meets, with or without a conflict clause (leave the taken key, or add to its column), and refuses
 * a row that lacks a column of its shape; rowBy reads a row by a unique column.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { insertRows, prepared, rowBy } from '../../../src/adapters/store/prepared.ts';
import type { Database } from '../../../src/adapters/store/tables.ts';
import { describeEachDatabase } from '../../support/databases.ts';

const CARRIER = { name: 'Carrier', country: 'FR', currency: 'EUR', time_zone: 'Europe/Paris', created_at_ms: 1 };

const carriersIn = prepared<{ country: string; from: number }, { id: string }>((db, arg) => db.selectFrom('carriers').select('id')
  .where('country', '=', arg('country')).where('currency', '=', 'EUR').where((eb) => eb.or([eb('created_at_ms', '>=', arg('from')), eb('id', '=', 'car_always')]))
  .where('created_at_ms', '<', sql<number>`${arg('from')} + 100`).orderBy('id'));

const builderAnswer = async (db: Kysely<Database>, country: string, from: number): Promise<string[]> => (await db.selectFrom('carriers').select('id')
  .where('country', '=', country).where('currency', '=', 'EUR').where((eb) => eb.or([eb('created_at_ms', '>=', from), eb('id', '=', 'car_always')]))
  .where('created_at_ms', '<', sql<number>`${from} + 100`).orderBy('id').execute()).map((row) => row.id);

describeEachDatabase('prepared queries', ({ database }) => {
  let db: Kysely<Database>;
  before(async () => {
    db = database().db;
    await insertRows(db, 'carriers', [
      { ...CARRIER, id: 'car_always', created_at_ms: 0 },
      { ...CARRIER, id: 'car_fr_10', created_at_ms: 10 },
      { ...CARRIER, id: 'car_fr_50', created_at_ms: 50 },
      { ...CARRIER, id: 'car_be_50', country: 'BE', created_at_ms: 50 },
      { ...CARRIER, id: 'car_fr_usd', currency: 'USD', created_at_ms: 50 },
    ]);
  });

  it('answers what the builder answers, for every argument: constants kept, an argument used twice placed twice', async () => {
    for (const [country, from] of [['FR', 0], ['FR', 20], ['FR', 60], ['BE', 0], ['BE', 100], ['DE', 0]] as const) {
      const { rows } = await carriersIn.execute(db, { country, from });
      assert.deepEqual(rows.map((row) => row.id), await builderAnswer(db, country, from), `${country} from ${from}`);
    }
    assert.deepEqual((await carriersIn.execute(db, { country: 'FR', from: 20 })).rows.map((row) => row.id), ['car_always', 'car_fr_50']);
    assert.equal((await carriersIn.first(db, { country: 'DE', from: 0 })), undefined);
  });

  it('rowBy: the row whose column is the value, or none', async () => {
    const byId = rowBy('carriers', 'id');
    assert.deepEqual(await byId.first(db, { value: 'car_fr_50' }), await db.selectFrom('carriers').selectAll().where('id', '=', 'car_fr_50').executeTakeFirst());
    assert.equal(await byId.first(db, { value: 'car_none' }), undefined);
  });

  it('runs on a transaction\'s connection, and its writes roll back with it', async () => {
    await assert.rejects(db.transaction().execute(async (tx) => {
      await insertRows(tx, 'carriers', [{ ...CARRIER, id: 'car_fr_20', created_at_ms: 20 }]);
      assert.deepEqual((await carriersIn.execute(tx, { country: 'FR', from: 15 })).rows.map((row) => row.id), ['car_always', 'car_fr_20', 'car_fr_50']);
      throw new Error('roll back');
    }), /roll back/);
    assert.deepEqual((await carriersIn.execute(db, { country: 'FR', from: 15 })).rows.map((row) => row.id), ['car_always', 'car_fr_50']);
  });

  it('answers in the shape of kysely\'s driver: rows of a read; affected rows (a bigint) and no rows for a write', async () => {
    const rename = prepared<{ id: string; name: string }, never>((db, arg) => db.updateTable('carriers').set({ name: arg('name') }).where('id', '=', arg('id')));
    const written = await rename.execute(db, { id: 'car_fr_10', name: 'Renamed' });
    const built = await db.updateTable('carriers').set({ name: 'Renamed again' }).where('id', '=', 'car_fr_10').executeTakeFirst();
    assert.equal(written.numAffectedRows, 1n);
    assert.equal(built.numUpdatedRows, 1n);
    assert.deepEqual(written.rows, []);
    assert.equal((await rename.execute(db, { id: 'car_none', name: 'x' })).numAffectedRows, 0n);
    assert.deepEqual((await rowBy('carriers', 'id').execute(db, { value: 'car_fr_10' })).rows.map((row) => row.name), ['Renamed again']);
  });

  it('insertRows with a conflict clause: a taken key is left alone (no row affected), or its column added to', async () => {
    const taken = await insertRows(db, 'carriers', [{ ...CARRIER, id: 'car_fr_10', name: 'Not written' }], { columns: ['id'] });
    assert.equal(taken.numAffectedRows, 0n);
    assert.notEqual((await rowBy('carriers', 'id').first(db, { value: 'car_fr_10' }))?.name, 'Not written');
    const fresh = await insertRows(db, 'carriers', [{ ...CARRIER, id: 'car_fr_new' }], { columns: ['id'] });
    assert.equal(fresh.numAffectedRows, 1n);
    // The same rows without the clause are another statement: the taken key is an error.
    await assert.rejects(insertRows(db, 'carriers', [{ ...CARRIER, id: 'car_fr_10', name: 'Not written' }]), /UNIQUE|unique|duplicate/);
    const add = (account: string, amount: bigint) => ({ account, currency: 'EUR', balance_minor: amount });
    const balances = { columns: ['account', 'currency'], add: 'balance_minor' };
    await insertRows(db, 'ledger_balances', [add('acct:prepared:a', 500n), add('acct:prepared:b', -200n)], balances);
    await insertRows(db, 'ledger_balances', [add('acct:prepared:a', 25n), add('acct:prepared:c', 7n)], balances);
    const rows = await db.selectFrom('ledger_balances').select(['account', 'balance_minor']).where('account', 'like', 'acct:prepared:%').orderBy('account').execute();
    assert.deepEqual(rows.map((row) => [row.account, BigInt(row.balance_minor)]), [['acct:prepared:a', 525n], ['acct:prepared:b', -200n], ['acct:prepared:c', 7n]]);
  });

  it('refuses an argument that is not a parameter (written into the SQL text)', async () => {
    const inlined = prepared<{ id: string }, { id: string }>((db, arg) => db.selectFrom('carriers').select('id').where('id', '=', sql.raw<string>(`'${arg('id')}'`)));
    await assert.rejects(inlined.execute(db, { id: 'car_fr_10' }), /every argument of a prepared query is a parameter/);
  });

  it('insertRows: one row, several, the same shape again with other values; nothing for no rows', async () => {
    await insertRows(db, 'carrier_codes', []);
    await insertRows(db, 'carrier_codes', [{ mcc_mnc: '20801', carrier_id: 'car_fr_10' }]);
    await insertRows(db, 'carrier_codes', [{ mcc_mnc: '20802', carrier_id: 'car_fr_10' }, { carrier_id: 'car_fr_50', mcc_mnc: '20810' }]);
    await insertRows(db, 'carrier_codes', [{ mcc_mnc: '20815', carrier_id: 'car_fr_50' }]);
    // The same columns in another order are another shape: each value lands in its own column.
    await insertRows(db, 'carrier_codes', [{ carrier_id: 'car_be_50', mcc_mnc: '20816' }]);
    const codes = await db.selectFrom('carrier_codes').selectAll().orderBy('mcc_mnc').execute();
    assert.deepEqual(codes.map((code) => `${code.mcc_mnc}:${code.carrier_id}`), ['20801:car_fr_10', '20802:car_fr_10', '20810:car_fr_50', '20815:car_fr_50', '20816:car_be_50']);
  });

  it('insertRows refuses a row without a column of its shape, and writes none of them', async () => {
    const rows = [{ mcc_mnc: '20820', carrier_id: 'car_fr_10' }, { mcc_mnc: '20821' }] as unknown as { mcc_mnc: string; carrier_id: string }[];
    await assert.rejects(insertRows(db, 'carrier_codes', rows), /every row inserted into carrier_codes has the columns mcc_mnc, carrier_id/);
    const undefinedValue = [{ mcc_mnc: '20822', carrier_id: undefined }] as unknown as { mcc_mnc: string; carrier_id: string }[];
    await assert.rejects(insertRows(db, 'carrier_codes', undefinedValue), /every row inserted into carrier_codes/);
    assert.equal((await db.selectFrom('carrier_codes').select('mcc_mnc').where('mcc_mnc', 'in', ['20820', '20821', '20822']).execute()).length, 0);
  });
});
