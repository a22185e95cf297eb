/**
 * Real databases for tests, no mocks: a fresh SQLite file per suite, and a fresh PostgreSQL
 * schema per suite on the server at PALIER_TEST_PG_URL (default 127.0.0.1:5432, database test).
 * Without PostgreSQL its suites are skipped with a visible reason, unless PALIER_REQUIRE_PG=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { type DatabaseConfig, type OpenDatabase, openDatabase } from '../../src/adapters/store/database.ts';
import { migrate } from '../../src/adapters/store/migrate.ts';

export const PG_URL = process.env['PALIER_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_PG = process.env['PALIER_REQUIRE_PG'] === '1';

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const pgProblem = await probePostgres();
if (pgProblem !== null) {
  if (REQUIRE_PG) throw new Error(`PALIER_REQUIRE_PG=1 but PostgreSQL at ${PG_URL} is not reachable: ${pgProblem}`);
  process.stderr.write(`\n!! PostgreSQL at ${PG_URL} is not reachable (${pgProblem}): PostgreSQL suites are SKIPPED. Set PALIER_REQUIRE_PG=1 to fail instead.\n\n`);
}

export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, migrated database; closed and removed by `dispose`. */
  open(): Promise<OpenDatabase>;
  /** A configuration for another connection (or another process) to the same database. */
  config(): DatabaseConfig;
  dispose(): Promise<void>;
}

function sqliteTarget(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'palier-test-'));
  const config: DatabaseConfig = { dialect: 'sqlite', path: join(dir, 'palier.sqlite') };
  const opened: OpenDatabase[] = [];
  return {
    name: 'sqlite',
    config: () => config,
    async open() {
      const database = openDatabase(config);
      opened.push(database);
      await migrate(database.db, 'sqlite');
      return database;
    },
    async dispose() {
      for (const database of opened) await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): TestDatabase {
  const schema = `palier_test_${randomBytes(6).toString('hex')}`;
  const config: DatabaseConfig = { dialect: 'postgres', url: PG_URL, searchPath: schema };
  const opened: OpenDatabase[] = [];
  return {
    name: 'postgres',
    config: () => config,
    async open() {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`create schema if not exists ${schema}`);
      await admin.end();
      const database = openDatabase(config);
      opened.push(database);
      await migrate(database.db, 'postgres');
      return database;
    },
    async dispose() {
      for (const database of opened) await database.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    },
  };
}

export interface DatabaseSuite {
  /** The suite's migrated database, opened in `before`. */
  readonly database: () => OpenDatabase;
  /** Its target, to open more connections (or child processes) on the same database. */
  readonly target: () => TestDatabase;
}

/**
 * Declares `suite` once per database, `<title> [sqlite]` and `<title> [postgres]`: the same
 * assertions on both (STYLE.md rule 18). Each run gets a fresh database, removed afterwards.
 */
export function describeEachDatabase(title: string, suite: (context: DatabaseSuite) => void): void {
  for (const name of ['sqlite', 'postgres'] as const) {
    const skip = name === 'postgres' && pgProblem !== null ? `PostgreSQL not reachable: ${pgProblem}` : false;
    describe(`${title} [${name}]`, { skip }, () => {
      let target: TestDatabase | undefined;
      let database: OpenDatabase | undefined;
      before(async () => {
        target = name === 'sqlite' ? sqliteTarget() : postgresTarget();
        database = await target.open();
      });
      suite({
        database: () => { if (database === undefined) throw new Error('database not open yet'); return database; },
        target: () => { if (target === undefined) throw new Error('target not ready yet'); return target; },
      });
      // After the suite's own `after` hooks (they run in the order registered): a server the suite
      // started stops, and writes what it must, before its database is dropped.
      after(async () => { await target?.dispose(); });
    });
  }
}
