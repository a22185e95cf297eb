import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseConfigFromEnv, DEFAULT_SQLITE_PATH, openDatabase } from '../../../src/adapters/store/database.ts';
import { describeEachDatabase } from '../../support/databases.ts';

describe('storage: choosing the database from the environment', () => {
  it('nothing set → the embedded SQLite file data/palier.sqlite', () => {
    assert.deepEqual(databaseConfigFromEnv({}), { dialect: 'sqlite', path: DEFAULT_SQLITE_PATH });
    assert.equal(DEFAULT_SQLITE_PATH, 'data/palier.sqlite');
  });

  it('PALIER_SQLITE_PATH moves the file; an empty one is treated as unset (never an in-memory database)', () => {
    assert.deepEqual(databaseConfigFromEnv({ PALIER_SQLITE_PATH: '/var/lib/palier/p.sqlite' }), { dialect: 'sqlite', path: '/var/lib/palier/p.sqlite' });
    assert.deepEqual(databaseConfigFromEnv({ PALIER_SQLITE_PATH: '' }), { dialect: 'sqlite', path: DEFAULT_SQLITE_PATH });
  });

  it('DATABASE_URL selects PostgreSQL and wins over PALIER_SQLITE_PATH; another scheme is refused, not ignored', () => {
    assert.deepEqual(databaseConfigFromEnv({ DATABASE_URL: 'postgres://u@h/db', PALIER_SQLITE_PATH: 'x.sqlite' }), { dialect: 'postgres', url: 'postgres://u@h/db' });
    assert.deepEqual(databaseConfigFromEnv({ DATABASE_URL: 'postgresql://u@h/db' }), { dialect: 'postgres', url: 'postgresql://u@h/db' });
    assert.throws(() => databaseConfigFromEnv({ DATABASE_URL: 'mysql://u@h/db' }), /DATABASE_URL must be a postgres:\/\/ URL/);
  });

  it('PALIER_SQLITE_SYNCHRONOUS is NORMAL or FULL, anything else refused', () => {
    assert.deepEqual(databaseConfigFromEnv({ PALIER_SQLITE_SYNCHRONOUS: 'FULL' }), { dialect: 'sqlite', path: DEFAULT_SQLITE_PATH, synchronous: 'FULL' });
    assert.throws(() => databaseConfigFromEnv({ PALIER_SQLITE_SYNCHRONOUS: 'OFF' }), /must be NORMAL or FULL/);
  });
});

describe('storage: the SQLite connection', () => {
  it('opens in WAL mode with foreign keys on, NORMAL by default or FULL, creating the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palier-db-'));
    try {
      for (const [synchronous, level] of [[undefined, 1n], ['FULL', 2n]] as const) {
        const path = join(dir, synchronous ?? 'default', 'nested', 'palier.sqlite');
        const database = openDatabase({ dialect: 'sqlite', path, ...(synchronous === undefined ? {} : { synchronous }) });
        try {
          const sqlite = database.raw.sqlite;
          assert.ok(sqlite !== undefined);
          assert.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal');
          assert.equal(sqlite.pragma('foreign_keys', { simple: true }), 1n);
          assert.equal(sqlite.pragma('synchronous', { simple: true }), level);
          // Integers come back as bigint, so money read from the file is exact.
          assert.equal(sqlite.prepare('select 9007199254740993 as n').pluck().get(), 9007199254740993n);
        } finally {
          await database.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeEachDatabase('storage: money columns', ({ database }) => {
  it('every *_minor column is an integer type (INTEGER/BIGINT), never REAL, NUMERIC or DECIMAL', async () => {
    const { db, dialect } = database();
    const columns = dialect === 'sqlite'
      ? (await sql<{ table_name: string; name: string; type: string }>`
          select m.name as table_name, p.name as name, p.type as type
          from sqlite_master m join pragma_table_info(m.name) p
          where m.type = 'table' and p.name like '%\\_minor' escape '\\'`.execute(db)).rows
      : (await sql<{ table_name: string; name: string; type: string }>`
          select table_name, column_name as name, data_type as type from information_schema.columns
          where table_schema = current_schema() and column_name like '%\\_minor' escape '\\'`.execute(db)).rows;
    assert.ok(columns.length >= 10, `found ${String(columns.length)} money columns`);
    for (const column of columns) {
      assert.match(column.type.toLowerCase(), /^(integer|bigint)$/, `${column.table_name}.${column.name} is ${column.type}`);
    }
  });
});

describeEachDatabase('storage: connection tuning', ({ database }) => {
  it('SQLite keeps savepoint undo pages in memory (group commit); PostgreSQL sends a parameterised query as a named statement, prepared once per connection', async () => {
    const { db, dialect, raw } = database();
    if (dialect === 'sqlite') {
      assert.equal(raw.sqlite?.pragma('temp_store', { simple: true }), 2n, 'temp_store = MEMORY');
      return;
    }
    const prepared = await db.connection().execute(async (connection) => {
      for (let i = 0; i < 3; i += 1) await connection.selectFrom('carriers').select('id').where('id', '=', `car_${String(i)}`).execute();
      return (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(connection)).rows;
    });
    const mine = prepared.filter((row) => row.statement.includes('from "carriers" where "id" = $1'));
    assert.equal(mine.length, 1, `one named statement for the three calls: ${JSON.stringify(prepared)}`);
    assert.match(mine[0]?.name ?? '', /^palier_\d+$/);
    // A query without parameters stays unnamed (nothing to reuse a plan for).
    assert(!prepared.some((row) => row.statement.includes('pg_prepared_statements')));
  });
});
