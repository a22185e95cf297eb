/**
 * `ledger verify`: checks every invariant of the ledger, charges and holds against the database
 * itself (docs/ledger.md). Each check is one SQL query whose rows are the breaches (GROUP BY,
 * HAVING, LEFT JOIN), so the database does the arithmetic and nothing but breaches reaches JS.
 *
 * All queries read one snapshot: a read-only REPEATABLE READ transaction in PostgreSQL, a read
 * transaction in SQLite (WAL pins the snapshot at the first read). So a verify running beside live
 * writers never sees half of a transaction and reports no false breach.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { Accounts, HOLD_STATUSES } from '../../domain/index.ts';
import type { DialectName } from './database.ts';
import { asBigInt, asNumber } from './row-values.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

/** A sum or count as the drivers return it: bigint (SQLite, PG INT8) or string (PG NUMERIC). */
type SqlInteger = bigint | number | string;

/**
 * Breaches listed per check at most: a report stays readable, and past a thousand the database is
 * broken wholesale and the first thousand say why. The report names the checks that were cut.
 */
export const LEDGER_BREACHES_PER_CHECK_MAX = 1000;

/** The checks, in the order they run and are reported; each name is the breach it looks for. */
export const LEDGER_CHECKS = [
  'journal_unbalanced', 'posting_without_journal', 'journal_too_few_postings', 'balance_mismatch', 'balance_missing',
  'charge_journal_missing', 'charge_journal_wrong_kind', 'charge_receivable_mismatch', 'charge_split_mismatch',
  'refund_journal_missing', 'hold_status_unknown', 'hold_posted_mismatch', 'hold_voided_with_posting', 'hold_pending_with_charge',
  'budget_exceeded', 'reversal_target_missing', 'statement_ledger_mismatch',
] as const;
export type LedgerCheck = (typeof LEDGER_CHECKS)[number];

/** One broken invariant: the check that found it, the ids of the rows involved, and what is wrong. */
export interface LedgerBreach {
  readonly check: LedgerCheck;
  readonly ids: readonly string[];
  readonly detail: string;
}

/** How many rows each table held in the snapshot that was verified. */
export interface LedgerCounts {
  readonly journals: number;
  readonly postings: number;
  readonly balances: number;
  readonly charges: number;
  readonly refunds: number;
  readonly holds: number;
  readonly statements: number;
}

export interface LedgerReport {
  /** True when no check found a breach. */
  readonly ok: boolean;
  readonly dialect: DialectName;
  readonly checked: LedgerCounts;
  readonly checks: readonly LedgerCheck[];
  readonly breaches: readonly LedgerBreach[];
  /** Checks that found more than {@link LEDGER_BREACHES_PER_CHECK_MAX} breaches: only the first are listed. */
  readonly truncatedChecks: readonly LedgerCheck[];
}

/** Fetch one row past the limit to know whether a check was cut. */
const ROWS_MAX = LEDGER_BREACHES_PER_CHECK_MAX + 1;

const show = (value: SqlInteger | null): string => (value === null ? 'nothing' : String(asBigInt(value)));

function breach(check: LedgerCheck, ids: readonly (string | null)[], detail: string): LedgerBreach {
  return { check, ids: ids.filter((id): id is string => id !== null), detail };
}

async function unbalancedJournals(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_postings')
    .select(['journal_id', 'currency', (eb) => eb.fn.sum<SqlInteger>('amount_minor').as('sum_minor')])
    .groupBy(['journal_id', 'currency'])
    .having((eb) => eb.fn.sum('amount_minor'), '<>', 0)
    .orderBy('journal_id').orderBy('currency').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('journal_unbalanced', [r.journal_id], `postings in ${r.currency} sum to ${show(r.sum_minor)}, not 0`));
}

async function postingsWithoutJournal(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_postings as p')
    .leftJoin('ledger_journals as j', 'j.id', 'p.journal_id')
    .select(['p.journal_id', 'p.line', 'p.account'])
    .where('j.id', 'is', null)
    .orderBy('p.journal_id').orderBy('p.line').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('posting_without_journal', [r.journal_id], `posting line ${show(r.line)} (${r.account}) names journal ${r.journal_id}, which does not exist`));
}

