/**
 * Migration 004: settlement. A closed run per period, its statements (one per counterparty pair)
 * and the charges and refunds each statement settled. All three are append-only: a closed period
 * never changes; what arrives later is settled in a later period as an adjustment.
 */
import { type Kysely, sql } from 'kysely';
import type { SchemaDialect } from './001-initial.ts';

const TABLES = ['settlement_runs', 'statements', 'statement_items'];

async function appendOnly(db: Kysely<unknown>, dialect: SchemaDialect): Promise<void> {
  for (const table of TABLES) {
    if (dialect === 'postgres') {
      await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
        for each row execute function palier_append_only()`.execute(db);
      continue;
    }
    for (const op of ['update', 'delete']) {
      await sql`create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(table)}
        begin select raise(abort, ${sql.lit(`palier: ${table} is append-only (${op.toUpperCase()} refused)`)}); end`.execute(db);
    }
  }
}

export async function up(db: Kysely<unknown>, dialect: SchemaDialect): Promise<void> {
  await db.schema.createTable('settlement_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('period', 'text', (c) => c.notNull().unique())
    .addColumn('closed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('report_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('statements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('settlement_runs.id'))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('debtor_id', 'text', (c) => c.notNull())
    .addColumn('creditor_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_due_minor', 'bigint', (c) => c.notNull())
    .addColumn('body_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('statements_parties').on('statements').columns(['debtor_id', 'creditor_id']).execute();
  await db.schema.createTable('statement_items')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('item_type', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('statement_id', 'text', (c) => c.notNull().references('statements.id'))
    .addColumn('home_period', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('statement_items_pk', ['kind', 'item_type', 'item_id'])
    .execute();
  await db.schema.createIndex('statement_items_statement').on('statement_items').columns(['statement_id']).execute();
  await appendOnly(db, dialect);
}
