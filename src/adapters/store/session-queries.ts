/** Quotes, consents, sessions and their events, ratings, charge listings and refunds: rows ⇄ domain. */
import type { Kysely, Selectable } from 'kysely';
import type { ListCharges, ListSessions, Page } from '../../app/ports/index.ts';
import {
  assert, type Charge, type Consent, END_REASONS, type EndReason, err, isCurrency, LOCALES, type Locale, MEDIA, type Medium, ok, type Quote, type Refund,
  type Result, type Session, type SessionEvent, type SessionEventType, type SessionRating, SESSION_STATUSES, type SessionStatus,
} from '../../domain/index.ts';
import { getCharge, splitFromJson, splitToJson } from './charge-queries.ts';
import { appendJournal } from './ledger-queries.ts';
import { insertRows, prepared, rowBy } from './prepared.ts';
import { asBigInt, asNumber, asNumberOrNull } from './row-values.ts';
import type { Database, QuotesTable, SessionsTable } from './tables.ts';

type Db = Kysely<Database>;

function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  assert((values as readonly string[]).includes(value), () => `stored ${what} ${value}`);
  return value as T;
}

function quoteFrom(row: Selectable<QuotesTable>): Quote {
  assert(isCurrency(row.currency) && row.token_hash !== null, 'stored quote has a currency and a token');
  return {
    id: row.id, offerId: row.offer_id, subscriberId: row.subscriber_id, tariffHash: row.tariff_hash, locale: oneOf<Locale>(LOCALES, row.locale, 'locale'),
    announcementText: row.announcement_text, announcementHash: row.announcement_hash, currency: row.currency,
    capAllowedMinor: asBigInt(row.cap_allowed_minor), maxAffordableSeconds: asNumber(row.max_affordable_s),
    createdAtMs: asNumber(row.created_at_ms), expiresAtMs: asNumber(row.expires_at_ms), tokenHash: row.token_hash,
  };
}

export async function insertQuote(db: Db, quote: Quote): Promise<void> {
  await insertRows(db, 'quotes', [{
    id: quote.id, offer_id: quote.offerId, subscriber_id: quote.subscriberId, tariff_hash: quote.tariffHash, locale: quote.locale,
    announcement_text: quote.announcementText, announcement_hash: quote.announcementHash, currency: quote.currency,
    cap_allowed_minor: quote.capAllowedMinor, max_affordable_s: quote.maxAffordableSeconds, created_at_ms: quote.createdAtMs,
    expires_at_ms: quote.expiresAtMs, token_hash: quote.tokenHash,
  }]);
}

const quoteBy = { id: rowBy('quotes', 'id'), token_hash: rowBy('quotes', 'token_hash') };

export async function getQuote(db: Db, column: 'id' | 'token_hash', value: string): Promise<Quote | null> {
  const row = await quoteBy[column].first(db, { value });
  return row === undefined ? null : quoteFrom(row);
}

/** The part of a session that has no column of its own. */
interface SessionStateJson {
  reservedMinor: string | null;
  holdBilled: boolean;
  medium: Medium;
  intervals: { startMs: number; seconds: number }[];
  runStartedAtMs: number | null;
}

function sessionFrom(row: Selectable<SessionsTable>): Session {
  const state = JSON.parse(row.state_json) as SessionStateJson;
  assert(isCurrency(row.currency), () => `session currency ${row.currency}`);
  return {
    id: row.id, offerId: row.offer_id, merchantId: row.merchant_id, subscriberId: row.subscriber_id, quoteId: row.quote_id,
    tariffHash: row.tariff_hash, currency: row.currency, capMinor: asBigInt(row.cap_minor),
    reservedMinor: state.reservedMinor === null ? null : BigInt(state.reservedMinor), holdBilled: state.holdBilled,
    status: oneOf<SessionStatus>(SESSION_STATUSES, row.status, 'session status'), medium: oneOf<Medium>(MEDIA, state.medium, 'medium'),
    createdAtMs: asNumber(row.created_at_ms), meteringStartedAtMs: asNumberOrNull(row.metering_started_at_ms), intervals: state.intervals,
    runStartedAtMs: state.runStartedAtMs, lastUserSeenAtMs: asNumber(row.last_user_seen_at_ms ?? row.created_at_ms),
    lastAdvisorSeenAtMs: asNumberOrNull(row.last_advisor_seen_at_ms), endedAtMs: asNumberOrNull(row.ended_at_ms),
    endReason: row.end_reason === null ? null : oneOf<EndReason>(END_REASONS, row.end_reason, 'end reason'), chargeId: row.charge_id,
    version: asNumber(row.version),
  };
}

