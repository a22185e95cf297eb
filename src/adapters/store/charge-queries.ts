/** Charges: the rated record, written with its journal and the hold posting in one transaction. */
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import { assert, assertBalanced, type Charge, isCurrency, Money, type Waterfall } from '../../domain/index.ts';
import type { CloseCharge } from '../../app/ports/index.ts';
import type { DialectName } from './database.ts';
import { resolvePendingHold } from './hold-queries.ts';
import { addToBalances, balanceDeltas, insertJournal } from './ledger-queries.ts';
import { asBigInt, asNumber, asPreciseMoney } from './row-values.ts';
import { insertRows, rowBy } from './prepared.ts';
import type { ChargesTable, Database } from './tables.ts';

type Db = Kysely<Database>;

/** The waterfall as stored: minor units as decimal strings (JSON has no bigint). */
type StoredSplit = { [K in keyof Waterfall]: Waterfall[K] extends bigint ? string : Waterfall[K] };

export function splitToJson(split: Waterfall): string {
  const stored: StoredSplit = {
    currency: split.currency, interCarrier: split.interCarrier, grossMinor: String(split.grossMinor), vatMinor: String(split.vatMinor),
    netMinor: String(split.netMinor), billingCarrierFeeMinor: String(split.billingCarrierFeeMinor),
    hostingCarrierShareMinor: String(split.hostingCarrierShareMinor), merchantShareMinor: String(split.merchantShareMinor),
    collectionFeeMinor: String(split.collectionFeeMinor), badDebtMinor: String(split.badDebtMinor), interconnectMinor: String(split.interconnectMinor),
  };
  return JSON.stringify(stored);
}

export function splitFromJson(json: string): Waterfall {
  // Splits written before the detail of the billing carrier's fee (bad debt, interconnect) was kept have it all as collection fee.
  const stored = JSON.parse(json) as Omit<StoredSplit, 'collectionFeeMinor' | 'badDebtMinor' | 'interconnectMinor'> & Partial<StoredSplit>;
  assert(isCurrency(stored.currency), 'split currency');
  return {
    currency: stored.currency, interCarrier: stored.interCarrier, grossMinor: BigInt(stored.grossMinor), vatMinor: BigInt(stored.vatMinor),
    netMinor: BigInt(stored.netMinor), billingCarrierFeeMinor: BigInt(stored.billingCarrierFeeMinor),
    hostingCarrierShareMinor: BigInt(stored.hostingCarrierShareMinor), merchantShareMinor: BigInt(stored.merchantShareMinor),
    collectionFeeMinor: BigInt(stored.collectionFeeMinor ?? stored.billingCarrierFeeMinor), badDebtMinor: BigInt(stored.badDebtMinor ?? '0'),
    interconnectMinor: BigInt(stored.interconnectMinor ?? '0'),
  };
}

function chargeFrom(row: Selectable<ChargesTable>): Charge {
  assert(isCurrency(row.currency), () => `charge currency ${row.currency}`);
  const currency = row.currency;
  return {
    id: row.id, sessionId: row.session_id, subscriberId: row.subscriber_id, merchantId: row.merchant_id, offerId: row.offer_id,
    billingCarrierId: row.billing_carrier_id, hostingCarrierId: row.hosting_carrier_id, tariffHash: row.tariff_hash, currency,
    meteredSeconds: asNumber(row.metered_s), billedSeconds: asNumber(row.billed_s),
    amount: Money.fromMinorUnits(asBigInt(row.amount_minor), currency), precise: asPreciseMoney(row.amount_precise, currency),
    net: Money.fromMinorUnits(asBigInt(row.net_minor), currency), vat: Money.fromMinorUnits(asBigInt(row.vat_minor), currency),
    split: splitFromJson(row.split_json), ratingJson: row.rating_json, journalId: row.journal_id,
    meteringStartedAtMs: asNumber(row.metering_started_at_ms), createdAtMs: asNumber(row.created_at_ms),
  };
}

const chargeBy = { id: rowBy('charges', 'id'), session_id: rowBy('charges', 'session_id') };

export async function getCharge(db: Db, column: 'id' | 'session_id', value: string): Promise<Charge | null> {
  const row = await chargeBy[column].first(db, { value });
  return row === undefined ? null : chargeFrom(row);
}

/**
 * Reads a charge and locks it until the transaction ends: `FOR UPDATE` in PostgreSQL (a row lock
 * fires no UPDATE trigger); in SQLite `BEGIN IMMEDIATE` already holds the database's write lock.
 */
export async function lockCharge(db: Db, dialect: DialectName, id: string): Promise<Charge | null> {
  if (dialect === 'postgres') await db.selectFrom('charges').select('id').where('id', '=', id).forUpdate().execute();
  return getCharge(db, 'id', id);
}

/**
 * Must run inside a transaction (the store's `closeCharge` opens one). Idempotent: a session that
 * already has its charge gets it back and nothing is written. On PostgreSQL the writes travel as
 * one statement (closeInOneStatement), on SQLite as six: the same rows either way.
 */
