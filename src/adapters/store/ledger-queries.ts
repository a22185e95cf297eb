/** Journals, postings and running balances. Append-only: no UPDATE or DELETE is ever issued here. */
import type { Kysely } from 'kysely';
import { assert, assertBalanced, type Currency, isCurrency, type Journal, type JournalDraft, JOURNAL_KINDS, type JournalKind } from '../../domain/index.ts';
import { asBigInt, asNumber } from './row-values.ts';
import { insertRows } from './prepared.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

export async function appendJournal(db: Db, draft: JournalDraft, identity: { id: string; atMs: number }): Promise<Journal> {
  const journal = await insertJournal(db, draft, identity);
  await addToBalances(db, draft);
  return journal;
}

/**
 * The journal and its postings, without the running balances: a caller that writes more in the
 * same transaction adds to the balances last (`addToBalances`), so that on PostgreSQL the rows of
 * the busiest accounts (a carrier's, a merchant's) stay locked for as short a time as possible.
 */
export async function insertJournal(db: Db, draft: JournalDraft, identity: { id: string; atMs: number }): Promise<Journal> {
  assertBalanced(draft);
  await insertRows(db, 'ledger_journals', [{
    id: identity.id, kind: draft.kind, cause_type: draft.causeType, cause_id: draft.causeId,
    reverses_journal_id: draft.reversesJournalId, description: draft.description, created_at_ms: identity.atMs,
  }]);
  await insertRows(db, 'ledger_postings', draft.postings.map((posting, line) => ({
    journal_id: identity.id, line, account: posting.account, currency: posting.currency, amount_minor: posting.amountMinor,
  })));
  return { ...draft, id: identity.id, createdAtMs: identity.atMs };
}

/** What a journal adds to each account's running balance: one entry per account and currency. */
export function balanceDeltas(draft: JournalDraft): { account: string; currency: string; amount: bigint }[] {
  const deltas = new Map<string, { account: string; currency: string; amount: bigint }>();
  for (const posting of draft.postings) {
    const key = `${posting.account}|${posting.currency}`;
    const current = deltas.get(key);
    deltas.set(key, { account: posting.account, currency: posting.currency, amount: (current?.amount ?? 0n) + posting.amountMinor });
  }
  return [...deltas.values()];
}

/** Adds each posting to its account's running balance (one upsert per account and currency). */
export async function addToBalances(db: Db, draft: JournalDraft): Promise<void> {
  const rows = balanceDeltas(draft).map((d) => ({ account: d.account, currency: d.currency, balance_minor: d.amount }));
  // SQLite and PostgreSQL share the ON CONFLICT … DO UPDATE syntax; `excluded` names the new row.
  await insertRows(db, 'ledger_balances', rows, { columns: ['account', 'currency'], add: 'balance_minor' });
}

function journalKind(value: string): JournalKind {
  assert((JOURNAL_KINDS as readonly string[]).includes(value), () => `journal kind ${value}`);
  return value as JournalKind;
}

function currency(value: string): Currency {
  assert(isCurrency(value), () => `posting currency ${value}`);
  return value;
}

async function journalsWhere(db: Db, where: { id?: string; cause?: { type: string; id: string } }): Promise<Journal[]> {
  let query = db.selectFrom('ledger_journals').selectAll().orderBy('created_at_ms').orderBy('id');
  if (where.id !== undefined) query = query.where('id', '=', where.id);
  if (where.cause !== undefined) query = query.where('cause_type', '=', where.cause.type).where('cause_id', '=', where.cause.id);
  const journals = await query.execute();
  if (journals.length === 0) return [];
  const postings = await db.selectFrom('ledger_postings').selectAll().where('journal_id', 'in', journals.map((j) => j.id)).orderBy('line').execute();
  return journals.map((row) => ({
    id: row.id, kind: journalKind(row.kind), causeType: row.cause_type, causeId: row.cause_id, reversesJournalId: row.reverses_journal_id,
    description: row.description, createdAtMs: asNumber(row.created_at_ms),
    postings: postings.filter((p) => p.journal_id === row.id)
      .map((p) => ({ account: p.account, currency: currency(p.currency), amountMinor: asBigInt(p.amount_minor) })),
  }));
}

export async function getJournal(db: Db, id: string): Promise<Journal | null> {
  return (await journalsWhere(db, { id }))[0] ?? null;
}

export function journalsFor(db: Db, causeType: string, causeId: string): Promise<Journal[]> {
  return journalsWhere(db, { cause: { type: causeType, id: causeId } });
}

export async function balance(db: Db, account: string, currencyCode: string): Promise<bigint> {
  const row = await db.selectFrom('ledger_balances').select('balance_minor').where('account', '=', account).where('currency', '=', currencyCode).executeTakeFirst();
  return row === undefined ? 0n : asBigInt(row.balance_minor);
}