/** The columns a session's changes write. */
type SessionColumns = Omit<Selectable<SessionsTable>, 'id' | 'offer_id' | 'merchant_id' | 'subscriber_id' | 'quote_id' | 'tariff_hash' | 'currency' | 'cap_minor' | 'created_at_ms' | 'user_token_hash' | 'lease_owner' | 'lease_expires_at_ms'>;

function sessionColumns(session: Session, atMs: number): SessionColumns {
  const state: SessionStateJson = {
    reservedMinor: session.reservedMinor === null ? null : session.reservedMinor.toString(), holdBilled: session.holdBilled, medium: session.medium,
    intervals: [...session.intervals], runStartedAtMs: session.runStartedAtMs,
  };
  return {
    status: session.status, metering_started_at_ms: session.meteringStartedAtMs, ended_at_ms: session.endedAtMs, end_reason: session.endReason,
    last_user_seen_at_ms: session.lastUserSeenAtMs, last_advisor_seen_at_ms: session.lastAdvisorSeenAtMs, state_json: JSON.stringify(state),
    charge_id: session.chargeId, version: session.version, updated_at_ms: atMs,
  };
}

const lastEventSeq = prepared<{ sessionId: string }, { seq: bigint | number | null }>((db, arg) => db.selectFrom('session_events')
  .select((eb) => eb.fn.max<bigint | number | null>('seq').as('seq')).where('session_id', '=', arg('sessionId')));

/** Appends `events` to the session's, numbered after its last one (`firstSeq` when the caller knows it: a session just inserted starts at 1). */
async function insertEvents(db: Db, sessionId: string, events: readonly SessionEvent[], firstSeq?: number): Promise<void> {
  if (events.length === 0) return;
  if (firstSeq === undefined) {
    const last = await lastEventSeq.first(db, { sessionId });
    firstSeq = last?.seq === null || last?.seq === undefined ? 1 : asNumber(last.seq) + 1;
  }
  await insertRows(db, 'session_events', events.map((event, index) => ({
    session_id: sessionId, seq: firstSeq + index, type: event.type, at_ms: event.atMs, data_json: JSON.stringify(event.data),
  })));
}

/**
 * Inside a transaction: consent, session and first event. A quote is consented to once: the
 * session's `quote_id` is unique, and the insert does nothing on a conflict, so of two consents to
 * one quote at the same moment the second finds the first's session (PostgreSQL waits for the
 * first transaction to commit to decide) and is `quote_used`, never a constraint error.
 */
export async function createSession(db: Db, consent: Consent, session: Session, userTokenHash: string, event: SessionEvent): Promise<Result<void, 'quote_used'>> {
  assert(session.quoteId === consent.quoteId, 'a session and its consent name the same quote');
  const inserted = await insertRows(db, 'sessions', [{
    id: session.id, offer_id: session.offerId, merchant_id: session.merchantId, subscriber_id: session.subscriberId, quote_id: session.quoteId,
    tariff_hash: session.tariffHash, currency: session.currency, cap_minor: session.capMinor, created_at_ms: session.createdAtMs,
    user_token_hash: userTokenHash, lease_owner: null, lease_expires_at_ms: null, ...sessionColumns(session, session.createdAtMs),
  }], { columns: ['quote_id'] });
  if ((inserted.numAffectedRows ?? 0n) === 0n) return err('quote_used');
  await insertRows(db, 'consents', [{
    id: consent.id, quote_id: consent.quoteId, session_id: consent.sessionId, tariff_hash: consent.tariffHash, announcement_text: consent.announcementText,
    announcement_hash: consent.announcementHash, cap_minor: consent.capMinor, currency: consent.currency, channel: consent.channel,
    client_ip: consent.clientIp, user_agent: consent.userAgent, accepted_at_ms: consent.acceptedAtMs,
  }]);
  // The session row was inserted just now, in this transaction: it has no event yet.
  await insertEvents(db, session.id, [event], 1);
  return ok(undefined);
}