async function journalsWithTooFewPostings(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_journals as j')
    .leftJoin('ledger_postings as p', 'p.journal_id', 'j.id')
    .select(['j.id', (eb) => eb.fn.count<SqlInteger>('p.line').as('postings')])
    .groupBy('j.id')
    .having((eb) => eb.fn.count('p.line'), '<', 2)
    .orderBy('j.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('journal_too_few_postings', [r.id], `journal has ${show(r.postings)} posting(s), at least 2 expected`));
}

/** Every running balance equals the sum of its account's postings (no postings: zero). */
async function balancesNotMatchingPostings(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_balances as b')
    .leftJoin(
      (eb) => eb.selectFrom('ledger_postings').select(['account', 'currency', (e) => e.fn.sum<SqlInteger>('amount_minor').as('sum_minor')])
        .groupBy(['account', 'currency']).as('s'),
      (join) => join.onRef('s.account', '=', 'b.account').onRef('s.currency', '=', 'b.currency'),
    )
    .select(['b.account', 'b.currency', 'b.balance_minor', 's.sum_minor'])
    .where((eb) => eb(eb.fn.coalesce('s.sum_minor', sql.lit(0)), '<>', eb.ref('b.balance_minor')))
    .orderBy('b.account').orderBy('b.currency').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('balance_mismatch', [r.account],
    `balance in ${r.currency} is ${show(r.balance_minor)} but the postings sum to ${r.sum_minor === null ? '0 (no postings)' : show(r.sum_minor)}`));
}

async function accountsWithoutBalance(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_postings as p')
    .leftJoin('ledger_balances as b', (join) => join.onRef('b.account', '=', 'p.account').onRef('b.currency', '=', 'p.currency'))
    .select(['p.account', 'p.currency', (eb) => eb.fn.sum<SqlInteger>('p.amount_minor').as('sum_minor')])
    .where('b.account', 'is', null)
    .groupBy(['p.account', 'p.currency'])
    .orderBy('p.account').orderBy('p.currency').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('balance_missing', [r.account], `postings in ${r.currency} sum to ${show(r.sum_minor)} but there is no balance row`));
}

async function chargesWithoutJournal(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('charges as c')
    .leftJoin('ledger_journals as j', 'j.id', 'c.journal_id')
    .select(['c.id', 'c.journal_id'])
    .where('j.id', 'is', null)
    .orderBy('c.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('charge_journal_missing', [r.id, r.journal_id], `journal ${r.journal_id} of the charge does not exist`));
}

/** A charge's journal is of kind `charge` and caused by that charge (closeCharge asserts both). */
async function chargesWithForeignJournal(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('charges as c')
    .innerJoin('ledger_journals as j', 'j.id', 'c.journal_id')
    .select(['c.id', 'c.journal_id', 'j.kind', 'j.cause_type', 'j.cause_id'])
    .where((eb) => eb.or([eb('j.kind', '<>', 'charge'), eb('j.cause_type', '<>', 'charge'), eb('j.cause_id', '<>', eb.ref('c.id'))]))
    .orderBy('c.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('charge_journal_wrong_kind', [r.id, r.journal_id],
    `journal ${r.journal_id} is of kind ${r.kind} caused by ${r.cause_type} ${r.cause_id}, expected kind charge caused by charge ${r.id}`));
}

