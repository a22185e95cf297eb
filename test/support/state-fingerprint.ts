/**
 * What a request may have persisted, in one comparable value: the row count of every table, each
 * session's status and version, each hold's status and every ledger balance. Two equal
 * fingerprints mean nothing was written in between, which is how refusal tests prove "no state
 * change" without trusting the API that refused.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/adapters/store/tables.ts';

/**
 * Every table but `idempotency_records`, as a record so that a table added to `Database` fails to
 * compile here until it is listed. Idempotency records are left out on purpose: a refusal given
 * after the Idempotency-Key was claimed is stored as the answer a retry replays (bind-route.ts),
 * and that record is bookkeeping of the key, not state of the billing engine.
 */
const COUNTED_TABLES = {
  carriers: true, carrier_codes: true, subscribers: true, merchants: true, tariff_versions: true, offers: true, agreements: true,
  api_keys: true, quotes: true, sessions: true, consents: true, session_events: true, ratings: true, ledger_journals: true,
  ledger_postings: true, ledger_balances: true, charges: true, refunds: true, holds: true, settlement_runs: true, statements: true,
  statement_items: true,
} as const satisfies Record<Exclude<keyof Database, 'idempotency_records'>, true>;

export interface StateFingerprint {
  readonly rows: Readonly<Record<string, string>>;
  readonly sessions: readonly string[];
  readonly holds: readonly string[];
  readonly balances: readonly string[];
}

/** Reads the fingerprint of `db` (integers as strings: the two drivers return different number types). */
export async function stateFingerprint(db: Kysely<Database>): Promise<StateFingerprint> {
  const tables = Object.keys(COUNTED_TABLES);
  const counts = await Promise.all(tables.map(async (table) => {
    const result = await sql<{ n: unknown }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    return [table, String(result.rows[0]?.n)] as const;
  }));
  const [sessions, holds, balances] = await Promise.all([
    db.selectFrom('sessions').select(['id', 'status', 'version', 'updated_at_ms']).orderBy('id').execute(),
    db.selectFrom('holds').select(['id', 'status', 'posted_minor']).orderBy('id').execute(),
    db.selectFrom('ledger_balances').select(['account', 'currency', 'balance_minor']).orderBy('account').orderBy('currency').execute(),
  ]);
  return {
    rows: Object.fromEntries(counts),
    sessions: sessions.map((row) => `${row.id} ${row.status} v${String(row.version)} ${String(row.updated_at_ms)}`),
    holds: holds.map((row) => `${row.id} ${row.status} ${String(row.posted_minor)}`),
    balances: balances.map((row) => `${row.account} ${row.currency} ${String(row.balance_minor)}`),
  };
}