const sessionBy = { id: rowBy('sessions', 'id'), user_token_hash: rowBy('sessions', 'user_token_hash') };

export async function getSession(db: Db, column: 'id' | 'user_token_hash', value: string): Promise<Session | null> {
  const row = await sessionBy[column].first(db, { value });
  return row === undefined ? null : sessionFrom(row);
}

export async function sessionBillingCarrierId(db: Db, sessionId: string): Promise<string | null> {
  const row = await db.selectFrom('sessions').innerJoin('subscribers', 'subscribers.id', 'sessions.subscriber_id')
    .select('subscribers.billing_carrier_id').where('sessions.id', '=', sessionId).executeTakeFirst();
  return row?.billing_carrier_id ?? null;
}

export async function getConsentForSession(db: Db, sessionId: string): Promise<Consent | null> {
  const row = await db.selectFrom('consents').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  if (row === undefined) return null;
  assert(isCurrency(row.currency), 'consent currency');
  return {
    id: row.id, quoteId: row.quote_id, sessionId: row.session_id, tariffHash: row.tariff_hash, announcementText: row.announcement_text,
    announcementHash: row.announcement_hash, capMinor: asBigInt(row.cap_minor), currency: row.currency, channel: row.channel,
    clientIp: row.client_ip, userAgent: row.user_agent, acceptedAtMs: asNumber(row.accepted_at_ms),
  };
}

/** A session's changes, written only over the version they were made from (optimistic concurrency). */
const saveIfVersion = prepared<SessionColumns & { id: string; expectedVersion: number }, never>((db, arg) => db.updateTable('sessions').set({
  status: arg('status'), metering_started_at_ms: arg('metering_started_at_ms'), ended_at_ms: arg('ended_at_ms'), end_reason: arg('end_reason'),
  last_user_seen_at_ms: arg('last_user_seen_at_ms'), last_advisor_seen_at_ms: arg('last_advisor_seen_at_ms'), state_json: arg('state_json'),
  charge_id: arg('charge_id'), version: arg('version'), updated_at_ms: arg('updated_at_ms'),
} satisfies Record<keyof SessionColumns, unknown>).where('id', '=', arg('id')).where('version', '=', arg('expectedVersion')));

export async function saveSession(db: Db, session: Session, expectedVersion: number, events: readonly SessionEvent[]): Promise<'saved' | 'conflict'> {
  assert(session.version === expectedVersion + 1, 'a saved session carries the next version');
  const atMs = events[events.length - 1]?.atMs ?? session.lastUserSeenAtMs;
  const result = await saveIfVersion.execute(db, { ...sessionColumns(session, atMs), id: session.id, expectedVersion });
  if ((result.numAffectedRows ?? 0n) === 0n) return 'conflict';
  await insertEvents(db, session.id, events);
  return 'saved';
}

export async function listOpenSessions(db: Db): Promise<Session[]> {
  const rows = await db.selectFrom('sessions').selectAll().where('status', 'in', ['queued', 'active', 'on_hold', 'ended']).orderBy('id').execute();
  return rows.map(sessionFrom);
}

