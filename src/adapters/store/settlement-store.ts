/**
 * Settlement storage: reading a run's data on one snapshot, and closing a period in one
 * transaction whose reads and writes share that snapshot — on SQLite in a worker thread, on
 * PostgreSQL at REPEATABLE READ — so that the items marked settled are exactly those counted.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type {
  CloseDecision, CloseOutcome, CloseSettlement, LedgerSum, SettlementData, SettlementScope, StoredRun, StoredStatement,
} from '../../app/ports/index.ts';
import { assert, type Currency, isCurrency, type StatementAggregate, type StatementKind, type Totals } from '../../domain/index.ts';
import type { DialectName } from './database.ts';
import { readInWorker } from './read-worker.ts';
import { asBigInt, asNumber } from './row-values.ts';
import {
  chargeAggregatesQuery, type HighWaterMarks, highWaterMarksQuery, ledgerChargesQuery, ledgerRefundsQuery, markChargesQuery, markRefundsQuery,
  refundAggregatesQuery,
} from './settlement-queries.ts';
import type { Database } from './tables.ts';
import { transactionInWorker, type WorkerConnection } from './write-worker.ts';

type Db = Kysely<Database>;
type Row = Record<string, unknown>;

/** Reads and writes of one transaction, wherever it runs (a kysely connection or a worker thread). */
interface Executor {
  read(queries: readonly CompiledQuery[]): Promise<Row[][]>;
  write(queries: readonly CompiledQuery[]): Promise<bigint[]>;
}

/** What a close is given: the period, its scopes, and the decision to take on their data. */
export interface CloseInput<R> {
  readonly period: string;
  readonly scopes: readonly SettlementScope[];
  readonly decide: (data: SettlementData) => CloseDecision<R> | Promise<CloseDecision<R>>;
}

/** Queries read per scope, in this order. */
const QUERIES_PER_SCOPE = 6;

/** Closes raced by another transaction are tried again (PostgreSQL serialization failures), at most this often. */
const CLOSE_ATTEMPTS_MAX = 3;

function currency(value: unknown): Currency {
  assert(isCurrency(value), `settlement row currency ${String(value)}`);
  return value;
}

const int = (value: unknown): bigint => (value === null || value === undefined ? 0n : asBigInt(value as bigint | number | string));

function totalsOf(row: Row): Totals {
  return {
    count: asNumber(int(row['n'])), billedSeconds: int(row['billed_s']), grossMinor: int(row['gross']), vatMinor: int(row['vat']),
    netMinor: int(row['net']), collectionFeeMinor: int(row['collectionFeeMinor']), badDebtMinor: int(row['badDebtMinor']),
    interconnectMinor: int(row['interconnectMinor']), hostingShareMinor: int(row['hostingCarrierShareMinor']), merchantShareMinor: int(row['merchantShareMinor']),
  };
}

function readQueries(db: Db, dialect: DialectName, scopes: readonly SettlementScope[]): CompiledQuery[] {
  return scopes.flatMap((scope) => [
    chargeAggregatesQuery(db, dialect, scope, 'current').compile(), chargeAggregatesQuery(db, dialect, scope, 'late').compile(),
    refundAggregatesQuery(db, dialect, scope, 'current').compile(), refundAggregatesQuery(db, dialect, scope, 'late').compile(),
    ledgerChargesQuery(db, dialect, scope).compile(), ledgerRefundsQuery(db, dialect, scope).compile(),
  ]);
}

function parseScope(kind: StatementKind, [charges, lateCharges, refunds, lateRefunds, ledgerCharges, ledgerRefunds]: Row[][]): SettlementData {
  const key = (row: Row) => ({ kind, debtorId: String(row['debtor']), creditorId: String(row['creditor']) });
  const aggregate = (itemType: 'charge' | 'refund') => (row: Row): StatementAggregate => {
    assert(typeof row['home_period'] === 'string', 'every item of a scope belongs to one of its periods');
    return { ...key(row), currency: currency(row['currency']), itemType, homePeriod: row['home_period'], totals: totalsOf(row) };
  };
  const ledger = (itemType: 'charge' | 'refund') => (row: Row): LedgerSum => ({ ...key(row), itemType, account: String(row['account']), postedMinor: int(row['posted']) });
  return {
    items: [...[...(charges ?? []), ...(lateCharges ?? [])].map(aggregate('charge')), ...[...(refunds ?? []), ...(lateRefunds ?? [])].map(aggregate('refund'))],
    ledger: [...(ledgerCharges ?? []).map(ledger('charge')), ...(ledgerRefunds ?? []).map(ledger('refund'))],
  };
}

