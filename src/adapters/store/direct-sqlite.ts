/**
 * Prepared queries (prepared.ts) run on SQLite without kysely's connection machinery when nothing
 * can come between. kysely's SQLite driver hands its one connection to a query at a time through a
 * promise-based lock, and its executor adds a few promise hops more: on the churn benchmark about
 * 2 µs a query, for statements that take SQLite 3–20 µs. better-sqlite3 is synchronous, so a
 * statement run directly cannot interleave with anything; what the lock guards against is a query
 * running inside another's open transaction. So a query runs directly
 * - on a group commit's transaction connection (group-commit.ts): the batch holds the lock, and its
 *   members run one after another on it;
 * - on the database's own handle when no transaction is open on the connection
 *   (`Database.inTransaction`): it autocommits, as it would once kysely gave it the lock; when one
 *   is open (a batch between two members, a migration) it goes through kysely and waits its turn.
 * Results have the shape kysely's driver gives (rows; numAffectedRows and insertId as bigints).
 *
 * One read may go further: `readThroughBatch` runs at once on the handle even while a batch's
 * transaction is open on it, for a caller to which the batch's rows not yet committed answer the
 * same as their absence (see there).
 */
import type SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './tables.ts';

interface DirectConnection {
  readonly sqlite: SqliteDatabase.Database;
  /** The statement cache kysely's driver uses too (sqlite-tuning.ts). */
  readonly prepare: (sql: string) => SqliteDatabase.Statement;
  /** A group commit's connection: the transaction open on it is its own. */
  readonly holdsTransaction: boolean;
}

const connections = new WeakMap<Kysely<Database>, DirectConnection>();

/** Called when a SQLite database is opened: its handle may run statements directly. */
export function attachDirect(db: Kysely<Database>, sqlite: SqliteDatabase.Database, prepare: (sql: string) => SqliteDatabase.Statement): void {
  connections.set(db, { sqlite, prepare, holdsTransaction: false });
}

/** Called by a group commit for the connection its batch runs on, if its database is SQLite. */
export function attachTransactionConnection(connection: Kysely<Database>, of: Kysely<Database>): void {
  const direct = connections.get(of);
  if (direct !== undefined) connections.set(connection, { ...direct, holdsTransaction: true });
}

/**
 * Runs the read `query` on `db`'s SQLite handle at once, even while a transaction is open on it (a
 * group commit's batch; a read-only snapshot): the read then sees the rows that batch wrote before
 * its COMMIT, which may yet roll back. Only for a caller that answers the same whether it sees them
 * or not (idempotency-queries.ts: a record a batch writes has its claim in memory until after the
 * COMMIT, and the claim is looked at first). Without this the read waits for the transaction's end
 * behind kysely's connection lock. null when `db` is not a SQLite handle.
 */
export function readThroughBatch<O>(db: Kysely<Database>, query: CompiledQuery<O>): readonly O[] | null {
  const direct = connections.get(db);
  if (direct === undefined) return null;
  const statement = direct.prepare(query.sql);
  if (!statement.reader) throw new Error(`readThroughBatch runs reads only: ${query.sql}`);
  return statement.all(query.parameters) as O[];
}

/** Runs `query` directly when `db` may (see above); null when it must go through kysely. */
export function executeDirect<O>(db: Kysely<Database>, query: CompiledQuery<O>): QueryResult<O> | null {
  const direct = connections.get(db);
  if (direct === undefined || (!direct.holdsTransaction && direct.sqlite.inTransaction)) return null;
  const statement = direct.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) as O[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}
