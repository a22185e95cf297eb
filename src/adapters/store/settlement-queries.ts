/**
 * Settlement in SQL (docs/settlement.md): GROUP BY over charges and refunds, per pair and the
 * period each item belongs to, the split parts read from their JSON; the ledger's postings of the
 * same items per pair and account; and the INSERT … SELECT that marks them settled. All share
 * one definition of a scope's items (`scopeCharges`, `scopeRefunds`), so a close marks exactly
 * what its aggregates counted. The queries are built here with kysely and may run
 * elsewhere (SQLite: in a worker thread, see read-worker.ts and write-worker.ts).
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from 'kysely';
import type { SettlementScope } from '../../app/ports/index.ts';
import { assert, SUBSCRIBER_RECEIVABLES } from '../../domain/index.ts';
import type { DialectName } from './database.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

const PARTS = ['collectionFeeMinor', 'badDebtMinor', 'interconnectMinor', 'hostingCarrierShareMinor', 'merchantShareMinor'] as const;

/** An integer field of a JSON text column (minor units are stored as strings), on both databases; null when absent. */
function jsonInt(dialect: DialectName, column: string, key: string): RawBuilder<bigint | null> {
  return dialect === 'postgres'
    ? sql`(${sql.ref(column)}::jsonb->>${sql.lit(key)})::bigint`
    : sql`cast(json_extract(${sql.ref(column)}, ${sql.lit(`$.${key}`)}) as integer)`;
}

/** A split part (splits written before the fee detail count it all as collection fee). */
function part(dialect: DialectName, column: string, key: (typeof PARTS)[number]): RawBuilder<bigint> {
  if (key === 'collectionFeeMinor') return sql<bigint>`coalesce(${jsonInt(dialect, column, key)}, ${jsonInt(dialect, column, 'billingCarrierFeeMinor')})`;
  return sql<bigint>`coalesce(${jsonInt(dialect, column, key)}, 0)`;
}

/** Column names of the debtor and creditor of a kind, on charges. */
function pairColumns(kind: SettlementScope['kind']): { debtor: 'c.billing_carrier_id' | 'c.hosting_carrier_id'; creditor: 'c.hosting_carrier_id' | 'c.merchant_id' } {
  return kind === 'carrier' ? { debtor: 'c.billing_carrier_id', creditor: 'c.hosting_carrier_id' } : { debtor: 'c.hosting_carrier_id', creditor: 'c.merchant_id' };
}

