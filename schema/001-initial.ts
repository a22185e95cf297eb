/**
 * Migration 001: the data model of DESIGN.md §1–4. Frozen in time: it never imports src/ and is
 * never edited once landed; later changes are new, add-only migrations.
 *
 * Conventions: money is an integer of minor units (`*_minor`, BIGINT, read as bigint) with the
 * precise unrounded amount as a decimal string beside it (`*_precise`, TEXT); instants are epoch
 * milliseconds (`*_at_ms`, BIGINT); booleans are 0/1 integers; structured data is JSON text.
 * Ledger journals and postings, session events, consents, charges and tariff versions are
 * append-only: triggers refuse UPDATE and DELETE on both databases.
 */
import { type Kysely, sql } from 'kysely';

const APPEND_ONLY_TABLES = ['ledger_journals', 'ledger_postings', 'session_events', 'consents', 'charges', 'tariff_versions', 'refunds'];

/** The database a migration runs on: the few statements that differ (triggers) branch on it. */
export type SchemaDialect = 'sqlite' | 'postgres';

async function createParties(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('carriers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('carrier_codes')
    .addColumn('mcc_mnc', 'text', (c) => c.primaryKey())
    .addColumn('carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .execute();
  await db.schema.createTable('subscribers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('msisdn_hmac', 'text', (c) => c.notNull().unique())
    .addColumn('billing_carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .addColumn('monthly_cap_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('merchants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hosting_carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .addColumn('payout_delay_days', 'integer', (c) => c.notNull())
    .addColumn('payout_minimum_minor', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('tariff_versions')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('canonical_json', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('published_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('offers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tariff_hash', 'text', (c) => c.notNull().references('tariff_versions.hash'))
    .addColumn('media_allowed', 'text', (c) => c.notNull())
    .addColumn('default_cap_minor', 'bigint', (c) => c.notNull())
    .addColumn('hold_billed', 'integer', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('agreements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('billing_carrier_id', 'text', (c) => c.references('carriers.id'))
    .addColumn('hosting_carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .addColumn('merchant_id', 'text', (c) => c.references('merchants.id'))
    .addColumn('terms_json', 'text', (c) => c.notNull())
    .addColumn('effective_from_ms', 'bigint', (c) => c.notNull())
    .addColumn('effective_to_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at_ms', 'bigint')
    .execute();
}

async function createSessions(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('quotes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('offer_id', 'text', (c) => c.notNull().references('offers.id'))
    .addColumn('subscriber_id', 'text', (c) => c.notNull().references('subscribers.id'))
    .addColumn('tariff_hash', 'text', (c) => c.notNull().references('tariff_versions.hash'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('announcement_text', 'text', (c) => c.notNull())
    .addColumn('announcement_hash', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('cap_allowed_minor', 'bigint', (c) => c.notNull())
    .addColumn('max_affordable_s', 'integer', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('offer_id', 'text', (c) => c.notNull().references('offers.id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('subscriber_id', 'text', (c) => c.notNull().references('subscribers.id'))
    .addColumn('quote_id', 'text', (c) => c.notNull().unique().references('quotes.id'))
    .addColumn('tariff_hash', 'text', (c) => c.notNull().references('tariff_versions.hash'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('cap_minor', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('metering_started_at_ms', 'bigint')
    .addColumn('ended_at_ms', 'bigint')
    .addColumn('end_reason', 'text')
    .addColumn('last_user_seen_at_ms', 'bigint')
    .addColumn('last_advisor_seen_at_ms', 'bigint')
    .addColumn('state_json', 'text', (c) => c.notNull())
    .addColumn('charge_id', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_status').on('sessions').columns(['status']).execute();
  await db.schema.createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('quote_id', 'text', (c) => c.notNull().unique().references('quotes.id'))
    .addColumn('session_id', 'text', (c) => c.notNull().unique())
    .addColumn('tariff_hash', 'text', (c) => c.notNull().references('tariff_versions.hash'))
    .addColumn('announcement_text', 'text', (c) => c.notNull())
    .addColumn('announcement_hash', 'text', (c) => c.notNull())
    .addColumn('cap_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('accepted_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('session_events')
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('data_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_events_pk', ['session_id', 'seq'])
    .execute();
  await db.schema.createTable('ratings')
    .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id'))
    .addColumn('stars', 'integer', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

async function createMoney(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('ledger_journals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('cause_type', 'text', (c) => c.notNull())
    .addColumn('cause_id', 'text', (c) => c.notNull())
    .addColumn('reverses_journal_id', 'text', (c) => c.references('ledger_journals.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ledger_journals_cause').on('ledger_journals').columns(['cause_type', 'cause_id']).execute();
  await db.schema.createTable('ledger_postings')
    .addColumn('journal_id', 'text', (c) => c.notNull().references('ledger_journals.id'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_postings_pk', ['journal_id', 'line'])
    .execute();
  await db.schema.createIndex('ledger_postings_account').on('ledger_postings').columns(['account', 'currency']).execute();
  // Running balance per account, kept in the same transaction as the postings; `ledger verify`
  // checks it against the sum of the postings.
  await db.schema.createTable('ledger_balances')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('balance_minor', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_balances_pk', ['account', 'currency'])
    .execute();
}

async function createCharges(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('charges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().unique())
    .addColumn('subscriber_id', 'text', (c) => c.notNull().references('subscribers.id'))
    .addColumn('merchant_id', 'text', (c) => c.notNull().references('merchants.id'))
    .addColumn('offer_id', 'text', (c) => c.notNull().references('offers.id'))
    .addColumn('billing_carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .addColumn('hosting_carrier_id', 'text', (c) => c.notNull().references('carriers.id'))
    .addColumn('tariff_hash', 'text', (c) => c.notNull().references('tariff_versions.hash'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('metered_s', 'integer', (c) => c.notNull())
    .addColumn('billed_s', 'integer', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('amount_precise', 'text', (c) => c.notNull())
    .addColumn('net_minor', 'bigint', (c) => c.notNull())
    .addColumn('vat_minor', 'bigint', (c) => c.notNull())
    .addColumn('split_json', 'text', (c) => c.notNull())
    .addColumn('rating_json', 'text', (c) => c.notNull())
    .addColumn('journal_id', 'text', (c) => c.notNull().references('ledger_journals.id'))
    .addColumn('metering_started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('charges_created').on('charges').columns(['created_at_ms']).execute();
  await db.schema.createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('charge_id', 'text', (c) => c.notNull().references('charges.id'))
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('journal_id', 'text', (c) => c.notNull().references('ledger_journals.id'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscriber_id', 'text', (c) => c.notNull().references('subscribers.id'))
    .addColumn('session_id', 'text', (c) => c.notNull().unique())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('posted_minor', 'bigint')
    .addColumn('charge_id', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at_ms', 'bigint')
    .execute();
  await db.schema.createIndex('holds_budget').on('holds').columns(['subscriber_id', 'period', 'status']).execute();
  await db.schema.createTable('idempotency_records')
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('completed_at_ms', 'bigint')
    .addPrimaryKeyConstraint('idempotency_records_pk', ['principal', 'key'])
    .execute();
}

async function appendOnlyTriggers(db: Kysely<unknown>, dialect: SchemaDialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`create function palier_append_only() returns trigger language plpgsql as $$
      begin raise exception 'palier: % is append-only (% refused)', tg_table_name, tg_op; end $$`.execute(db);
    for (const table of APPEND_ONLY_TABLES) {
      await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
        for each row execute function palier_append_only()`.execute(db);
    }
    return;
  }
  for (const table of APPEND_ONLY_TABLES) {
    for (const op of ['update', 'delete']) {
      await sql`create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(table)}
        begin select raise(abort, ${sql.lit(`palier: ${table} is append-only (${op.toUpperCase()} refused)`)}); end`.execute(db);
    }
  }
}

export async function up(db: Kysely<unknown>, dialect: SchemaDialect): Promise<void> {
  await createParties(db);
  await createSessions(db);
  await createMoney(db);
  await createCharges(db);
  await appendOnlyTriggers(db, dialect);
}
