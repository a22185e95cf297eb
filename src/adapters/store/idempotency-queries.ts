/**
 * Idempotency records (IETF Idempotency-Key draft): one row per (principal, key), claimed before
 * the request runs and completed with its response. The claim is an INSERT that fails on a
 * duplicate key, so two concurrent requests with one key can never both start.
 */
import type { Kysely } from 'kysely';
import type { IdempotencyBegin, IdempotentResponse } from '../../app/ports/index.ts';
import { IDEMPOTENCY_RECORD_TTL_MS } from '../../app/limits.ts';
import { asNumber } from './row-values.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

export async function beginIdempotent(db: Db, principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin> {
  const inserted = await db.insertInto('idempotency_records').values({
    principal, key, request_hash: requestHash, status: 'in_progress', response_status: null, response_body: null,
    created_at_ms: atMs, completed_at_ms: null,
  }).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()).executeTakeFirst();
  if (inserted.numInsertedOrUpdatedRows !== undefined && inserted.numInsertedOrUpdatedRows > 0n) return { outcome: 'started' };
  const row = await db.selectFrom('idempotency_records').selectAll().where('principal', '=', principal).where('key', '=', key).executeTakeFirstOrThrow();
  if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
  if (row.status !== 'completed' || row.response_status === null || row.response_body === null) return { outcome: 'in_progress' };
  return { outcome: 'replay', response: { status: asNumber(row.response_status), body: row.response_body } };
}

export async function completeIdempotent(db: Db, principal: string, key: string, response: IdempotentResponse, atMs: number): Promise<void> {
  await db.updateTable('idempotency_records')
    .set({ status: 'completed', response_status: response.status, response_body: response.body, completed_at_ms: atMs })
    .where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').execute();
}

export async function abandonIdempotent(db: Db, principal: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_records').where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').execute();
}

/** Removes completed records older than the retention (IDEMPOTENCY_RECORD_TTL_MS before `nowMs`). */
export async function purgeIdempotent(db: Db, nowMs: number): Promise<number> {
  const beforeMs = nowMs - IDEMPOTENCY_RECORD_TTL_MS;
  const result = await db.deleteFrom('idempotency_records').where('status', '=', 'completed').where('created_at_ms', '<', beforeMs).executeTakeFirst();
  return asNumber(result.numDeletedRows);
}