/** The sum of the charge journal's postings to the subscriber's receivable equals the billed amount. */
async function chargesWithWrongReceivable(db: Db): Promise<LedgerBreach[]> {
  // The account name comes from the chart of accounts: `subscriber:<id>:receivable`.
  const placeholder = 'SUBSCRIBER';
  const [prefix = '', suffix = ''] = Accounts.subscriberReceivable(placeholder).split(placeholder);
  const rows = await db.selectFrom('charges as c')
    .leftJoin('ledger_postings as p', (join) => join.onRef('p.journal_id', '=', 'c.journal_id').onRef('p.currency', '=', 'c.currency')
      .on('p.account', '=', sql<string>`${sql.lit(prefix)} || c.subscriber_id || ${sql.lit(suffix)}`))
    .select(['c.id', 'c.journal_id', 'c.subscriber_id', 'c.amount_minor', (eb) => eb.fn.sum<SqlInteger | null>('p.amount_minor').as('receivable_minor')])
    .groupBy(['c.id', 'c.journal_id', 'c.subscriber_id', 'c.amount_minor'])
    .having((eb) => eb(eb.fn.coalesce(eb.fn.sum('p.amount_minor'), sql.lit(0)), '<>', eb.ref('c.amount_minor')))
    .orderBy('c.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('charge_receivable_mismatch', [r.id, r.journal_id],
    `charge amount is ${show(r.amount_minor)} but journal ${r.journal_id} posts ${show(r.receivable_minor)} to ${prefix}${r.subscriber_id}${suffix}`));
}

/**
 * PostgreSQL 15 has no `IS JSON`, and casting malformed text to jsonb fails the whole query. A
 * split as charge-queries.ts writes it is a flat object of short strings and booleans: only text
 * of that shape is cast, anything else reads as malformed (a breach, not a crash).
 */
const FLAT_JSON_OBJECT = '^\\s*\\{\\s*"[A-Za-z]+"\\s*:\\s*("[A-Za-z0-9_.+-]*"|true|false)\\s*(,\\s*"[A-Za-z]+"\\s*:\\s*("[A-Za-z0-9_.+-]*"|true|false)\\s*)*\\}\\s*$';

/**
 * One minor-unit field of `split_json` as an integer, or NULL when the JSON or the field is
 * malformed. Stored minor units are decimal strings (JSON has no bigint); 17 digits at most keep
 * the sum of four parts inside a signed 64-bit integer. CASE, not AND, guards the casts: SQL does
 * not promise to evaluate AND from left to right.
 */
function splitMinor(dialect: DialectName, key: string): RawBuilder<SqlInteger | null> {
  if (dialect === 'postgres') {
    const text = sql`(split_json::jsonb ->> ${sql.lit(key)})`;
    return sql`case when split_json ~ ${FLAT_JSON_OBJECT} then case when ${text} ~ '^-?[0-9]{1,17}$' then ${text}::bigint end end`;
  }
  const path = sql.lit(`$.${key}`);
  const text = sql`json_extract(split_json, ${path})`;
  // Casting to INTEGER and back gives the same text only for a canonical integer ('12.5', 'abc', '012' differ).
  return sql`case when json_valid(split_json) then case when json_type(split_json, ${path}) = 'text'
    and cast(cast(${text} as integer) as text) = ${text} then cast(${text} as integer) end end`;
}

/** The waterfall conserves the charge: vat + fee + hosting + merchant = gross = amount_minor. */
async function chargesWithBrokenSplit(db: Db, dialect: DialectName): Promise<LedgerBreach[]> {
  const part = (key: string): RawBuilder<SqlInteger | null> => splitMinor(dialect, key);
  const { rows } = await sql<{ id: string; amount_minor: SqlInteger; gross_minor: SqlInteger | null; parts_minor: SqlInteger | null }>`
    select id, amount_minor, gross_minor, parts_minor from (
      select id, amount_minor, ${part('grossMinor')} as gross_minor,
        ${part('vatMinor')} + ${part('billingCarrierFeeMinor')} + ${part('hostingCarrierShareMinor')} + ${part('merchantShareMinor')} as parts_minor
      from charges) split
    where gross_minor is null or parts_minor is null or gross_minor <> amount_minor or parts_minor <> gross_minor
    order by id limit ${ROWS_MAX}`.execute(db);
  return rows.map((r) => breach('charge_split_mismatch', [r.id], r.gross_minor === null || r.parts_minor === null
    ? 'split_json is not a waterfall with integer minor units (grossMinor, vatMinor, billingCarrierFeeMinor, hostingCarrierShareMinor, merchantShareMinor)'
    : `amount is ${show(r.amount_minor)}, split gross ${show(r.gross_minor)}, vat + fee + hosting + merchant = ${show(r.parts_minor)}`));
}

