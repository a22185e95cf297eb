/**
 * Settlement in SQL (docs/settlement.md): GROUP BY over charges and refunds, the split parts read
 * from their JSON, and a check of every statement against the ledger's postings. The queries are
 * built here with kysely and may run elsewhere (SQLite: in a worker thread, see read-worker.ts).
 */
import { type Expression, type Kysely, type RawBuilder, sql, type SqlBool } from 'kysely';
import type { SettlementScope } from '../../app/ports/index.ts';
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

/** The charges a scope settles: its debtors', rated before the end of the period, not yet settled. */
function scopeCharges(db: Db, scope: SettlementScope) {
  const { debtor } = pairColumns(scope.kind);
  let query = db.selectFrom('charges as c')
    .where(debtor, 'in', [...scope.debtorIds])
    .where('c.created_at_ms', '<', scope.endMs)
    .where(unsettled(scope.kind, 'charge', 'c.id'));
  if (scope.kind === 'carrier') query = query.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id');
  return query;
}

/** Current-period charges aggregated per pair (late ones are read one by one: see lateItemsQuery). */
export function chargeAggregatesQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return scopeCharges(db, scope).where('c.created_at_ms', '>=', scope.startMs)
    .select([
      sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency',
      (eb) => eb.fn.countAll<bigint>().as('n'), (eb) => eb.fn.sum<bigint>('c.billed_s').as('billed_s'),
      (eb) => eb.fn.sum<bigint>('c.amount_minor').as('gross'), (eb) => eb.fn.sum<bigint>('c.vat_minor').as('vat'),
      (eb) => eb.fn.sum<bigint>('c.net_minor').as('net'),
      ...PARTS.map((key) => sql<bigint>`sum(${part(dialect, 'c.split_json', key)})`.as(key)),
    ])
    .groupBy([debtor, creditor, 'c.currency']);
}

/** Refunds of current-period charges, aggregated per pair. */
export function refundAggregatesQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return scopeCharges(db, scope).where('c.created_at_ms', '>=', scope.startMs)
    .innerJoin('refunds as r', 'r.charge_id', 'c.id')
    .where('r.created_at_ms', '<', scope.endMs)
    .where(unsettled(scope.kind, 'refund', 'r.id'))
    .select([
      sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency',
      (eb) => eb.fn.countAll<bigint>().as('n'), sql<bigint>`0`.as('billed_s'),
      (eb) => eb.fn.sum<bigint>('r.amount_minor').as('gross'),
      sql<bigint>`sum(${jsonInt(dialect, 'r.split_json', 'vatMinor')})`.as('vat'),
      sql<bigint>`sum(${jsonInt(dialect, 'r.split_json', 'netMinor')})`.as('net'),
      ...PARTS.map((key) => sql<bigint>`sum(${part(dialect, 'r.split_json', key)})`.as(key)),
    ])
    .groupBy([debtor, creditor, 'c.currency']);
}

/** Unsettled items of earlier periods (late arrivals), one row each: their home period is computed in the zone. */
export function lateChargesQuery(db: Db, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return scopeCharges(db, scope).where('c.created_at_ms', '<', scope.startMs)
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency', 'c.id', 'c.created_at_ms',
      'c.billed_s', 'c.amount_minor', 'c.vat_minor', 'c.net_minor', 'c.split_json']);
}

export function lateRefundsQuery(db: Db, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  return db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id')
    .where(pairColumns(scope.kind).debtor, 'in', [...scope.debtorIds])
    .where('r.created_at_ms', '<', scope.endMs)
    .where((eb) => eb.or([
      eb('c.created_at_ms', '<', scope.startMs),
      // A refund of a charge already settled in a closed period: it lands here as an adjustment.
      sql<SqlBool>`exists (select 1 from statement_items i where i.kind = ${scope.kind} and i.item_type = 'charge' and i.item_id = c.id)`,
    ] as Expression<SqlBool>[]))
    .where(unsettled(scope.kind, 'refund', 'r.id'))
    .$if(scope.kind === 'carrier', (q) => q.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id'))
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), 'c.currency', 'r.id',
      'c.created_at_ms as charge_created_at_ms', 'r.amount_minor', 'r.split_json']);
}

/**
 * The posting is on the pair's account. The postings of a journal are found by its key
 * (journal_id, line); the account is then only a filter. On SQLite the term is kept off the
 * (account, currency) index with a unary `+` (https://sqlite.org/optoverview.html#uplus): without
 * statistics its planner took that index for the join and, for each charge, walked every posting
 * of the pair's account (tens of thousands), which made the check quadratic — a 1,000,000-charge
 * month did not finish in ten minutes (settlement benchmark). PostgreSQL plans from its statistics.
 */
function onPairAccount(dialect: DialectName, account: RawBuilder<string>): RawBuilder<SqlBool> {
  return dialect === 'sqlite' ? sql<SqlBool>`+p.account = ${account}` : sql<SqlBool>`p.account = ${account}`;
}

/**
 * The ledger's view of the same items: the sum of their journals' postings on the debtor's
 * account towards the creditor (`carrier:<b>:owes:<h>`, `merchant:<m>:payable`), per pair.
 */
export function ledgerCheckQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  const account = scope.kind === 'carrier'
    ? sql<string>`'carrier:' || c.billing_carrier_id || ':owes:' || c.hosting_carrier_id`
    : sql<string>`'merchant:' || c.merchant_id || ':payable'`;
  const charges = scopeCharges(db, scope).innerJoin('ledger_postings as p', 'p.journal_id', 'c.journal_id').where(onPairAccount(dialect, account))
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), (eb) => eb.fn.sum<bigint>('p.amount_minor').as('posted')])
    .groupBy([debtor, creditor]);
  return charges;
}

/** Postings of the refunds a scope settles, on the same accounts, per pair. */
export function ledgerRefundCheckQuery(db: Db, dialect: DialectName, scope: SettlementScope) {
  const { debtor, creditor } = pairColumns(scope.kind);
  const account = scope.kind === 'carrier'
    ? sql<string>`'carrier:' || c.billing_carrier_id || ':owes:' || c.hosting_carrier_id`
    : sql<string>`'merchant:' || c.merchant_id || ':payable'`;
  return db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id')
    .innerJoin('ledger_postings as p', 'p.journal_id', 'r.journal_id')
    .where(debtor, 'in', [...scope.debtorIds]).where('r.created_at_ms', '<', scope.endMs).where('c.created_at_ms', '<', scope.endMs)
    .where(unsettled(scope.kind, 'refund', 'r.id')).where(onPairAccount(dialect, account))
    .$if(scope.kind === 'carrier', (q) => q.whereRef('c.hosting_carrier_id', '<>', 'c.billing_carrier_id'))
    .select([sql<string>`${sql.ref(debtor)}`.as('debtor'), sql<string>`${sql.ref(creditor)}`.as('creditor'), (eb) => eb.fn.sum<bigint>('p.amount_minor').as('posted')])
    .groupBy([debtor, creditor]);
}
