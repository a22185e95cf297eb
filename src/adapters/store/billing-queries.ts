/**
 * Reads for reconciliation, the subscriber's bill and the merchant's payout. A statement's
 * charges can be a million rows: they are streamed in batches (a worker thread on SQLite, a
 * server-side cursor on PostgreSQL), never gathered into one array here.
 */
import { type Kysely, type RawBuilder, sql, type SqlBool } from 'kysely';
import type { BillCharge, BillRefund, PayoutOfferRow, PayoutSource } from '../../app/ports/index.ts';
import { assert, type Currency, isCurrency, type OurCharge } from '../../domain/index.ts';
import { splitFromJson } from './charge-queries.ts';
import type { DialectName } from './database.ts';
import { asBigInt, asNumber } from './row-values.ts';
import { type ColumnBatch, type ColumnKind, streamInWorker } from './stream-worker.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

/** Rows per batch of a statement's charges: about 1 MB of values, a few milliseconds of work per batch. */
const STATEMENT_CHARGES_BATCH_ROWS = 10_000;

/** How a statement's charges are read: in a worker (SQLite file), with a cursor (PostgreSQL), or page by page (inside a transaction, or in memory). */
export type StreamMode = { readonly kind: 'worker'; readonly path: string } | { readonly kind: 'cursor' } | { readonly kind: 'pages' };

function currencyOf(value: unknown): Currency {
  assert(isCurrency(value), () => `stored currency ${String(value)}`);
  return value;
}

const int = (value: unknown): bigint => (value === null || value === undefined ? 0n : asBigInt(value as bigint | number | string));

/** The charges a statement settled, in select order: id, session, metering start, billed seconds, amount. */
function statementChargesQuery(db: Db, statementId: string) {
  return db.selectFrom('statement_items as i').innerJoin('charges as c', 'c.id', 'i.item_id')
    .where('i.statement_id', '=', statementId).where('i.item_type', '=', 'charge')
    .select(['c.id', 'c.session_id', 'c.metering_started_at_ms', 'c.billed_s', 'c.amount_minor']);
}

function ourChargeFrom(values: readonly unknown[]): OurCharge {
  const [chargeId, sessionId, startMs, billedSeconds, amountMinor] = values;
  return {
    chargeId: String(chargeId), sessionId: String(sessionId), startMs: asNumber(int(startMs)), billedSeconds: asNumber(int(billedSeconds)), amountMinor: int(amountMinor),
  };
}

const STATEMENT_CHARGE_KINDS: readonly ColumnKind[] = ['text', 'text', 'integer', 'integer', 'integer'];

/** A batch from the worker, by column, as charges (instants and seconds are far below 2^53: exact as numbers). */
function ourChargesOf(batch: ColumnBatch): OurCharge[] {
  const [chargeIds, sessionIds] = batch.texts;
  const [, , starts, seconds, amounts] = batch.integers;
  assert(chargeIds !== undefined && chargeIds !== null && sessionIds !== undefined && sessionIds !== null, 'id columns are text');
  assert(starts !== undefined && starts !== null && seconds !== undefined && seconds !== null && amounts !== undefined && amounts !== null, 'figures are integers');
  const charges: OurCharge[] = new Array<OurCharge>(batch.count);
  for (let i = 0; i < batch.count; i += 1) {
    charges[i] = {
      chargeId: chargeIds[i] ?? '', sessionId: sessionIds[i] ?? '', startMs: Number(starts[i] ?? 0n), billedSeconds: Number(seconds[i] ?? 0n), amountMinor: amounts[i] ?? 0n,
    };
  }
  return charges;
}