async function refundsWithoutJournal(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('refunds as r')
    .leftJoin('ledger_journals as j', 'j.id', 'r.journal_id')
    .select(['r.id', 'r.journal_id'])
    .where('j.id', 'is', null)
    .orderBy('r.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('refund_journal_missing', [r.id, r.journal_id], `journal ${r.journal_id} of the refund does not exist`));
}

async function holdsWithUnknownStatus(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('holds').select(['id', 'status'])
    .where('status', 'not in', [...HOLD_STATUSES])
    .orderBy('id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('hold_status_unknown', [r.id], `status ${JSON.stringify(r.status)} is not one of ${HOLD_STATUSES.join(', ')}`));
}

/** A posted hold: 0 ≤ posted ≤ held, and its charge exists, is for the same session and bills exactly the posted amount. */
async function postedHoldsNotMatchingCharge(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('holds as h')
    .leftJoin('charges as c', 'c.id', 'h.charge_id')
    .select(['h.id', 'h.amount_minor', 'h.posted_minor', 'h.charge_id', 'c.id as found_charge_id', 'c.amount_minor as charge_minor'])
    .where('h.status', '=', 'posted')
    .where((eb) => eb.or([
      eb('h.posted_minor', 'is', null), eb('h.posted_minor', '<', 0), eb('h.posted_minor', '>', eb.ref('h.amount_minor')),
      eb('c.id', 'is', null), eb('c.amount_minor', '<>', eb.ref('h.posted_minor')), eb('c.session_id', '<>', eb.ref('h.session_id')),
    ]))
    .orderBy('h.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('hold_posted_mismatch', [r.id, r.charge_id], r.found_charge_id === null
    ? `posted ${show(r.posted_minor)} of ${show(r.amount_minor)} held, but charge ${r.charge_id ?? '(none)'} does not exist`
    : `posted ${show(r.posted_minor)} of ${show(r.amount_minor)} held; charge ${r.found_charge_id} (same session expected) bills ${show(r.charge_minor)}`));
}

async function voidedHoldsWithPosting(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('holds').select(['id', 'posted_minor', 'charge_id'])
    .where('status', '=', 'voided')
    .where((eb) => eb.or([eb('posted_minor', 'is not', null), eb('charge_id', 'is not', null)]))
    .orderBy('id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('hold_voided_with_posting', [r.id, r.charge_id], `voided, yet posted ${show(r.posted_minor)} to charge ${r.charge_id ?? '(none)'}`));
}

/** A pending hold has posted nothing, and its session has no charge yet (closing a charge posts the hold). */
async function pendingHoldsWithCharge(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('holds as h')
    .leftJoin('charges as c', 'c.session_id', 'h.session_id')
    .select(['h.id', 'h.session_id', 'h.posted_minor', 'h.charge_id', 'c.id as session_charge_id'])
    .where('h.status', '=', 'pending')
    .where((eb) => eb.or([eb('c.id', 'is not', null), eb('h.posted_minor', 'is not', null), eb('h.charge_id', 'is not', null)]))
    .orderBy('h.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('hold_pending_with_charge', [r.id, r.session_charge_id ?? r.charge_id], r.session_charge_id === null
    ? `pending, yet posted ${show(r.posted_minor)} to charge ${r.charge_id ?? '(none)'}`
    : `still pending although session ${r.session_id} was charged by ${r.session_charge_id}`));
}

/** A reversal names the journal it reverses, and that journal exists. */
async function reversalsWithoutTarget(db: Db): Promise<LedgerBreach[]> {
  const rows = await db.selectFrom('ledger_journals as r')
    .leftJoin('ledger_journals as o', 'o.id', 'r.reverses_journal_id')
    .select(['r.id', 'r.kind', 'r.reverses_journal_id'])
    .where((eb) => eb.or([eb('r.kind', '=', 'reversal'), eb('r.reverses_journal_id', 'is not', null)]))
    .where('o.id', 'is', null)
    .orderBy('r.id').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('reversal_target_missing', [r.id, r.reverses_journal_id], r.reverses_journal_id === null
    ? `${r.kind} journal names no journal to reverse`
    : `${r.kind} journal reverses ${r.reverses_journal_id}, which does not exist`));
}

