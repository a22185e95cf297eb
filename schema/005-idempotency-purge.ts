/**
 * Migration 005: idempotency records are purged by status and age (idempotency-queries.ts,
 * purgeIdempotent): completed ones a day after, claims left in progress after five minutes. The
 * index lets each purge read only the rows it removes, not the whole day of records kept.
 */
import type { Kysely } from 'kysely';
import type { SchemaDialect } from './001-initial.ts';

export async function up(db: Kysely<unknown>, _dialect: SchemaDialect): Promise<void> {
  await db.schema.createIndex('idempotency_records_purge').on('idempotency_records').columns(['status', 'created_at_ms']).execute();
}