/** Streams a statement's charges to `onBatch`; resolves to how many there were. */
export async function eachStatementCharge(db: Db, mode: StreamMode, statementId: string, onBatch: (charges: readonly OurCharge[]) => void): Promise<number> {
  let count = 0;
  const deliver = (rows: readonly (readonly unknown[])[]): void => {
    count += rows.length;
    onBatch(rows.map(ourChargeFrom));
  };
  const query = statementChargesQuery(db, statementId);
  if (mode.kind === 'worker') {
    await streamInWorker(mode.path, query.compile(), { batchRows: STATEMENT_CHARGES_BATCH_ROWS, kinds: STATEMENT_CHARGE_KINDS }, (batch) => {
      count += batch.count;
      onBatch(ourChargesOf(batch));
    });
  } else if (mode.kind === 'cursor') {
    await db.connection().execute(async (connection) => {
      // One read-only snapshot for the whole cursor; a cursor lives as long as its transaction.
      await sql`begin isolation level repeatable read read only`.execute(connection);
      try {
        await sql`declare palier_statement_charges no scroll cursor for ${query}`.execute(connection);
        for (;;) {
          const { rows } = await sql<Record<string, unknown>>`fetch forward ${sql.lit(STATEMENT_CHARGES_BATCH_ROWS)} from palier_statement_charges`.execute(connection);
          if (rows.length > 0) deliver(rows.map((row) => Object.values(row)));
          if (rows.length < STATEMENT_CHARGES_BATCH_ROWS) break;
        }
        await sql`commit`.execute(connection);
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  } else {
    let after = '';
    for (;;) {
      const rows = await query.where('i.item_id', '>', after).orderBy('i.item_id').limit(STATEMENT_CHARGES_BATCH_ROWS).execute();
      if (rows.length > 0) deliver(rows.map((row) => [row.id, row.session_id, row.metering_started_at_ms, row.billed_s, row.amount_minor]));
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < STATEMENT_CHARGES_BATCH_ROWS) break;
      after = last.id;
    }
  }
  return count;
}

/** A subscriber's charges rated in [startMs, endMs), and refunds of their charges made in it, oldest first. */
export async function subscriberBillItems(db: Db, subscriberId: string, startMs: number, endMs: number): Promise<{ charges: BillCharge[]; refunds: BillRefund[] }> {
  const chargeRows = await db.selectFrom('charges as c').innerJoin('offers as o', 'o.id', 'c.offer_id').innerJoin('merchants as m', 'm.id', 'c.merchant_id')
    .where('c.subscriber_id', '=', subscriberId).where('c.created_at_ms', '>=', startMs).where('c.created_at_ms', '<', endMs)
    .select(['c.id', 'c.session_id', 'm.name as merchant_name', 'o.name as offer_name', 'c.tariff_hash', 'c.currency', 'c.metering_started_at_ms',
      'c.billed_s', 'c.amount_minor', 'c.net_minor', 'c.vat_minor'])
    .orderBy('c.metering_started_at_ms').orderBy('c.id').execute();
  const refundRows = await db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id')
    .innerJoin('offers as o', 'o.id', 'c.offer_id').innerJoin('merchants as m', 'm.id', 'c.merchant_id')
    .where('c.subscriber_id', '=', subscriberId).where('r.created_at_ms', '>=', startMs).where('r.created_at_ms', '<', endMs)
    .select(['r.id', 'r.charge_id', 'm.name as merchant_name', 'o.name as offer_name', 'c.tariff_hash', 'r.currency', 'r.created_at_ms', 'r.amount_minor', 'r.split_json'])
    .orderBy('r.created_at_ms').orderBy('r.id').execute();
  const charges = chargeRows.map((row): BillCharge => ({
    chargeId: row.id, sessionId: row.session_id, merchantName: row.merchant_name, offerName: row.offer_name, tariffHash: row.tariff_hash,
    currency: currencyOf(row.currency), startedAtMs: asNumber(row.metering_started_at_ms), billedSeconds: asNumber(row.billed_s),
    grossMinor: asBigInt(row.amount_minor), netMinor: asBigInt(row.net_minor), vatMinor: asBigInt(row.vat_minor),
  }));
  const refunds = refundRows.map((row): BillRefund => {
    assert(row.split_json !== null, 'a stored refund has its waterfall');
    const split = splitFromJson(row.split_json);
    const grossMinor = asBigInt(row.amount_minor);
    assert(split.grossMinor === grossMinor, 'a refund\'s waterfall starts from its amount');
    return {
      refundId: row.id, chargeId: row.charge_id, merchantName: row.merchant_name, offerName: row.offer_name, tariffHash: row.tariff_hash,
      currency: currencyOf(row.currency), createdAtMs: asNumber(row.created_at_ms), grossMinor, netMinor: split.netMinor, vatMinor: split.vatMinor,
    };
  });
  return { charges, refunds };
}

/** The merchant share of a stored split (a JSON text column), on both databases. */
function merchantShareOf(dialect: DialectName, column: 'c.split_json' | 'r.split_json'): RawBuilder<bigint> {
  return dialect === 'postgres'
    ? sql<bigint>`coalesce((${sql.ref(column)}::jsonb->>'merchantShareMinor')::bigint, 0)`
    : sql<bigint>`coalesce(cast(json_extract(${sql.ref(column)}, '$.merchantShareMinor') as integer), 0)`;
}

function inStatement(source: Extract<PayoutSource, { kind: 'statement' }>, itemType: 'charge' | 'refund', column: 'c.id' | 'r.id'): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} in (select i.item_id from statement_items i where i.statement_id = ${source.statementId} and i.item_type = ${itemType})`;
}

/** Whether a merchant statement already settled the item. */
function settled(itemType: 'charge' | 'refund', column: 'c.id' | 'r.id'): RawBuilder<SqlBool> {
  return sql<SqlBool>`exists (select 1 from statement_items i where i.kind = 'merchant' and i.item_type = ${itemType} and i.item_id = ${sql.ref(column)})`;
}

function payoutChargesQuery(db: Db, dialect: DialectName, source: PayoutSource) {
  const charges = db.selectFrom('charges as c').innerJoin('offers as o', 'o.id', 'c.offer_id').leftJoin('ratings as rt', 'rt.session_id', 'c.session_id');
  const scoped = source.kind === 'statement' ? charges.where(inStatement(source, 'charge', 'c.id'))
    : charges.where('c.merchant_id', '=', source.merchantId).where('c.created_at_ms', '>=', source.startMs).where('c.created_at_ms', '<', source.endMs)
      .where((eb) => eb.not(settled('charge', 'c.id')));
  return scoped.select([
    'c.offer_id', 'o.name as offer_name', 'c.currency', (eb) => eb.fn.countAll<bigint>().as('n'), (eb) => eb.fn.sum<bigint>('c.billed_s').as('billed_s'),
    (eb) => eb.fn.sum<bigint>('c.amount_minor').as('gross'), sql<bigint>`sum(${merchantShareOf(dialect, 'c.split_json')})`.as('share'),
    (eb) => eb.fn.count<bigint>('rt.stars').as('ratings'), (eb) => eb.fn.sum<bigint>('rt.stars').as('stars'),
  ]).groupBy(['c.offer_id', 'o.name', 'c.currency']);
}

function payoutRefundsQuery(db: Db, dialect: DialectName, source: PayoutSource) {
  const refunds = db.selectFrom('refunds as r').innerJoin('charges as c', 'c.id', 'r.charge_id').innerJoin('offers as o', 'o.id', 'c.offer_id');
  const scoped = source.kind === 'statement' ? refunds.where(inStatement(source, 'refund', 'r.id'))
    : refunds.where('c.merchant_id', '=', source.merchantId).where('r.created_at_ms', '<', source.endMs).where((eb) => eb.not(settled('refund', 'r.id')))
      // Refunds of the period's charges, and late ones of charges a closed period already settled (they are settled now, as adjustments).
      .where((eb) => eb.or([eb.and([eb('c.created_at_ms', '>=', source.startMs), eb('c.created_at_ms', '<', source.endMs)]), settled('charge', 'c.id')]));
  return scoped.select([
    'c.offer_id', 'o.name as offer_name', 'c.currency', (eb) => eb.fn.countAll<bigint>().as('n'), (eb) => eb.fn.sum<bigint>('r.amount_minor').as('refunded'),
    sql<bigint>`sum(${merchantShareOf(dialect, 'r.split_json')})`.as('share'),
  ]).groupBy(['c.offer_id', 'o.name', 'c.currency']);
}

/** A payout's charges and refunds per offer (two GROUP BY queries), merged by offer id. */
export async function payoutByOffer(db: Db, dialect: DialectName, source: PayoutSource): Promise<PayoutOfferRow[]> {
  const rows = new Map<string, PayoutOfferRow>();
  const empty = (offerId: string, offerName: string, currency: unknown): PayoutOfferRow => ({
    offerId, offerName, currency: currencyOf(currency), sessions: 0, billedSeconds: 0n, grossMinor: 0n, merchantShareMinor: 0n, refunds: 0,
    refundedMinor: 0n, refundedShareMinor: 0n, ratings: 0, starsSum: 0,
  });
  for (const row of await payoutChargesQuery(db, dialect, source).execute()) {
    rows.set(`${row.offer_id}|${row.currency}`, {
      ...empty(row.offer_id, row.offer_name, row.currency), sessions: asNumber(int(row.n)), billedSeconds: int(row.billed_s), grossMinor: int(row.gross),
      merchantShareMinor: int(row.share), ratings: asNumber(int(row.ratings)), starsSum: asNumber(int(row.stars)),
    });
  }
  for (const row of await payoutRefundsQuery(db, dialect, source).execute()) {
    const key = `${row.offer_id}|${row.currency}`;
    const current = rows.get(key) ?? empty(row.offer_id, row.offer_name, row.currency);
    rows.set(key, { ...current, refunds: asNumber(int(row.n)), refundedMinor: int(row.refunded), refundedShareMinor: int(row.share) });
  }
  return [...rows.values()].sort((a, b) => (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0));
}
