/**
 * The baseline of the storage benchmark: closing a rated session with the raw drivers, issuing the
 * very statements Palier's `closeCharge` issues (same SQL text, same parameters, same order, in
 * one transaction), so that the ratio measures only what the store adds on top of the driver.
 *
 * On PostgreSQL Palier sends the close as one data-modifying statement (charge-queries.ts,
 * closeStatement) in BEGIN … COMMIT: `rawPostgresPalierStatementCloser` sends that very statement
 * with a bare `pg` client. The eight statements below are the SQLite path's, also measured on
 * PostgreSQL for comparison.
 *
 * Palier's SQLite statements, as kysely 0.28 compiles them (captured with kysely's query log):
 *   begin [immediate]; select the charge by session (idempotency); insert the journal; insert its
 *   postings (one multi-row insert); insert the charge; post the pending hold (`update … returning
 *   *`); upsert the running balances (one multi-row insert … on conflict do update), last so that
 *   the hot balance rows stay locked only until the commit; commit. Eight statements.
 */
import assert from 'node:assert/strict';
import type SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import type { Kysely } from 'kysely';
import { closeStatement, splitToJson } from '../../src/adapters/store/charge-queries.ts';
import type { Database } from '../../src/adapters/store/tables.ts';
import type { CloseCharge } from '../../src/app/ports/index.ts';

const SELECT_CHARGE = 'select * from "charges" where "session_id" = ?';
const INSERT_JOURNAL = 'insert into "ledger_journals" ("id", "kind", "cause_type", "cause_id", "reverses_journal_id", "description", "created_at_ms") values (?, ?, ?, ?, ?, ?, ?)';
const INSERT_CHARGE = 'insert into "charges" ("id", "session_id", "subscriber_id", "merchant_id", "offer_id", "billing_carrier_id", "hosting_carrier_id", '
  + '"tariff_hash", "currency", "metered_s", "billed_s", "amount_minor", "amount_precise", "net_minor", "vat_minor", "split_json", "rating_json", '
  + '"journal_id", "metering_started_at_ms", "created_at_ms") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const POST_HOLD = 'update "holds" set "status" = ?, "posted_minor" = ?, "charge_id" = ?, "resolved_at_ms" = ? where "session_id" = ? and "status" = ? returning *';

function insertPostingsSql(rows: number): string {
  return `insert into "ledger_postings" ("journal_id", "line", "account", "currency", "amount_minor") values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ')}`;
}

function upsertBalancesSql(rows: number, dialect: 'sqlite' | 'postgres'): string {
  // Palier qualifies the column on PostgreSQL only (`excluded` and the target are both in scope there).
  const current = dialect === 'postgres' ? 'ledger_balances.balance_minor' : 'balance_minor';
  return `insert into "ledger_balances" ("account", "currency", "balance_minor") values ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')} `
    + `on conflict ("account", "currency") do update set "balance_minor" = ${current} + excluded.balance_minor`;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (none of these statements holds a literal `?`). */
function numbered(text: string): string {
  let index = 0;
  return text.replace(/\?/g, () => `$${String(index += 1)}`);
}

/** The parameters of every statement of one close, built from the same domain values the store reads. */
interface CloseParams {
  readonly sessionId: string;
  readonly amountMinor: bigint;
  readonly journal: unknown[];
  readonly postings: unknown[];
  readonly postingRows: number;
  readonly balances: unknown[];
  readonly balanceRows: number;
  readonly charge: unknown[];
  readonly hold: unknown[];
}

function closeParams({ charge, journal }: CloseCharge): CloseParams {
  const amountMinor = charge.amount.toMinorUnits();
  const deltas = new Map<string, { account: string; currency: string; amount: bigint }>();
  for (const posting of journal.postings) {
    const key = `${posting.account}|${posting.currency}`;
    deltas.set(key, { account: posting.account, currency: posting.currency, amount: (deltas.get(key)?.amount ?? 0n) + posting.amountMinor });
  }
  // The store's own serialiser, so that the stored JSON is byte-identical.
  const splitJson = splitToJson(charge.split);
  return {
    sessionId: charge.sessionId,
    amountMinor,
    journal: [charge.journalId, journal.kind, journal.causeType, journal.causeId, journal.reversesJournalId, journal.description, charge.createdAtMs],
    postings: journal.postings.flatMap((p, line) => [charge.journalId, line, p.account, p.currency, p.amountMinor]),
    postingRows: journal.postings.length,
    balances: [...deltas.values()].flatMap((d) => [d.account, d.currency, d.amount]),
    balanceRows: deltas.size,
    charge: [
      charge.id, charge.sessionId, charge.subscriberId, charge.merchantId, charge.offerId, charge.billingCarrierId, charge.hostingCarrierId,
      charge.tariffHash, charge.currency, charge.meteredSeconds, charge.billedSeconds, amountMinor, charge.precise.toString(),
      charge.net.toMinorUnits(), charge.vat.toMinorUnits(), splitJson, charge.ratingJson, charge.journalId, charge.meteringStartedAtMs,
      charge.createdAtMs,
    ],
    hold: ['posted', amountMinor, charge.id, charge.createdAtMs, charge.sessionId, 'pending'],
  };
}

/** A statement per SQL text, prepared once (the multi-row inserts vary with the row count). */
function statementCache(sqlite: SqliteDatabase.Database): (text: string) => SqliteDatabase.Statement {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (statement === undefined) {
      statement = sqlite.prepare(text);
      cache.set(text, statement);
    }
    return statement;
  };
}