/**
 * A subscriber's month never takes more than its monthly cap: what its sessions posted plus what
 * pending holds reserve (docs/ledger.md, budget holds). Placing a hold checks it under a lock;
 * this finds a month that got past the check.
 */
async function monthsOverBudget(db: Db): Promise<LedgerBreach[]> {
  const used = sql<SqlInteger>`sum(case when h.status = 'posted' then coalesce(h.posted_minor, 0) when h.status = 'pending' then h.amount_minor else 0 end)`;
  const rows = await db.selectFrom('holds as h').innerJoin('subscribers as s', 's.id', 'h.subscriber_id')
    .select(['h.subscriber_id', 'h.period', 's.monthly_cap_minor', 's.currency', used.as('used_minor')])
    .groupBy(['h.subscriber_id', 'h.period', 's.monthly_cap_minor', 's.currency'])
    .having(used, '>', (eb) => eb.ref('s.monthly_cap_minor'))
    .orderBy('h.subscriber_id').orderBy('h.period').limit(ROWS_MAX).execute();
  return rows.map((r) => breach('budget_exceeded', [r.subscriber_id],
    `${r.period}: posted and held ${show(r.used_minor)} ${r.currency} minor units, above the monthly cap of ${show(r.monthly_cap_minor)}`));
}

/** A decimal string of the statement body ("12.34", as Money writes minor units) as minor units, or NULL when it is not one. */
function bodyMinor(dialect: DialectName, text: RawBuilder<string | null>): RawBuilder<SqlInteger | null> {
  return dialect === 'postgres'
    ? sql`case when ${text} ~ '^-?[0-9]{1,17}(\.[0-9]{1,4})?$' then replace(${text}, '.', '')::bigint end`
    : sql`case when ${text} glob '*[0-9]*' and ${text} not glob '*[^-0-9.]*' then cast(replace(${text}, '.', '') as integer) end`;
}

/** Where a statement keeps a figure: charges minus refunds, of its own period and of every adjustment. */
function statementFigure(dialect: DialectName, key: string): RawBuilder<SqlInteger | null> {
  if (dialect === 'postgres') {
    const at = (json: RawBuilder<unknown>, side: string): RawBuilder<SqlInteger | null> => bodyMinor(dialect, sql<string | null>`${json} #>> ${sql.lit(`{${side},${key}}`)}`);
    const body = sql`s.body_json::jsonb`;
    return sql`${at(body, 'charges')} - ${at(body, 'refunds')} + coalesce((select sum(${at(sql`a`, 'charges')} - ${at(sql`a`, 'refunds')})
      from jsonb_array_elements(${body} -> 'adjustments') a), 0)`;
  }
  const at = (json: RawBuilder<unknown>, side: string): RawBuilder<SqlInteger | null> => bodyMinor(dialect, sql<string | null>`json_extract(${json}, ${sql.lit(`$.${side}.${key}`)})`);
  return sql`case when json_valid(s.body_json) then ${at(sql`s.body_json`, 'charges')} - ${at(sql`s.body_json`, 'refunds')}
    + coalesce((select sum(${at(sql`a.value`, 'charges')} - ${at(sql`a.value`, 'refunds')}) from json_each(s.body_json, '$.adjustments') a), 0) end`;
}

/**
 * The figures a statement's items posted, from their journals, in the sense of a charge (a
 * refund's journal posts its parts negated): the accounts of docs/ledger.md, read for the
 * statement's parties — a carrier statement (debtor billing carrier b, creditor hosting carrier
 * h) or a merchant statement (debtor h, creditor merchant m).
 */
