/**
 * Opening the database: embedded SQLite (better-sqlite3, WAL, foreign keys) by default, or
 * PostgreSQL when `DATABASE_URL` is a postgres:// URL. Both hand integers back as bigint, so money
 * read from either is exact.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { preparedStatementsOn } from './postgres-tuning.ts';
import { attachDirect } from './direct-sqlite.ts';
import { attachReferenceCache } from './reference-cache.ts';
import { withStatementCache } from './sqlite-tuning.ts';
import type { Database } from './tables.ts';

export type DialectName = 'sqlite' | 'postgres';

/**
 * SQLite's durability: NORMAL (the default) in WAL mode loses nothing when the process crashes and
 * never corrupts, but a power loss or OS crash may lose the last few commits; FULL also survives
 * those, at about half the throughput on this class of disk (docs/performance.md).
 */
export type SqliteSynchronous = 'NORMAL' | 'FULL';

export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly path: string; readonly synchronous?: SqliteSynchronous }
  | { readonly dialect: 'postgres'; readonly url: string; readonly searchPath?: string; readonly poolSize?: number };

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  readonly config: DatabaseConfig;
  /** The raw driver handle, for benchmarks that compare against it. */
  readonly raw: { readonly sqlite?: SqliteDatabase.Database; readonly pool?: pg.Pool };
  close(): Promise<void>;
}

/** Where the embedded database lives unless PALIER_SQLITE_PATH says otherwise. */
export const DEFAULT_SQLITE_PATH = 'data/palier.sqlite';

/** Reads the database choice from the environment: DATABASE_URL selects PostgreSQL. */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env['DATABASE_URL'];
  if (url !== undefined && url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// URL (unset it for the embedded SQLite database)');
    return { dialect: 'postgres', url };
  }
  const path = env['PALIER_SQLITE_PATH'];
  const synchronous = env['PALIER_SQLITE_SYNCHRONOUS'];
  if (synchronous !== undefined && synchronous !== '' && synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new Error('PALIER_SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  }
  // An empty path would make better-sqlite3 open a throwaway in-memory database: treat it as unset.
  return {
    dialect: 'sqlite', path: path === undefined || path === '' ? DEFAULT_SQLITE_PATH : path,
    ...(synchronous === 'FULL' || synchronous === 'NORMAL' ? { synchronous } : {}),
  };
}

// INT8 (BIGINT) as bigint, so money columns are exact; NUMERIC stays a string. pg's type parsers
// are process-wide: every pg client of this process reads BIGINT as bigint, which is what we want.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));

/** SQLite connection settings: WAL for concurrent readers, foreign keys on, waits instead of failing when busy. */
function openSqlite(path: string, synchronous: SqliteSynchronous): SqliteDatabase.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma(`synchronous = ${synchronous}`);
  // Savepoints (group commit) keep their undo pages in memory rather than spilling them to a temp file.
  sqlite.pragma('temp_store = MEMORY');
  sqlite.defaultSafeIntegers(true);
  return sqlite;
}

/** Opens (and creates, for SQLite) the database described by `config`. Run `migrate` next. */
export function openDatabase(config: DatabaseConfig): OpenDatabase {
  if (config.dialect === 'sqlite') {
    const sqlite = openSqlite(config.path, config.synchronous ?? 'NORMAL');
    const statements = withStatementCache(sqlite);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
    attachReferenceCache(db, sqlite);
    attachDirect(db, sqlite, (sql) => statements.prepare(sql));
    return { db, dialect: 'sqlite', config, raw: { sqlite }, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    ...(config.searchPath === undefined ? {} : { options: `-c search_path=${config.searchPath}` }),
  });
  pool.on('connect', preparedStatementsOn);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', config, raw: { pool }, close: () => db.destroy() };
}
