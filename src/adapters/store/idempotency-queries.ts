/**
 * Idempotency records (IETF Idempotency-Key draft): one row per (principal, key), claimed before
 * the request runs and completed with its response. The claim is an INSERT that does nothing on a
 * duplicate key, so two concurrent requests with one key can never both start.
 */
import type { Kysely } from 'kysely';
import { IDEMPOTENCY_IN_PROGRESS_TTL_MS, IDEMPOTENCY_RECORD_TTL_MS } from '../../app/limits.ts';
import type { IdempotencyBegin, IdempotentResponse } from '../../app/ports/index.ts';
import { asNumber } from './row-values.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

/** Claims made and abandoned between our insert and our read can repeat; a few rounds settle it. */
const CLAIM_ATTEMPTS_MAX = 5;

export async function beginIdempotent(db: Db, principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS_MAX; attempt += 1) {
    const inserted = await db.insertInto('idempotency_records').values({
      principal, key, request_hash: requestHash, status: 'in_progress', response_status: null, response_body: null,
      created_at_ms: atMs, completed_at_ms: null,
    }).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()).executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return { outcome: 'started' };
    const row = await db.selectFrom('idempotency_records').selectAll().where('principal', '=', principal).where('key', '=', key).executeTakeFirst();
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
  await db.updateTable('idempotency_records')
    .set({ status: 'completed', response_status: response.status, response_body: response.body, completed_at_ms: atMs })
    .where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').execute();
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
