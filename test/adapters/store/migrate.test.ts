import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../../../src/adapters/store/migrate.ts';
import { describeEachDatabase } from '../../support/databases.ts';

describeEachDatabase('storage: migrations and append-only tables', ({ database }) => {
  it('migrates up from empty, and a second run applies nothing', async () => {
    const { db, dialect } = database();
    assert.deepEqual(await migrate(db, dialect), []);
    const tables = dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
    const names = tables.rows.map((row) => row.name);
    for (const table of ['carriers', 'subscribers', 'merchants', 'offers', 'tariff_versions', 'agreements', 'quotes', 'consents', 'sessions',
      'session_events', 'charges', 'refunds', 'ledger_journals', 'ledger_postings', 'holds', 'idempotency_records', 'ratings', 'api_keys']) {
      assert.ok(names.includes(table), `table ${table}`);
    }
  });

  it('triggers refuse UPDATE and DELETE on ledger journals and postings', async () => {
    const { db } = database();
    await db.insertInto('ledger_journals').values({ id: 'jnl_trigger', kind: 'charge', cause_type: 'test', cause_id: 'x', reverses_journal_id: null, description: 'd', created_at_ms: 1n }).execute();
    await db.insertInto('ledger_postings').values([
      { journal_id: 'jnl_trigger', line: 0, account: 'a:1:x', currency: 'EUR', amount_minor: 5n },
      { journal_id: 'jnl_trigger', line: 1, account: 'a:2:x', currency: 'EUR', amount_minor: -5n },
    ]).execute();
    await assert.rejects(db.updateTable('ledger_postings').set({ amount_minor: 6n }).where('journal_id', '=', 'jnl_trigger').execute(), /append-only/);
    await assert.rejects(db.deleteFrom('ledger_postings').where('journal_id', '=', 'jnl_trigger').execute(), /append-only/);
    await assert.rejects(db.updateTable('ledger_journals').set({ description: 'edited' }).where('id', '=', 'jnl_trigger').execute(), /append-only/);
    await assert.rejects(db.deleteFrom('ledger_journals').where('id', '=', 'jnl_trigger').execute(), /append-only/);
    const rows = await db.selectFrom('ledger_postings').select(['amount_minor']).where('journal_id', '=', 'jnl_trigger').orderBy('line').execute();
    assert.deepEqual(rows.map((r) => r.amount_minor), [5n, -5n]);
  });
});