const LEDGER_FIGURES = sql`
  sum(case when p.account like 'subscriber:%:receivable' then p.amount_minor else 0 end) as gross,
  -sum(case when (s.kind = 'carrier' and p.account = 'carrier:' || s.debtor_id || ':vat_payable')
    or (s.kind = 'merchant' and p.account like 'carrier:%:vat_payable') then p.amount_minor else 0 end) as vat,
  -sum(case when p.account like 'carrier:%:revenue' and p.account <> 'carrier:' || (case when s.kind = 'carrier' then s.creditor_id else s.debtor_id end) || ':revenue'
    and (s.kind = 'merchant' or p.account = 'carrier:' || s.debtor_id || ':revenue') then p.amount_minor else 0 end) as fees,
  -sum(case when p.account = 'carrier:' || (case when s.kind = 'carrier' then s.creditor_id else s.debtor_id end) || ':revenue' then p.amount_minor else 0 end) as hosting,
  -sum(case when (s.kind = 'carrier' and p.account like 'merchant:%:payable')
    or (s.kind = 'merchant' and p.account = 'merchant:' || s.creditor_id || ':payable') then p.amount_minor else 0 end) as merchant,
  -sum(case when (s.kind = 'carrier' and p.account = 'carrier:' || s.debtor_id || ':owes:' || s.creditor_id)
    or (s.kind = 'merchant' and p.account = 'merchant:' || s.creditor_id || ':payable') then p.amount_minor else 0 end) as due`;

/** The figures the check compares, and how a breach names them. */
const FIGURE_NAMES = { due: 'amount due', gross: 'gross', vat: 'VAT', fees: 'fees', hosting: 'hosting share', merchant: 'merchant share' } as const;
type Figure = keyof typeof FIGURE_NAMES;
/** A statement's figures (`_s`, NULL when its body does not hold one) beside its items' postings (`_l`). */
type FigureRow = { id: string } & Record<`${Figure}_s`, SqlInteger | null> & Record<`${Figure}_l`, SqlInteger>;

/**
 * Every closed statement equals the ledger for its items (issue 6 §2): its amount due, and the
 * gross, VAT, the billing carrier's fees (collection fee + bad-debt allowance + interconnect),
 * the hosting and the merchant shares of its body, each net of refunds and with its adjustments,
 * against the postings of the journals of the charges and refunds it settled.
 */
async function statementsNotMatchingLedger(db: Db, dialect: DialectName): Promise<LedgerBreach[]> {
  const figure = (key: string): RawBuilder<SqlInteger | null> => statementFigure(dialect, key);
  const { rows } = await sql<FigureRow>`
    select * from (
      select s.id, s.amount_due_minor as due_s, ${figure('gross')} as gross_s, ${figure('vat')} as vat_s,
        ${figure('collectionFee')} + ${figure('badDebtAllowance')} + ${figure('interconnect')} as fees_s, ${figure('hostingShare')} as hosting_s,
        ${figure('merchantShare')} as merchant_s,
        coalesce(l.due, 0) as due_l, coalesce(l.gross, 0) as gross_l, coalesce(l.vat, 0) as vat_l, coalesce(l.fees, 0) as fees_l,
        coalesce(l.hosting, 0) as hosting_l, coalesce(l.merchant, 0) as merchant_l
      from statements s left join (
        select i.statement_id, ${LEDGER_FIGURES}
        from statement_items i
        join statements s on s.id = i.statement_id
        left join charges c on i.item_type = 'charge' and c.id = i.item_id
        left join refunds r on i.item_type = 'refund' and r.id = i.item_id
        join ledger_postings p on p.journal_id = coalesce(c.journal_id, r.journal_id)
        group by i.statement_id) l on l.statement_id = s.id) f
    where due_s <> due_l or gross_s is null or gross_s <> gross_l or vat_s is null or vat_s <> vat_l or fees_s is null or fees_s <> fees_l
      or hosting_s is null or hosting_s <> hosting_l or merchant_s is null or merchant_s <> merchant_l
    order by id limit ${ROWS_MAX}`.execute(db);
  return rows.map((r) => {
    const differences = (Object.keys(FIGURE_NAMES) as Figure[]).flatMap((key) => {
      const statement = r[`${key}_s`];
      const ledger = r[`${key}_l`];
      if (statement !== null && asBigInt(statement) === asBigInt(ledger)) return [];
      return [`${FIGURE_NAMES[key]} ${statement === null ? 'unreadable' : show(statement)} in the statement, ${show(ledger)} in the ledger`];
    });
    return breach('statement_ledger_mismatch', [r.id], `in minor units, ${differences.join('; ')}`);
  });
}