function parseData(scopes: readonly SettlementScope[], results: Row[][]): SettlementData {
  assert(results.length === scopes.length * QUERIES_PER_SCOPE, 'one result per settlement query');
  const parts = scopes.map((scope, index) => parseScope(scope.kind, results.slice(index * QUERIES_PER_SCOPE, (index + 1) * QUERIES_PER_SCOPE)));
  return { items: parts.flatMap((p) => p.items), ledger: parts.flatMap((p) => p.ledger) };
}

/** Reads and writes on a kysely connection or transaction. */
function kyselyExecutor(db: Db): Executor {
  return {
    read: async (queries) => {
      const rows: Row[][] = [];
      for (const query of queries) rows.push((await db.executeQuery<Row>(query)).rows);
      return rows;
    },
    write: async (queries) => {
      const changes: bigint[] = [];
      for (const query of queries) changes.push((await db.executeQuery(query)).numAffectedRows ?? 0n);
      return changes;
    },
  };
}

/** When the earliest charge was rated: the first entry of the charges' `created_at_ms` index. */
export async function earliestChargeAtMs(db: Db): Promise<number | null> {
  const row = await db.selectFrom('charges').select((eb) => eb.fn.min<bigint | number | null>('created_at_ms').as('first_ms')).executeTakeFirst();
  return row === undefined || row.first_ms === null ? null : asNumber(row.first_ms);
}

/** Runs every scope's queries on one snapshot: in a worker thread's read transaction on SQLite, in a repeatable-read transaction on PostgreSQL. */
export async function settlementData(db: Db, dialect: DialectName, sqlitePath: string | null, scopes: readonly SettlementScope[]): Promise<SettlementData> {
  const queries = readQueries(db, dialect, scopes);
  if (dialect === 'sqlite' && sqlitePath !== null) {
    const rows = (await readInWorker(sqlitePath, queries)) as Row[][];
    await yieldToEventLoop(); // the rows were copied in from the worker: a turn of the loop before they are read
    return parseData(scopes, rows);
  }
  // PostgreSQL: one snapshot too (repeatable read). Read one by one outside a transaction, the
  // queries could see different commits: a charge, refund or close committed between the
  // aggregates and the ledger's postings made them disagree (a spurious ledger_mismatch).
  const rows = dialect === 'postgres' && !db.isTransaction
    ? await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute((tx) => kyselyExecutor(tx).read(queries))
    : await kyselyExecutor(db).read(queries);
  return parseData(scopes, rows);
}

/** The writes of a close, compiled: the run, its statements, then the items each scope marks (two queries per scope). */
function closeWrites(db: Db, dialect: DialectName, input: { readonly period: string; readonly scopes: readonly SettlementScope[] }, close: CloseSettlement, marks: HighWaterMarks | null)
  : { run: CompiledQuery; statements: CompiledQuery[]; planning: CompiledQuery[]; items: CompiledQuery[] } {
  const run = db.insertInto('settlement_runs').values({
    id: close.run.id, period: close.run.period, closed_at_ms: close.run.closedAtMs, report_json: close.run.reportJson,
  }).onConflict((conflict) => conflict.doNothing()).compile();
  const statements = close.statements.length === 0 ? [] : [db.insertInto('statements').values(close.statements.map((s) => ({
    id: s.id, run_id: close.run.id, period: close.run.period, kind: s.kind, debtor_id: s.debtorId, creditor_id: s.creditorId,
    currency: s.currency, amount_due_minor: s.amountDueMinor, body_json: s.bodyJson,
  }))).compile()];
  const items = input.scopes.flatMap((scope) => [
    markChargesQuery(db, dialect, input.period, scope, marks).compile(), markRefundsQuery(db, dialect, input.period, scope, marks).compile(),
  ]);
  // PostgreSQL, until the end of the close: no nested loop. Its statistics may say statement_items
  // is empty (analysed before the first close): it then checks each item it marks against the
  // table with a sequential scan, of a table the very statement is filling — quadratic, a million
  // items did not finish in ten minutes (settlement benchmark). A hash anti join reads it once.
  const planning = dialect === 'postgres' ? [sql`set local enable_nestloop = off`.compile(db)] : [];
  return { run, statements, planning, items };
}

