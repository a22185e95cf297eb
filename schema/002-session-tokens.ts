/**
 * Migration 002: bearer tokens of quotes and sessions (stored as SHA-256 hashes, never in clear),
 * and the waterfall parts of each refund (so later partial refunds know what is left).
 */
import type { Kysely } from 'kysely';
import type { SchemaDialect } from './001-initial.ts';

export async function up(db: Kysely<unknown>, _dialect: SchemaDialect): Promise<void> {
  await db.schema.alterTable('quotes').addColumn('token_hash', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('user_token_hash', 'text').execute();
  await db.schema.createIndex('sessions_user_token').on('sessions').columns(['user_token_hash']).execute();
  await db.schema.alterTable('refunds').addColumn('split_json', 'text').execute();
  await db.schema.createIndex('sessions_merchant').on('sessions').columns(['merchant_id', 'id']).execute();
  await db.schema.createIndex('charges_merchant').on('charges').columns(['merchant_id', 'id']).execute();
  await db.schema.createIndex('charges_billing_carrier').on('charges').columns(['billing_carrier_id', 'id']).execute();
}
