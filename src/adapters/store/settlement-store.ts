/** Settlement storage: running the aggregates (in a worker on SQLite) and storing closed runs. */
import { type CompiledQuery, type Kysely, sql, type SqlBool } from 'kysely';
import type {
  CloseSettlement, CurrentAggregate, LateItem, LedgerSum, SettlementData, SettlementScope, StoredRun, StoredStatement,
} from '../../app/ports/index.ts';
import { assert, type Currency, isCurrency, type StatementKind, type Totals } from '../../domain/index.ts';
import { splitFromJson } from './charge-queries.ts';
import type { DialectName } from './database.ts';
import { readInWorker } from './read-worker.ts';
import { asBigInt, asNumber } from './row-values.ts';
import {
  chargeAggregatesQuery, lateChargesQuery, lateRefundsQuery, ledgerCheckQuery, ledgerRefundCheckQuery, refundAggregatesQuery,
} from './settlement-queries.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;
type Row = Record<string, unknown>;

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

function queriesOf(db: Db, dialect: DialectName, scope: SettlementScope): CompiledQuery[] {
  return [
    chargeAggregatesQuery(db, dialect, scope).compile(), refundAggregatesQuery(db, dialect, scope).compile(),
    lateChargesQuery(db, scope).compile(), lateRefundsQuery(db, scope).compile(),
    ledgerCheckQuery(db, dialect, scope).compile(), ledgerRefundCheckQuery(db, dialect, scope).compile(),
  ];
}

function parse(kind: StatementKind, [charges, refunds, lateCharges, lateRefunds, ledgerCharges, ledgerRefunds]: Row[][]): SettlementData {
  const key = (row: Row) => ({ kind, debtorId: String(row['debtor']), creditorId: String(row['creditor']), currency: currency(row['currency']) });
  const current: CurrentAggregate[] = [
    ...(charges ?? []).map((row) => ({ ...key(row), itemType: 'charge' as const, totals: totalsOf(row) })),
    ...(refunds ?? []).map((row) => ({ ...key(row), itemType: 'refund' as const, totals: totalsOf(row) })),
  ];
  const late: LateItem[] = [
    ...(lateCharges ?? []).map((row) => ({
      ...key(row), itemType: 'charge' as const, itemId: String(row['id']), chargeCreatedAtMs: asNumber(int(row['created_at_ms'])),
      billedSeconds: int(row['billed_s']), split: splitFromJson(String(row['split_json'])),
    })),
    ...(lateRefunds ?? []).map((row) => ({
      ...key(row), itemType: 'refund' as const, itemId: String(row['id']), chargeCreatedAtMs: asNumber(int(row['charge_created_at_ms'])),
      billedSeconds: 0n, split: splitFromJson(String(row['split_json'])),
    })),
  ];
  const ledger: LedgerSum[] = [...(ledgerCharges ?? []), ...(ledgerRefunds ?? [])]
    .map((row) => ({ kind, debtorId: String(row['debtor']), creditorId: String(row['creditor']), postedMinor: int(row['posted']) }));
  return { current, late, ledger };
}

/** Runs every scope's queries on one snapshot: in a worker thread's read transaction on SQLite, in a repeatable-read transaction on PostgreSQL. */
export async function settlementData(db: Db, dialect: DialectName, sqlitePath: string | null, scopes: readonly SettlementScope[]): Promise<SettlementData> {
  const compiled = scopes.map((scope) => queriesOf(db, dialect, scope));
  let results: Row[][];
  if (dialect === 'sqlite' && sqlitePath !== null) {
    results = (await readInWorker(sqlitePath, compiled.flat())) as Row[][];
  } else {
    // PostgreSQL: one snapshot too (repeatable read). Read one by one outside a transaction, the
    // queries could see different commits: a charge, refund or close committed between the
    // aggregates and the ledger check made them disagree (a spurious ledger_mismatch).
    const readAll = async (reader: Db): Promise<Row[][]> => {
      const rows: Row[][] = [];
      for (const query of compiled.flat()) rows.push((await reader.executeQuery<Row>(query)).rows);
      return rows;
    };
    results = dialect === 'postgres' && !db.isTransaction
      ? await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(readAll)
      : await readAll(db);
  }
  const parts = scopes.map((scope, index) => parse(scope.kind, results.slice(index * 6, index * 6 + 6)));
  return { current: parts.flatMap((p) => p.current), late: parts.flatMap((p) => p.late), ledger: parts.flatMap((p) => p.ledger) };
}