function unsettled(kind: string, itemType: 'charge' | 'refund', idColumn: 'c.id' | 'r.id'): RawBuilder<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from statement_items i where i.kind = ${kind} and i.item_type = ${itemType} and i.item_id = ${sql.ref(idColumn)})`;
}

type Zone = SettlementScope['zones'][number];

/** The first instant a zone settles anything from: the start of its earliest period. */
function firstMs(zone: Zone): number {
  const earliest = zone.periods[zone.periods.length - 1];
  assert(earliest !== undefined && zone.periods[0]?.startMs === zone.startMs, 'a zone lists its periods, its own first');
  return earliest.startMs;
}

/**
 * The debtor is one of `debtorIds`. On SQLite the term is kept off the debtor's index with a
 * unary `+` (https://sqlite.org/optoverview.html#uplus): without statistics its planner walked the
 * billing carrier's index, reading the charges in index order, not the order they are stored in
 * (the order of `created_at_ms`, whose index the period bounds use), which took half as long
 * again at a million charges (settlement benchmark). PostgreSQL plans from its statistics.
 */
function debtorIn(dialect: DialectName, kind: SettlementScope['kind'], debtorIds: readonly string[]): RawBuilder<SqlBool> {
  const { debtor } = pairColumns(kind);
  const ids = sql.join(debtorIds.map((id) => sql`${id}`));
  return dialect === 'sqlite' ? sql<SqlBool>`+${sql.ref(debtor)} in (${ids})` : sql<SqlBool>`${sql.ref(debtor)} in (${ids})`;
}

/**
 * Which of a scope's items: `all` of them, those of the run's own period (`current`), or the
 * `late` ones of earlier periods. Aggregates read the two apart so that the run's own, nearly all
 * of them, are grouped by plain columns: PostgreSQL cannot tell how many values the expression of
 * a late item's period takes, and guessing one per row it sorted a million wide rows on disk
 * instead of hashing a few dozen groups (settlement benchmark).
 */
type Part = 'all' | 'current' | 'late';

/** The instants of a zone's items of `part`: [fromMs, toMs). */
function boundsOf(zone: Zone, part: Part): { fromMs: number; toMs: number } {
  if (part === 'current') return { fromMs: zone.startMs, toMs: zone.endMs };
  return { fromMs: firstMs(zone), toMs: part === 'late' ? zone.startMs : zone.endMs };
}

/**
 * The items of a scope: in one of its zones, the debtor is the zone's and the charge was rated in
 * one of the zone's periods of `part` (and, for a refund, `alsoBefore` — made — before the zone's
 * period ended). One query covers every zone: each charge is read once per kind of statement.
 */
function inZones(dialect: DialectName, scope: SettlementScope, part: Part, alsoBefore: 'r.created_at_ms' | null): RawBuilder<SqlBool> {
  const terms = scope.zones.map((zone) => {
    const { fromMs, toMs } = boundsOf(zone, part);
    return sql<SqlBool>`(${debtorIn(dialect, scope.kind, zone.debtorIds)} and c.created_at_ms < ${toMs}
      and c.created_at_ms >= ${fromMs}${alsoBefore === null ? sql`` : sql` and ${sql.ref(alsoBefore)} < ${zone.endMs}`})`;
  });
  assert(terms.length > 0, 'a scope has a zone');
  return sql<SqlBool>`(${sql.join(terms, sql` or `)})`;
}

/** The instants all of a scope's zones' items of `part` fall in: for the index on `created_at_ms`. */
function spanOf(scope: SettlementScope, part: Part): { fromMs: number; toMs: number } {
  const bounds = scope.zones.map((zone) => boundsOf(zone, part));
  return { fromMs: Math.min(...bounds.map((b) => b.fromMs)), toMs: Math.max(...bounds.map((b) => b.toMs)) };
}

/** The run's own period: the first of every zone's periods. */
function ownPeriod(scope: SettlementScope): string {
  const period = scope.zones[0]?.periods[0]?.period;
  assert(period !== undefined && scope.zones.every((zone) => zone.periods[0]?.period === period), 'every zone of a scope starts with the run\'s period');
  return period;
}

/**
 * The period an item belongs to, from its charge's rating instant: in its debtor's zone, the
 * first of the zone's periods (newest first) whose start it is at or after. Most items are the
 * run's own and stop at the first branch; late ones walk back one month per branch. Literals,
 * not parameters: the same expression is grouped by, and PostgreSQL matches it by its text.
 */
function homePeriod(scope: SettlementScope): RawBuilder<string> {
  const chain = (zone: Zone): RawBuilder<string> => sql<string>`case ${sql.join(
    zone.periods.map((p) => sql`when c.created_at_ms >= ${sql.lit(p.startMs)} then ${sql.lit(p.period)}`), sql` `,
  )} end`;
  const [only] = scope.zones;
  if (only !== undefined && scope.zones.length === 1) return chain(only);
  const { debtor } = pairColumns(scope.kind);
  const branches = scope.zones.map((zone) => sql`when ${sql.ref(debtor)} in (${sql.join(zone.debtorIds.map((id) => sql.lit(id)))}) then ${chain(zone)}`);
  return sql<string>`case ${sql.join(branches, sql` `)} end`;
}

/** The charges a scope settles (of `part`): its debtors', rated in one of their zone's periods, not yet settled; inter-carrier only for carrier statements. */
function scopeCharges(db: Db, dialect: DialectName, scope: SettlementScope, part: Part) {
  const span = spanOf(scope, part);
  let query = db.selectFrom('charges as c')
    .where('c.created_at_ms', '<', span.toMs)
    .where('c.created_at_ms', '>=', span.fromMs)
    .where(inZones(dialect, scope, part, null))
    .where(unsettled(scope.kind, 'charge', 'c.id'));
  if (scope.kind === 'carrier') query = query.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id');
  return query;
}

/**
 * The refunds a scope settles (of charges of `part`): made before the end of the period, of its
 * debtors' charges of one of its periods, not yet settled — whether their charge is settled
 * already (a refund after a close) or not. A refund belongs to its charge's period.
 */
function scopeRefunds(db: Db, dialect: DialectName, scope: SettlementScope, part: Part) {
  const span = spanOf(scope, part);
  let query = db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id')
    .where('c.created_at_ms', '<', span.toMs)
    .where('c.created_at_ms', '>=', span.fromMs)
    .where(inZones(dialect, scope, part, 'r.created_at_ms'))
    .where(unsettled(scope.kind, 'refund', 'r.id'));
  if (scope.kind === 'carrier') query = query.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id');
  return query;
}

/** The period column of an aggregate: the run's own as a constant, or each late item's. */
function periodOfPart(scope: SettlementScope, part: 'current' | 'late'): RawBuilder<string> {
  return part === 'current' ? sql<string>`${sql.lit(ownPeriod(scope))}` : homePeriod(scope);
}

/** A scope's charges of `which` part aggregated per pair, currency and the period they belong to. */
export function chargeAggregatesQuery(db: Db, dialect: DialectName, scope: SettlementScope, which: 'current' | 'late') {
  const { debtor, creditor } = pairColumns(scope.kind);
  const home = periodOfPart(scope, which);
  const query = scopeCharges(db, dialect, scope, which)
    .select([
      sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency', home.as('home_period'),
      (eb) => eb.fn.countAll<bigint>().as('n'), (eb) => eb.fn.sum<bigint>('c.billed_s').as('billed_s'),
      (eb) => eb.fn.sum<bigint>('c.amount_minor').as('gross'), (eb) => eb.fn.sum<bigint>('c.vat_minor').as('vat'),
      (eb) => eb.fn.sum<bigint>('c.net_minor').as('net'),
      ...PARTS.map((key) => sql<bigint>`sum(${part(dialect, 'c.split_json', key)})`.as(key)),
    ]);
  return which === 'current' ? query.groupBy([debtor, creditor, 'c.currency']) : query.groupBy([debtor, creditor, 'c.currency', home]);
}

/** A scope's refunds of `which` part (by their charges' periods) aggregated per pair, currency and the period they belong to. */
export function refundAggregatesQuery(db: Db, dialect: DialectName, scope: SettlementScope, which: 'current' | 'late') {
  const { debtor, creditor } = pairColumns(scope.kind);
  const home = periodOfPart(scope, which);
  const query = scopeRefunds(db, dialect, scope, which)
    .select([
      sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency', home.as('home_period'),
      (eb) => eb.fn.countAll<bigint>().as('n'), sql<bigint>`0`.as('billed_s'),
      (eb) => eb.fn.sum<bigint>('r.amount_minor').as('gross'),
      sql<bigint>`sum(${jsonInt(dialect, 'r.split_json', 'vatMinor')})`.as('vat'),
      sql<bigint>`sum(${jsonInt(dialect, 'r.split_json', 'netMinor')})`.as('net'),
      ...PARTS.map((key) => sql<bigint>`sum(${part(dialect, 'r.split_json', key)})`.as(key)),
    ]);
  return which === 'current' ? query.groupBy([debtor, creditor, 'c.currency']) : query.groupBy([debtor, creditor, 'c.currency', home]);
}

/** The account a posting is summed under: its own, or one for every subscriber's receivable. */
const accountKey = sql<string>`case when p.account like 'subscriber:%:receivable' then ${sql.lit(SUBSCRIBER_RECEIVABLES)} else p.account end`;

/**
 * The ledger's view of a scope's charges: the sum of their journals' postings, per pair and
 * account. A journal's postings are found by its key (journal_id, line), one probe per charge.
 */
export function ledgerChargesQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return scopeCharges(db, dialect, scope, 'all').innerJoin('ledger_postings as p', 'p.journal_id', 'c.journal_id')
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), accountKey.as('account'),
      (eb) => eb.fn.sum<bigint>('p.amount_minor').as('posted')])
    .groupBy([debtor, creditor, accountKey]);
}

/** The ledger's view of a scope's refunds: their journals' postings, per pair and account. */
export function ledgerRefundsQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return scopeRefunds(db, dialect, scope, 'all').innerJoin('ledger_postings as p', 'p.journal_id', 'r.journal_id')
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), accountKey.as('account'),
      (eb) => eb.fn.sum<bigint>('p.amount_minor').as('posted')])
    .groupBy([debtor, creditor, accountKey]);
}

/**
 * SQLite's high-water marks of a snapshot: the largest rowid of charges, refunds and statement
 * items. Those tables are append-only (no row is ever deleted) and SQLite has one writer at a
 * time, so every row a later transaction adds has a larger rowid: `rowid <= mark` is exactly what
 * the snapshot saw, and an unchanged mark of statement_items means nothing was settled since.
 */
export interface HighWaterMarks {
  readonly charges: bigint;
  readonly refunds: bigint;
  readonly items: bigint;
}

/** The high-water marks of the snapshot the query runs in (SQLite). */
export function highWaterMarksQuery() {
  return sql<{ charges: bigint | null; refunds: bigint | null; items: bigint | null }>`select (select max(rowid) from charges) as charges,
    (select max(rowid) from refunds) as refunds, (select max(rowid) from statement_items) as items`;
}

/** The statement an item of `period` is settled in: `stm_<period>_<kind>_<debtor>_<creditor>`, as statementId() writes it. */
function statementIdOf(period: string, scope: SettlementScope): RawBuilder<string> {
  const { debtor, creditor } = pairColumns(scope.kind);
  return sql<string>`${`stm_${period}_${scope.kind}_`} || ${sql.ref(debtor)} || '_' || ${sql.ref(creditor)}`;
}

const ITEM_COLUMNS = ['kind', 'item_type', 'item_id', 'statement_id', 'home_period'] as const;

/**
 * Marks a scope's charges settled by the statements of `period` (INSERT … SELECT, no JavaScript
 * loop); on SQLite after the snapshot the statements were computed on, only the charges it saw
 * (`marks`).
 */
export function markChargesQuery(db: Db, dialect: DialectName, period: string, scope: SettlementScope, marks: HighWaterMarks | null) {
  const charges = scopeCharges(db, dialect, scope, 'all');
  const items = (marks === null ? charges : charges.where(sql.ref('c.rowid'), '<=', marks.charges)).select([
    sql.lit(scope.kind).as('kind'), sql.lit('charge').as('item_type'), 'c.id as item_id', statementIdOf(period, scope).as('statement_id'),
    homePeriod(scope).as('home_period'),
  ]);
  return db.insertInto('statement_items').columns(ITEM_COLUMNS).expression(items);
}

/** Marks a scope's refunds settled by the statements of `period` (on SQLite, only those `marks` saw). */
export function markRefundsQuery(db: Db, dialect: DialectName, period: string, scope: SettlementScope, marks: HighWaterMarks | null) {
  const refunds = scopeRefunds(db, dialect, scope, 'all');
  const items = (marks === null ? refunds : refunds.where(sql.ref('r.rowid'), '<=', marks.refunds)).select([
    sql.lit(scope.kind).as('kind'), sql.lit('refund').as('item_type'), 'r.id as item_id', statementIdOf(period, scope).as('statement_id'),
    homePeriod(scope).as('home_period'),
  ]);
  return db.insertInto('statement_items').columns(ITEM_COLUMNS).expression(items);
}