const CHECKS: Readonly<Record<LedgerCheck, (db: Db, dialect: DialectName) => Promise<LedgerBreach[]>>> = {
  journal_unbalanced: unbalancedJournals,
  posting_without_journal: postingsWithoutJournal,
  journal_too_few_postings: journalsWithTooFewPostings,
  balance_mismatch: balancesNotMatchingPostings,
  balance_missing: accountsWithoutBalance,
  charge_journal_missing: chargesWithoutJournal,
  charge_journal_wrong_kind: chargesWithForeignJournal,
  charge_receivable_mismatch: chargesWithWrongReceivable,
  charge_split_mismatch: chargesWithBrokenSplit,
  refund_journal_missing: refundsWithoutJournal,
  hold_status_unknown: holdsWithUnknownStatus,
  hold_posted_mismatch: postedHoldsNotMatchingCharge,
  hold_voided_with_posting: voidedHoldsWithPosting,
  hold_pending_with_charge: pendingHoldsWithCharge,
  budget_exceeded: monthsOverBudget,
  reversal_target_missing: reversalsWithoutTarget,
  statement_ledger_mismatch: statementsNotMatchingLedger,
};

async function countRows(db: Db): Promise<LedgerCounts> {
  const count = async (table: keyof Database): Promise<number> => {
    const { rows } = await sql<{ n: SqlInteger }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    return asNumber(rows[0]?.n ?? 0);
  };
  return {
    journals: await count('ledger_journals'), postings: await count('ledger_postings'), balances: await count('ledger_balances'),
    charges: await count('charges'), refunds: await count('refunds'), holds: await count('holds'), statements: await count('statements'),
  };
}

/** Runs `work` on one consistent, read-only snapshot of the database. */
async function inSnapshot<T>(db: Db, dialect: DialectName, work: (snapshot: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  if (dialect === 'postgres') {
    return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
  }
  return db.connection().execute(async (connection) => {
    await sql`begin`.execute(connection);
    try {
      return await work(connection);
    } finally {
      await sql`rollback`.execute(connection);
    }
  });
}

/**
 * Checks every ledger invariant (LEDGER_CHECKS) on one snapshot and lists each breach found.
 * Read-only; a breach is an expected outcome (a value), never an exception. Pass the database
 * or a kysely transaction; on SQLite, not a connection on which a transaction was begun by hand.
 *
 * @example const report = await verifyLedger(database.db, database.dialect); // report.ok, report.breaches
 */
export async function verifyLedger(db: Kysely<Database>, dialect: DialectName): Promise<LedgerReport> {
  return inSnapshot(db, dialect, async (snapshot) => {
    const checked = await countRows(snapshot);
    const breaches: LedgerBreach[] = [];
    const truncatedChecks: LedgerCheck[] = [];
    for (const check of LEDGER_CHECKS) {
      const found = await CHECKS[check](snapshot, dialect);
      if (found.length > LEDGER_BREACHES_PER_CHECK_MAX) truncatedChecks.push(check);
      breaches.push(...found.slice(0, LEDGER_BREACHES_PER_CHECK_MAX));
    }
    return { ok: breaches.length === 0, dialect, checked, checks: LEDGER_CHECKS, breaches, truncatedChecks };
  });
}
