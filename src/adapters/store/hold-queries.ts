/**
 * Two-phase budget holds. Placing a hold reads the subscriber's month and inserts in the same
 * transaction, serialised per subscriber: `FOR UPDATE` on the subscriber row in PostgreSQL, the
 * `BEGIN IMMEDIATE` write lock in SQLite. So concurrent sessions can never jointly exceed the budget.
 */
import type { Kysely, Selectable } from 'kysely';
import { assert, err, type Hold, HOLD_STATUSES, type HoldStatus, isCurrency, ok, type Result } from '../../domain/index.ts';
import type { BudgetUsage, PlaceHold } from '../../app/ports/index.ts';
import type { DialectName } from './database.ts';
import { asBigInt, asNumber, asNumberOrNull } from './row-values.ts';
import { insertRows, prepared } from './prepared.ts';
import type { Database, HoldsTable } from './tables.ts';

type Db = Kysely<Database>;

function holdFrom(row: Selectable<HoldsTable>): Hold {
  assert((HOLD_STATUSES as readonly string[]).includes(row.status), () => `hold status ${row.status}`);
  assert(isCurrency(row.currency), () => `hold currency ${row.currency}`);
  return {
    id: row.id, subscriberId: row.subscriber_id, sessionId: row.session_id, period: row.period, currency: row.currency,
    amountMinor: asBigInt(row.amount_minor), status: row.status as HoldStatus,
    postedMinor: row.posted_minor === null ? null : asBigInt(row.posted_minor), chargeId: row.charge_id,
    createdAtMs: asNumber(row.created_at_ms), resolvedAtMs: asNumberOrNull(row.resolved_at_ms),
  };
}

const usageByStatus = prepared<{ subscriberId: string; period: string }, { status: string; held: bigint | string | null; posted: bigint | string | null }>(
  (db, arg) => db.selectFrom('holds')
    .select(['status', (eb) => eb.fn.sum<bigint | string | null>('amount_minor').as('held'), (eb) => eb.fn.sum<bigint | string | null>('posted_minor').as('posted')])
    .where('subscriber_id', '=', arg('subscriberId')).where('period', '=', arg('period')).where('status', 'in', ['pending', 'posted'])
    .groupBy('status'),
);

export async function budgetUsage(db: Db, subscriberId: string, period: string): Promise<BudgetUsage> {
  const { rows } = await usageByStatus.execute(db, { subscriberId, period });
  let heldMinor = 0n;
  let postedMinor = 0n;
  for (const row of rows) {
    if (row.status === 'pending') heldMinor += row.held === null ? 0n : asBigInt(row.held);
    else postedMinor += row.posted === null ? 0n : asBigInt(row.posted);
  }
  return { heldMinor, postedMinor };
}

export async function placeHold(db: Db, dialect: DialectName, hold: PlaceHold): Promise<Result<Hold, 'budget_exceeded'>> {
  assert(hold.amountMinor > 0n, 'a hold reserves a positive amount');
  if (dialect === 'postgres') {
    await db.selectFrom('subscribers').select('id').where('id', '=', hold.subscriberId).forUpdate().execute();
  }
  assert(hold.minimumMinor === undefined || (hold.minimumMinor > 0n && hold.minimumMinor <= hold.amountMinor), 'a hold\'s minimum is positive and within its amount');
  const usage = await budgetUsage(db, hold.subscriberId, hold.period);
  const leftMinor = hold.monthlyCapMinor - usage.heldMinor - usage.postedMinor;
  // All of the amount; or, with a minimum, as much of it as the budget leaves, if that reaches the minimum.
  const amountMinor = hold.minimumMinor === undefined || hold.amountMinor <= leftMinor ? hold.amountMinor : leftMinor;
  if (amountMinor > leftMinor || amountMinor < (hold.minimumMinor ?? 1n)) return err('budget_exceeded');
  const row = {
    id: hold.id, subscriber_id: hold.subscriberId, session_id: hold.sessionId, period: hold.period, currency: hold.currency,
    amount_minor: amountMinor, status: 'pending', posted_minor: null, charge_id: null, created_at_ms: hold.atMs, resolved_at_ms: null,
  };
  await insertRows(db, 'holds', [row]);
  return ok(holdFrom(row));
}

export async function getHoldForSession(db: Db, sessionId: string): Promise<Hold | null> {
  const row = await db.selectFrom('holds').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  return row === undefined ? null : holdFrom(row);
}

/**
 * Resolves the session's pending hold in one statement (UPDATE … RETURNING): null when it has none
 * pending. Posting more than was held is a bug: the assertion fails inside the transaction, which
 * rolls back.
 */
type Resolution = { status: 'posted' | 'voided'; postedMinor: bigint | null; chargeId: string | null; atMs: number };

const resolvePending = prepared<Resolution & { sessionId: string }, Selectable<HoldsTable>>((db, arg) => db.updateTable('holds').set({
  status: arg('status'), posted_minor: arg('postedMinor'), charge_id: arg('chargeId'), resolved_at_ms: arg('atMs'),
}).where('session_id', '=', arg('sessionId')).where('status', '=', 'pending').returningAll());

export async function resolvePendingHold(db: Db, sessionId: string, resolution: Resolution): Promise<Hold | null> {
  const row = await resolvePending.first(db, { ...resolution, sessionId });
  if (row === undefined) return null;
  const hold = holdFrom(row);
  assert(resolution.postedMinor === null || (resolution.postedMinor >= 0n && resolution.postedMinor <= hold.amountMinor), 'posted ≤ held');
  return hold;
}

/** Resolves a pending hold; resolving twice or a session without a pending hold is a bug. */
export async function resolveHold(db: Db, sessionId: string, resolution: Resolution): Promise<Hold> {
  const hold = await resolvePendingHold(db, sessionId, resolution);
  assert(hold !== null, `session ${sessionId} has a pending hold`);
  return hold;
}