/**
 * Stores a closed run — nothing when the period was closed meanwhile — and asserts that it
 * marked exactly the items its data counted: the writes run on the snapshot the data was read
 * on (or, on SQLite, on the rows that snapshot saw, nothing settled since).
 */
async function storeClose(tx: Executor, writes: ReturnType<typeof closeWrites>, data: SettlementData): Promise<'closed' | 'already_closed'> {
  const [inserted] = await tx.write([writes.run]);
  if (inserted === 0n) return 'already_closed';
  await tx.write([...writes.statements, ...writes.planning]);
  const marked = (await tx.write(writes.items)).reduce((sum, n) => sum + n, 0n);
  const counted = data.items.reduce((sum, item) => sum + BigInt(item.totals.count), 0n);
  assert(marked === counted, `a close marks exactly the items its statements count (${marked} marked, ${counted} counted)`);
  return 'closed';
}

const runOfPeriod = (db: Db, period: string): CompiledQuery => db.selectFrom('settlement_runs').select('id').where('period', '=', period).compile();

/**
 * The close in one transaction that `tx` reads and writes: nothing read if the period has a run;
 * else the data, the decision, and — when it closes — the run, its statements and the items,
 * marked by the very queries that were aggregated, on the same snapshot.
 */
async function closeIn<R>(tx: Executor, db: Db, dialect: DialectName, input: CloseInput<R>): Promise<CloseOutcome<R>> {
  const [existing] = await tx.read([runOfPeriod(db, input.period)]);
  if ((existing ?? []).length > 0) return { outcome: 'already_closed' };
  const data = parseData(input.scopes, await tx.read(readQueries(db, dialect, input.scopes)));
  const decision = await input.decide(data);
  if ('refuse' in decision) return { outcome: 'refused', result: decision.refuse };
  const stored = await storeClose(tx, closeWrites(db, dialect, input, decision.close, null), data);
  return stored === 'closed' ? { outcome: 'closed', result: decision.result } : { outcome: 'already_closed' };
}

function marksOf(row: Row | undefined): HighWaterMarks {
  return { charges: int(row?.['charges']), refunds: int(row?.['refunds']), items: int(row?.['items']) };
}

/**
 * The close on SQLite, in two phases in worker threads (between the steps left on this thread,
 * tens of milliseconds each the first time, the event loop turns). Reading: the data on a read-only
 * snapshot, with its high-water marks — no lock held, so the server's writes go on. Writing: one
 * write transaction, `db`'s connection held meanwhile (the process's other queries wait for it;
 * the event loop does not), which first checks that nothing was settled since the snapshot
 * (else it reads again), then marks only the charges and refunds the snapshot saw: exactly those
 * counted, whatever was committed in between.
 */
async function closeInWorkers<R>(db: Db, path: string, input: CloseInput<R>): Promise<CloseOutcome<R>> {
  const connection = await connectionOf(db);
  const marksQuery = highWaterMarksQuery().compile(db);
  for (let attempt = 1; ; attempt += 1) {
    const [existing = [], markRows = [], ...rows] = (await readInWorker(path, [runOfPeriod(db, input.period), marksQuery, ...readQueries(db, 'sqlite', input.scopes)])) as Row[][];
    if (existing.length > 0) return { outcome: 'already_closed' };
    const marks = marksOf(markRows[0]);
    await yieldToEventLoop();
    const data = parseData(input.scopes, rows);
    await yieldToEventLoop();
    const decision = await input.decide(data);
    if ('refuse' in decision) return { outcome: 'refused', result: decision.refuse };
    await yieldToEventLoop();
    const writes = closeWrites(db, 'sqlite', input, decision.close, marks);
    await yieldToEventLoop();
    const stored = await db.connection().execute(() => transactionInWorker(path, connection, async (tx) => {
      const [now = []] = await tx.read([marksQuery]);
      return marksOf(now[0]).items === marks.items ? storeClose(tx, writes, data) : 'settled_since';
    }));
    if (stored !== 'settled_since') return stored === 'closed' ? { outcome: 'closed', result: decision.result } : { outcome: 'already_closed' };
    if (attempt >= CLOSE_ATTEMPTS_MAX) throw new Error(`closing ${input.period}: other closes settled items while it read its data, ${String(attempt)} times`);
  }
}