/**
 * Closes with better-sqlite3 prepared statements inside `BEGIN IMMEDIATE … COMMIT`. Synchronous,
 * like every better-sqlite3 call. Returns false when the session was already closed.
 */
export function rawSqliteCloser(sqlite: SqliteDatabase.Database): (close: CloseCharge) => boolean {
  const prepared = statementCache(sqlite);
  const begin = prepared('begin immediate');
  const commit = prepared('commit');
  const rollback = prepared('rollback');
  return (close) => {
    const params = closeParams(close);
    begin.run();
    try {
      if (prepared(SELECT_CHARGE).get(params.sessionId) !== undefined) {
        commit.run();
        return false;
      }
      prepared(INSERT_JOURNAL).run(...params.journal);
      prepared(insertPostingsSql(params.postingRows)).run(...params.postings);
      prepared(INSERT_CHARGE).run(...params.charge);
      const held = prepared(POST_HOLD).get(...params.hold) as { amount_minor: bigint } | undefined;
      assert(held === undefined || params.amountMinor <= held.amount_minor, 'posted ≤ held');
      prepared(upsertBalancesSql(params.balanceRows, 'sqlite')).run(...params.balances);
      commit.run();
      return true;
    } catch (error) {
      rollback.run();
      throw error;
    }
  };
}

/**
 * Closes with plain `pg` client queries (unnamed, parameterised, as kysely sends them) inside
 * `BEGIN … COMMIT`, one round trip per statement. Resolves to false when already closed.
 */
