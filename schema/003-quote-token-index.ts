/** Migration 003: quotes are found by the hash of their bearer token (the widget's consent credential). */
import type { Kysely } from 'kysely';
import type { SchemaDialect } from './001-initial.ts';

export async function up(db: Kysely<unknown>, _dialect: SchemaDialect): Promise<void> {
  await db.schema.createIndex('quotes_token_hash').on('quotes').columns(['token_hash']).execute();
}