/** Cursors are the last id of a page (ids sort by creation), base64url-encoded to stay opaque. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

export async function listSessions(db: Db, filter: ListSessions): Promise<Page<Session>> {
  let query = db.selectFrom('sessions').selectAll('sessions').orderBy('sessions.id', 'desc').limit(filter.limit + 1);
  if (filter.merchantId !== undefined) query = query.where('sessions.merchant_id', '=', filter.merchantId);
  if (filter.offerId !== undefined) query = query.where('sessions.offer_id', '=', filter.offerId);
  if (filter.status !== undefined) query = query.where('sessions.status', '=', filter.status);
  if (filter.billingCarrierId !== undefined) {
    const carrierId = filter.billingCarrierId;
    query = query.where('sessions.subscriber_id', 'in', (eb) => eb.selectFrom('subscribers').select('id').where('billing_carrier_id', '=', carrierId));
  }
  if (filter.cursor !== undefined) query = query.where('sessions.id', '<', decodeCursor(filter.cursor));
  const rows = await query.execute();
  const items = rows.slice(0, filter.limit).map(sessionFrom);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > filter.limit && last !== undefined ? encodeCursor(last.id) : null };
}

export async function sessionEvents(db: Db, sessionId: string): Promise<(SessionEvent & { seq: number })[]> {
  const rows = await db.selectFrom('session_events').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
  return rows.map((row) => ({
    seq: asNumber(row.seq), type: row.type as SessionEventType, atMs: asNumber(row.at_ms), data: JSON.parse(row.data_json) as SessionEvent['data'],
  }));
}

export async function insertRating(db: Db, rating: SessionRating): Promise<Result<void, 'already_rated'>> {
  const inserted = await db.insertInto('ratings').values({
    session_id: rating.sessionId, stars: rating.stars, comment: rating.comment, created_at_ms: rating.createdAtMs,
  }).onConflict((oc) => oc.column('session_id').doNothing()).executeTakeFirst();
  return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n ? ok(undefined) : err('already_rated');
}

export async function getRating(db: Db, sessionId: string): Promise<SessionRating | null> {
  const row = await db.selectFrom('ratings').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  return row === undefined ? null : { sessionId: row.session_id, stars: asNumber(row.stars), comment: row.comment, createdAtMs: asNumber(row.created_at_ms) };
}

export async function listCharges(db: Db, filter: ListCharges): Promise<Page<Charge>> {
  let query = db.selectFrom('charges').select('id').orderBy('id', 'desc').limit(filter.limit + 1);
  if (filter.merchantId !== undefined) query = query.where('merchant_id', '=', filter.merchantId);
  if (filter.billingCarrierId !== undefined) query = query.where('billing_carrier_id', '=', filter.billingCarrierId);
  if (filter.subscriberId !== undefined) query = query.where('subscriber_id', '=', filter.subscriberId);
  if (filter.cursor !== undefined) query = query.where('id', '<', decodeCursor(filter.cursor));
  const ids = (await query.execute()).map((row) => row.id);
  const items: Charge[] = [];
  for (const id of ids.slice(0, filter.limit)) {
    const charge = await getCharge(db, 'id', id);
    if (charge !== null) items.push(charge);
  }
  const last = items[items.length - 1];
  return { items, nextCursor: ids.length > filter.limit && last !== undefined ? encodeCursor(last.id) : null };
}

export async function insertRefund(db: Db, refund: Refund, journal: Parameters<typeof appendJournal>[1]): Promise<void> {
  await appendJournal(db, journal, { id: refund.journalId, atMs: refund.createdAtMs });
  await db.insertInto('refunds').values({
    id: refund.id, charge_id: refund.chargeId, amount_minor: refund.amountMinor, currency: refund.currency, reason: refund.reason,
    journal_id: refund.journalId, created_by: refund.createdBy, created_at_ms: refund.createdAtMs, split_json: splitToJson(refund.split),
  }).execute();
}

export async function listRefunds(db: Db, chargeId: string): Promise<Refund[]> {
  const rows = await db.selectFrom('refunds').selectAll().where('charge_id', '=', chargeId).orderBy('created_at_ms').orderBy('id').execute();
  return rows.map((row) => {
    assert(isCurrency(row.currency) && row.split_json !== null, 'stored refund');
    return {
      id: row.id, chargeId: row.charge_id, amountMinor: asBigInt(row.amount_minor), currency: row.currency, reason: row.reason,
      journalId: row.journal_id, createdBy: row.created_by, createdAtMs: asNumber(row.created_at_ms),
      split: splitFromJson(row.split_json),
    };
  });
}