/** Inside a transaction: the run, its statements, and the items each statement settles. */
export async function closeSettlement(db: Db, close: CloseSettlement): Promise<'closed' | 'already_closed'> {
  // A close racing this one waits here for the winner's commit, then inserts nothing (no unique violation).
  const inserted = await db.insertInto('settlement_runs').values({
    id: close.run.id, period: close.run.period, closed_at_ms: close.run.closedAtMs, report_json: close.run.reportJson,
  }).onConflict((conflict) => conflict.doNothing()).executeTakeFirst();
  if (inserted.numInsertedOrUpdatedRows === 0n) return 'already_closed';
  if (close.statements.length > 0) {
    await db.insertInto('statements').values(close.statements.map((s) => ({
      id: s.id, run_id: close.run.id, period: close.run.period, kind: s.kind, debtor_id: s.debtorId, creditor_id: s.creditorId,
      currency: s.currency, amount_due_minor: s.amountDueMinor, body_json: s.bodyJson,
    }))).execute();
  }
  for (const scope of close.scopes) await settleCurrentItems(db, close.run.period, scope);
  for (const item of close.lateItems) {
    await db.insertInto('statement_items').values({
      kind: item.kind, item_type: item.itemType, item_id: item.itemId, statement_id: item.statementId, home_period: item.homePeriod,
    }).execute();
  }
  return 'closed';
}

/** INSERT … SELECT of the period's own charges and refunds: the same filters as the aggregates, no JavaScript loop. */
async function settleCurrentItems(db: Db, period: string, scope: SettlementScope): Promise<void> {
  const [debtor, creditor] = scope.kind === 'carrier' ? ['c.billing_carrier_id', 'c.hosting_carrier_id'] : ['c.hosting_carrier_id', 'c.merchant_id'];
  const statementIdSql = sql<string>`${`stm_${period}_${scope.kind}_`} || ${sql.ref(debtor)} || '_' || ${sql.ref(creditor)}`;
  const charges = chargeAggregatesQueryIds(db, scope).select([
    sql.lit(scope.kind).as('kind'), sql.lit('charge').as('item_type'), 'c.id as item_id', statementIdSql.as('statement_id'), sql.lit(period).as('home_period'),
  ]);
  await db.insertInto('statement_items').columns(['kind', 'item_type', 'item_id', 'statement_id', 'home_period']).expression(charges).execute();
  const refunds = db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id')
    .where(sql.ref(debtor), 'in', [...scope.debtorIds]).where('c.created_at_ms', '>=', scope.startMs).where('c.created_at_ms', '<', scope.endMs)
    .where('r.created_at_ms', '<', scope.endMs)
    .where(sql<SqlBool>`not exists (select 1 from statement_items i where i.kind = ${scope.kind} and i.item_type = 'refund' and i.item_id = r.id)`)
    .$if(scope.kind === 'carrier', (q) => q.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id'))
    .select([sql.lit(scope.kind).as('kind'), sql.lit('refund').as('item_type'), 'r.id as item_id', statementIdSql.as('statement_id'), sql.lit(period).as('home_period')]);
  await db.insertInto('statement_items').columns(['kind', 'item_type', 'item_id', 'statement_id', 'home_period']).expression(refunds).execute();
}

function chargeAggregatesQueryIds(db: Db, scope: SettlementScope) {
  const debtor = scope.kind === 'carrier' ? 'c.billing_carrier_id' : 'c.hosting_carrier_id';
  return db.selectFrom('charges as c').where(debtor, 'in', [...scope.debtorIds]).where('c.created_at_ms', '>=', scope.startMs)
    .where('c.created_at_ms', '<', scope.endMs)
    .where(sql<SqlBool>`not exists (select 1 from statement_items i where i.kind = ${scope.kind} and i.item_type = 'charge' and i.item_id = c.id)`)
    .$if(scope.kind === 'carrier', (q) => q.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id'));
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
