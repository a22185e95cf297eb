/**
 * Idempotency records (IETF Idempotency-Key draft): one row per (principal, key), claimed before
 * the request runs and completed with its response. The claim is an INSERT that does nothing on a
 * duplicate key, so two concurrent requests with one key can never both start.
 */
import type { Kysely, Selectable } from 'kysely';
import { IDEMPOTENCY_IN_PROGRESS_TTL_MS, IDEMPOTENCY_RECORD_TTL_MS } from '../../app/limits.ts';
import type { IdempotencyBegin, IdempotentResponse } from '../../app/ports/index.ts';
import { asNumber } from './row-values.ts';
import { prepared } from './prepared.ts';
import type { Database, IdempotencyRecordsTable } from './tables.ts';

type Db = Kysely<Database>;

/** Claims made and abandoned between our insert and our read can repeat; a few rounds settle it. */
const CLAIM_ATTEMPTS_MAX = 5;

type RecordKey = { principal: string; key: string };

const claim = prepared<RecordKey & { requestHash: string; atMs: number }, never>((db, arg) => db.insertInto('idempotency_records').values({
  principal: arg('principal'), key: arg('key'), request_hash: arg('requestHash'), status: 'in_progress', response_status: null, response_body: null,
  created_at_ms: arg('atMs'), completed_at_ms: null,
}).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()));

const recordOf = prepared<RecordKey, Selectable<IdempotencyRecordsTable>>((db, arg) => db.selectFrom('idempotency_records').selectAll()
  .where('principal', '=', arg('principal')).where('key', '=', arg('key')));

const complete = prepared<RecordKey & { status: number; body: string; atMs: number }, never>((db, arg) => db.updateTable('idempotency_records')
  .set({ status: 'completed', response_status: arg('status'), response_body: arg('body'), completed_at_ms: arg('atMs') })
  .where('principal', '=', arg('principal')).where('key', '=', arg('key')).where('status', '=', 'in_progress'));

export async function beginIdempotent(db: Db, principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS_MAX; attempt += 1) {
    const inserted = await claim.execute(db, { principal, key, requestHash, atMs });
    if ((inserted.numAffectedRows ?? 0n) > 0n) return { outcome: 'started' };
    const row = await recordOf.first(db, { principal, key });
    // Abandoned or purged since our insert: claim again.
    if (row === undefined) continue;
    if (row.status === 'in_progress' && asNumber(row.created_at_ms) < atMs - IDEMPOTENCY_IN_PROGRESS_TTL_MS) {
      // A claim whose request died with its process: forget it and claim again.
      await db.deleteFrom('idempotency_records').where('principal', '=', principal).where('key', '=', key)
        .where('status', '=', 'in_progress').where('created_at_ms', '=', row.created_at_ms).execute();
      continue;
    }
    if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
    if (row.status !== 'completed' || row.response_status === null || row.response_body === null) return { outcome: 'in_progress' };
    return { outcome: 'replay', response: { status: asNumber(row.response_status), body: row.response_body } };
  }
  return { outcome: 'in_progress' };
}

export async function completeIdempotent(db: Db, principal: string, key: string, response: IdempotentResponse, atMs: number): Promise<void> {
  await complete.execute(db, { principal, key, status: response.status, body: response.body, atMs });
}

export async function abandonIdempotent(db: Db, principal: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_records').where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').execute();
}

/**
 * Removes records completed more than IDEMPOTENCY_RECORD_TTL_MS before `nowMs`, and claims left in
 * progress longer than IDEMPOTENCY_IN_PROGRESS_TTL_MS (their process died); returns how many.
 */
export async function purgeIdempotent(db: Db, nowMs: number): Promise<number> {
  const completed = await db.deleteFrom('idempotency_records').where('status', '=', 'completed')
    .where('completed_at_ms', '<', nowMs - IDEMPOTENCY_RECORD_TTL_MS).executeTakeFirst();
  const stale = await db.deleteFrom('idempotency_records').where('status', '=', 'in_progress')
    .where('created_at_ms', '<', nowMs - IDEMPOTENCY_IN_PROGRESS_TTL_MS).executeTakeFirst();
  return asNumber(completed.numDeletedRows) + asNumber(stale.numDeletedRows);
}