/** A PostgreSQL error another attempt may not meet: a serialization failure, a deadlock, an item settled by a concurrent close. */
function isRaceLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01' || code === '23505';
}

/** SQLite's busy timeout (database.ts): a worker waits as long as the main connection would. */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** How `db`'s SQLite connection is set up, for the worker's to match it. */
async function connectionOf(db: Db): Promise<WorkerConnection> {
  const { rows: [synchronous] } = await sql<{ synchronous: bigint | number }>`pragma synchronous`.execute(db);
  const { rows: [checkpoint] } = await sql<{ wal_autocheckpoint: bigint | number }>`pragma wal_autocheckpoint`.execute(db);
  return {
    synchronous: asBigInt(synchronous?.synchronous ?? 1) >= 2n ? 'FULL' : 'NORMAL',
    walAutocheckpointPages: asNumber(checkpoint?.wal_autocheckpoint ?? 1000), busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS,
  };
}

/** Closes a period inside a transaction the caller opened on `db` (SQLite without a file, or a caller's transaction). */
export function closeSettlementIn<R>(db: Db, dialect: DialectName, input: CloseInput<R>): Promise<CloseOutcome<R>> {
  return closeIn(kyselyExecutor(db), db, dialect, input);
}

/**
 * Closes a period in transactions of its own (SettlementStore.closeSettlement): on SQLite in
 * worker threads, reading without a lock and then writing (closeInWorkers); on PostgreSQL in one
 * REPEATABLE READ transaction, tried again when a concurrent transaction wins a race (the other
 * close is then seen, or the items it settled are left out).
 */
export async function closeSettlement<R>(db: Db, dialect: DialectName, sqlitePath: string | null, input: CloseInput<R>): Promise<CloseOutcome<R>> {
  if (dialect === 'sqlite') {
    assert(sqlitePath !== null, 'a SQLite close in worker threads needs the database file');
    return closeInWorkers(db, sqlitePath, input);
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction().setIsolationLevel('repeatable read').execute((tx) => closeIn(kyselyExecutor(tx), tx, dialect, input));
    } catch (error) {
      if (attempt >= CLOSE_ATTEMPTS_MAX || !isRaceLost(error)) throw error;
    }
  }
}

function runFrom(row: { id: string; period: string; closed_at_ms: bigint | number; report_json: string }): StoredRun {
  return { id: row.id, period: row.period, closedAtMs: asNumber(row.closed_at_ms), reportJson: row.report_json };
}

export async function getSettlementRun(db: Db, by: { period: string } | { id: string }): Promise<StoredRun | null> {
  const query = db.selectFrom('settlement_runs').selectAll();
  const row = await ('period' in by ? query.where('period', '=', by.period) : query.where('id', '=', by.id)).executeTakeFirst();
  return row === undefined ? null : runFrom(row);
}

export async function listSettlementRuns(db: Db): Promise<StoredRun[]> {
  return (await db.selectFrom('settlement_runs').selectAll().orderBy('period', 'desc').execute()).map(runFrom);
}

export async function getStatement(db: Db, id: string): Promise<(StoredStatement & { runId: string; period: string }) | null> {
  const row = await db.selectFrom('statements').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: row.id, runId: row.run_id, period: row.period, kind: row.kind as StatementKind, debtorId: row.debtor_id, creditorId: row.creditor_id,
    currency: currency(row.currency), amountDueMinor: asBigInt(row.amount_due_minor), bodyJson: row.body_json,
  };
}