export async function closeCharge(db: Db, dialect: DialectName, close: CloseCharge): Promise<{ charge: Charge; created: boolean }> {
  const { charge, journal } = close;
  const amountMinor = charge.amount.toMinorUnits();
  assert(charge.split.grossMinor === amountMinor, 'the split starts from the billed amount');
  assert(journal.causeType === 'charge' && journal.causeId === charge.id, 'the journal is caused by this charge');
  if (dialect === 'postgres') {
    if (await closeInOneStatement(db, close)) return { charge, created: true };
    const existing = await getCharge(db, 'session_id', charge.sessionId);
    assert(existing !== null, `session ${charge.sessionId}: a close that wrote nothing found the charge already there`);
    return { charge: existing, created: false };
  }
  const existing = await getCharge(db, 'session_id', charge.sessionId);
  if (existing !== null) return { charge: existing, created: false };
  await insertJournal(db, journal, { id: charge.journalId, atMs: charge.createdAtMs });
  await insertRows(db, 'charges', [{
    id: charge.id, session_id: charge.sessionId, subscriber_id: charge.subscriberId, merchant_id: charge.merchantId, offer_id: charge.offerId,
    billing_carrier_id: charge.billingCarrierId, hosting_carrier_id: charge.hostingCarrierId, tariff_hash: charge.tariffHash,
    currency: charge.currency, metered_s: charge.meteredSeconds, billed_s: charge.billedSeconds, amount_minor: amountMinor,
    amount_precise: charge.precise.toString(), net_minor: charge.net.toMinorUnits(), vat_minor: charge.vat.toMinorUnits(),
    split_json: splitToJson(charge.split), rating_json: charge.ratingJson, journal_id: charge.journalId,
    metering_started_at_ms: charge.meteringStartedAtMs, created_at_ms: charge.createdAtMs,
  }]);
  await resolvePendingHold(db, charge.sessionId, { status: 'posted', postedMinor: amountMinor, chargeId: charge.id, atMs: charge.createdAtMs });
  // Last: the carrier and merchant balance rows every close updates stay locked only until the commit.
  await addToBalances(db, journal);
  return { charge, created: true };
}

/**
 * The close as one data-modifying statement on PostgreSQL: one round trip instead of six, and the
 * carrier and merchant balance rows every close updates are locked from this statement to the
 * commit only (the storage benchmark's 16 closes in flight wait on them). The same rows as the
 * statements of the SQLite path: journal, postings (one row per line, unnested from arrays),
 * charge, the pending hold posted, the running balances; nothing when the session already has a
 * charge. Returns whether it wrote. Throws (rolling the transaction back) when the posted amount
 * would exceed the hold, as resolvePendingHold does.
 */
async function closeInOneStatement(db: Db, close: CloseCharge): Promise<boolean> {
  assertBalanced(close.journal);
  const result = await closeStatement(close).execute(db);
  const row = result.rows[0];
  assert(row !== undefined, 'the close answers one row');
  if (BigInt(row.written) === 0n) return false;
  assert(row.held === null || close.charge.amount.toMinorUnits() <= asBigInt(row.held), 'posted ≤ held');
  return true;
}

/** The statement of closeInOneStatement (exported for the storage benchmark's raw baseline, which sends it with the bare driver). */
export function closeStatement({ charge, journal }: CloseCharge): RawBuilder<{ written: string | bigint; held: bigint | null }> {
  const amountMinor = charge.amount.toMinorUnits();
  const deltas = balanceDeltas(journal);
  const at = charge.createdAtMs;
  return sql<{ written: string | bigint; held: bigint | null }>`
    with fresh as (select not exists (select 1 from charges where session_id = ${charge.sessionId}) as ok),
    j as (
      insert into ledger_journals (id, kind, cause_type, cause_id, reverses_journal_id, description, created_at_ms)
      select ${charge.journalId}, ${journal.kind}, ${journal.causeType}, ${journal.causeId}, ${journal.reversesJournalId}::text, ${journal.description}, ${at}::bigint
      from fresh where ok returning id),
    p as (
      insert into ledger_postings (journal_id, line, account, currency, amount_minor)
      select j.id, t.line, t.account, t.currency, t.amount from j,
        unnest(${journal.postings.map((_p, line) => line)}::int[], ${journal.postings.map((p) => p.account)}::text[],
          ${journal.postings.map((p) => p.currency)}::text[], ${journal.postings.map((p) => p.amountMinor)}::bigint[]) as t(line, account, currency, amount)),
    c as (
      insert into charges (id, session_id, subscriber_id, merchant_id, offer_id, billing_carrier_id, hosting_carrier_id, tariff_hash, currency,
        metered_s, billed_s, amount_minor, amount_precise, net_minor, vat_minor, split_json, rating_json, journal_id, metering_started_at_ms, created_at_ms)
      select ${charge.id}, ${charge.sessionId}, ${charge.subscriberId}, ${charge.merchantId}, ${charge.offerId}, ${charge.billingCarrierId},
        ${charge.hostingCarrierId}, ${charge.tariffHash}, ${charge.currency}, ${charge.meteredSeconds}::int, ${charge.billedSeconds}::int,
        ${amountMinor}::bigint, ${charge.precise.toString()}, ${charge.net.toMinorUnits()}::bigint, ${charge.vat.toMinorUnits()}::bigint,
        ${splitToJson(charge.split)}, ${charge.ratingJson}, j.id, ${charge.meteringStartedAtMs}::bigint, ${at}::bigint from j),
    h as (
      update holds set status = 'posted', posted_minor = ${amountMinor}::bigint, charge_id = ${charge.id}, resolved_at_ms = ${at}::bigint
      where session_id = ${charge.sessionId} and status = 'pending' and exists (select 1 from j) returning amount_minor),
    b as (
      insert into ledger_balances (account, currency, balance_minor)
      select t.account, t.currency, t.amount from j,
        unnest(${deltas.map((d) => d.account)}::text[], ${deltas.map((d) => d.currency)}::text[], ${deltas.map((d) => d.amount)}::bigint[]) as t(account, currency, amount)
      on conflict (account, currency) do update set balance_minor = ledger_balances.balance_minor + excluded.balance_minor)
    select (select count(*) from j) as written, (select amount_minor from h) as held`;
}