export function rawPostgresCloser(client: pg.ClientBase, options: { named?: boolean } = {}): (close: CloseCharge) => Promise<boolean> {
  const texts = new Map<string, pg.QueryConfig>();
  // `named`: server-side prepared statements, parsed and planned once per connection (kysely cannot send these).
  const text = (sqliteText: string): pg.QueryConfig => {
    let found = texts.get(sqliteText);
    if (found === undefined) {
      found = { text: numbered(sqliteText), ...(options.named === true ? { name: `palier_bench_${String(texts.size)}` } : {}) };
      texts.set(sqliteText, found);
    }
    return found;
  };
  return async (close) => {
    const params = closeParams(close);
    await client.query('begin');
    try {
      if ((await client.query({ ...text(SELECT_CHARGE), values: [params.sessionId] })).rows.length > 0) {
        await client.query('commit');
        return false;
      }
      await client.query({ ...text(INSERT_JOURNAL), values: params.journal });
      await client.query({ ...text(insertPostingsSql(params.postingRows)), values: params.postings });
      await client.query({ ...text(INSERT_CHARGE), values: params.charge });
      const held = await client.query<{ amount_minor: bigint }>({ ...text(POST_HOLD), values: params.hold });
      const row = held.rows[0];
      assert(row === undefined || params.amountMinor <= row.amount_minor, 'posted ≤ held');
      await client.query({ ...text(upsertBalancesSql(params.balanceRows, 'postgres')), values: params.balances });
      await client.query('commit');
      return true;
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
  };
}

/**
 * The whole close as one data-modifying statement (autocommit, so atomic): one round trip instead
 * of eight. Idempotent like the store (nothing is written when the session already has a charge);
 * the postings and balances travel as arrays. A measured proposal for PostgreSQL, not what Palier
 * does today.
 */
const ONE_STATEMENT_CLOSE = `with fresh as (select not exists (select 1 from "charges" where "session_id" = $1) as ok),
j as (insert into "ledger_journals" ("id", "kind", "cause_type", "cause_id", "reverses_journal_id", "description", "created_at_ms")
  select $2, $3, $4, $5, $6::text, $7, $8::bigint from fresh where ok returning "id"),
p as (insert into "ledger_postings" ("journal_id", "line", "account", "currency", "amount_minor")
  select j.id, t.line, t.account, t.currency, t.amount from j, unnest($9::int[], $10::text[], $11::text[], $12::bigint[]) as t(line, account, currency, amount)),
b as (insert into "ledger_balances" ("account", "currency", "balance_minor")
  select t.account, t.currency, t.amount from j, unnest($13::text[], $14::text[], $15::bigint[]) as t(account, currency, amount)
  on conflict ("account", "currency") do update set "balance_minor" = ledger_balances.balance_minor + excluded.balance_minor),
c as (insert into "charges" ("id", "session_id", "subscriber_id", "merchant_id", "offer_id", "billing_carrier_id", "hosting_carrier_id",
  "tariff_hash", "currency", "metered_s", "billed_s", "amount_minor", "amount_precise", "net_minor", "vat_minor", "split_json", "rating_json",
  "journal_id", "metering_started_at_ms", "created_at_ms")
  select $16, $1, $17, $18, $19, $20, $21, $22, $23, $24::int, $25::int, $26::bigint, $27, $28::bigint, $29::bigint, $30, $31, j.id, $32::bigint, $33::bigint from j),
h as (update "holds" set "status" = 'posted', "posted_minor" = $26::bigint, "charge_id" = $16, "resolved_at_ms" = $33::bigint
  where "session_id" = $1 and "status" = 'pending' and "amount_minor" >= $26::bigint and exists (select 1 from j) returning "amount_minor")
select (select count(*) from j) as written, (select count(*) from h) as posted`;

export function rawPostgresOneStatementCloser(client: pg.ClientBase): (close: CloseCharge) => Promise<boolean> {
  return async ({ charge, journal }) => {
    const params = closeParams({ charge, journal });
    const deltas = params.balances;
    const column = <T>(values: readonly unknown[], width: number, at: number): T[] => values.filter((_v, i) => i % width === at) as T[];
    const result = await client.query<{ written: bigint; posted: bigint }>(ONE_STATEMENT_CLOSE, [
      charge.sessionId, ...params.journal,
      journal.postings.map((_p, line) => line), journal.postings.map((p) => p.account), journal.postings.map((p) => p.currency),
      journal.postings.map((p) => p.amountMinor),
      column(deltas, 3, 0), column(deltas, 3, 1), column(deltas, 3, 2),
      charge.id, ...params.charge.slice(2, 17), ...params.charge.slice(18),
    ]);
    const row = result.rows[0];
    if (row?.written !== 1n) return false;
    assert.equal(row.posted, 1n, 'the pending hold was posted');
    return true;
  };
}

/**
 * Palier's PostgreSQL close with a bare `pg` client: BEGIN, the statement closeStatement builds
 * (compiled by kysely into its text and parameters, sent unnamed), COMMIT. `db` only compiles.
 */
export function rawPostgresPalierStatementCloser(client: pg.ClientBase, db: Kysely<Database>): (close: CloseCharge) => Promise<boolean> {
  return async (close) => {
    const compiled = closeStatement(close).compile(db);
    await client.query('begin');
    try {
      const result = await client.query<{ written: bigint; held: bigint | null }>(compiled.sql, [...compiled.parameters]);
      const row = result.rows[0];
      assert(row !== undefined);
      if (row.written === 0n) {
        await client.query('commit');
        return false;
      }
      assert(row.held === null || close.charge.amount.toMinorUnits() <= row.held, 'posted ≤ held');
      await client.query('commit');
      return true;
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
  };
}
