/**
 * Row types of the database, as kysely sees them. Integers come back as bigint on both databases
 * (better-sqlite3 `safeIntegers`, the pg INT8 parser) except 4-byte PostgreSQL integers, so
 * mappers read every integer through `row-values.ts`. These types never leave src/adapters/store.
 */
import type { ColumnType } from 'kysely';

/** An INTEGER/BIGINT column: written as bigint or number, read as bigint (or number for 4-byte PG ints). */
export type Int = ColumnType<bigint | number, bigint | number, bigint | number>;
export type NullableInt = ColumnType<bigint | number | null, bigint | number | null, bigint | number | null>;

export interface CarriersTable { id: string; name: string; country: string; currency: string; time_zone: string; created_at_ms: Int }
export interface CarrierCodesTable { mcc_mnc: string; carrier_id: string }
export interface SubscribersTable {
  id: string; msisdn_hmac: string; billing_carrier_id: string; monthly_cap_minor: Int; currency: string; status: string; created_at_ms: Int;
}
export interface MerchantsTable {
  id: string; name: string; hosting_carrier_id: string; payout_delay_days: Int; payout_minimum_minor: Int; created_at_ms: Int;
}
export interface TariffVersionsTable { hash: string; canonical_json: string; currency: string; profile: string; published_at_ms: Int }
export interface OffersTable {
  id: string; merchant_id: string; name: string; tariff_hash: string; media_allowed: string; default_cap_minor: Int;
  hold_billed: Int; profile: string; status: string; created_at_ms: Int;
}
export interface AgreementsTable {
  id: string; kind: string; billing_carrier_id: string | null; hosting_carrier_id: string; merchant_id: string | null;
  terms_json: string; effective_from_ms: Int; effective_to_ms: NullableInt; created_at_ms: Int;
}
export interface ApiKeysTable { id: string; key_hash: string; role: string; scope_id: string; label: string; created_at_ms: Int; revoked_at_ms: NullableInt }
export interface QuotesTable {
  id: string; offer_id: string; subscriber_id: string; tariff_hash: string; locale: string; announcement_text: string;
  announcement_hash: string; currency: string; cap_allowed_minor: Int; max_affordable_s: Int; created_at_ms: Int; expires_at_ms: Int;
  token_hash: string | null;
}
export interface SessionsTable {
  id: string; offer_id: string; merchant_id: string; subscriber_id: string; quote_id: string; tariff_hash: string; currency: string;
  cap_minor: Int; status: string; metering_started_at_ms: NullableInt; ended_at_ms: NullableInt; end_reason: string | null;
  last_user_seen_at_ms: NullableInt; last_advisor_seen_at_ms: NullableInt; state_json: string; charge_id: string | null;
  version: Int; lease_owner: string | null; lease_expires_at_ms: NullableInt; created_at_ms: Int; updated_at_ms: Int;
  user_token_hash: string | null;
}
export interface ConsentsTable {
  id: string; quote_id: string; session_id: string; tariff_hash: string; announcement_text: string; announcement_hash: string;
  cap_minor: Int; currency: string; channel: string; client_ip: string; user_agent: string; accepted_at_ms: Int;
}
export interface SessionEventsTable { session_id: string; seq: Int; type: string; at_ms: Int; data_json: string }
export interface RatingsTable { session_id: string; stars: Int; comment: string; created_at_ms: Int }
export interface LedgerJournalsTable {
  id: string; kind: string; cause_type: string; cause_id: string; reverses_journal_id: string | null; description: string; created_at_ms: Int;
}
export interface LedgerPostingsTable { journal_id: string; line: Int; account: string; currency: string; amount_minor: Int }
export interface LedgerBalancesTable { account: string; currency: string; balance_minor: Int }
export interface ChargesTable {
  id: string; session_id: string; subscriber_id: string; merchant_id: string; offer_id: string; billing_carrier_id: string;
  hosting_carrier_id: string; tariff_hash: string; currency: string; metered_s: Int; billed_s: Int; amount_minor: Int;
  amount_precise: string; net_minor: Int; vat_minor: Int; split_json: string; rating_json: string; journal_id: string;
  metering_started_at_ms: Int; created_at_ms: Int;
}
export interface RefundsTable {
  id: string; charge_id: string; amount_minor: Int; currency: string; reason: string; journal_id: string; created_by: string; created_at_ms: Int;
  split_json: string | null;
}
export interface HoldsTable {
  id: string; subscriber_id: string; session_id: string; period: string; currency: string; amount_minor: Int; status: string;
  posted_minor: NullableInt; charge_id: string | null; created_at_ms: Int; resolved_at_ms: NullableInt;
}
export interface SettlementRunsTable { id: string; period: string; closed_at_ms: Int; report_json: string }
export interface StatementsTable {
  id: string; run_id: string; period: string; kind: string; debtor_id: string; creditor_id: string; currency: string; amount_due_minor: Int; body_json: string;
}
export interface StatementItemsTable { kind: string; item_type: string; item_id: string; statement_id: string; home_period: string }
export interface IdempotencyRecordsTable {
  principal: string; key: string; request_hash: string; status: string; response_status: NullableInt; response_body: string | null;
  created_at_ms: Int; completed_at_ms: NullableInt;
}

export interface Database {
  carriers: CarriersTable;
  carrier_codes: CarrierCodesTable;
  subscribers: SubscribersTable;
  merchants: MerchantsTable;
  tariff_versions: TariffVersionsTable;
  offers: OffersTable;
  agreements: AgreementsTable;
  api_keys: ApiKeysTable;
  quotes: QuotesTable;
  sessions: SessionsTable;
  consents: ConsentsTable;
  session_events: SessionEventsTable;
  ratings: RatingsTable;
  ledger_journals: LedgerJournalsTable;
  ledger_postings: LedgerPostingsTable;
  ledger_balances: LedgerBalancesTable;
  charges: ChargesTable;
  refunds: RefundsTable;
  holds: HoldsTable;
  idempotency_records: IdempotencyRecordsTable;
  settlement_runs: SettlementRunsTable;
  statements: StatementsTable;
  statement_items: StatementItemsTable;
}

