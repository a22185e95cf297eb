/**
 * The storage port: what use cases need from persistence, in domain types only (STYLE.md rule 15).
 * The kysely adapter implements it on SQLite and PostgreSQL.
 */
import type {
  Agreement, ApiKey, Carrier, Charge, Consent, Hold, Journal, JournalDraft, Merchant, Offer, Quote, Refund, Result, Session, SessionEvent,
  SessionRating, SessionStatus, Subscriber, Tariff,
} from '../../domain/index.ts';
import type { BillingStore } from './billing.ts';
import type { SettlementStore } from './settlement.ts';

export interface PartyStore {
  insertCarrier(carrier: Carrier, atMs: number): Promise<void>;
  getCarrier(id: string): Promise<Carrier | null>;
  listCarriers(): Promise<Carrier[]>;
  insertSubscriber(subscriber: Subscriber, atMs: number): Promise<void>;
  getSubscriber(id: string): Promise<Subscriber | null>;
  findSubscriberByMsisdnHmac(msisdnHmac: string): Promise<Subscriber | null>;
  insertMerchant(merchant: Merchant, atMs: number): Promise<void>;
  getMerchant(id: string): Promise<Merchant | null>;
  listMerchants(): Promise<Merchant[]>;
  insertOffer(offer: Offer, atMs: number): Promise<void>;
  getOffer(id: string): Promise<Offer | null>;
  listOffers(filter?: { merchantId?: string }): Promise<Offer[]>;
  insertAgreement(agreement: Agreement, atMs: number): Promise<void>;
  /**
   * Ends an open-ended agreement version at `effectiveToMs` (exclusive): the only change an
   * agreement ever takes. `already_closed` when it has an end already (it is never moved).
   */
  closeAgreement(id: string, effectiveToMs: number): Promise<'closed' | 'already_closed' | 'not_found'>;
  /** Agreements of one kind between two parties, oldest first. */
  listAgreements(filter: { kind: Agreement['kind']; hostingCarrierId?: string; billingCarrierId?: string; merchantId?: string }): Promise<Agreement[]>;
  /** The agreement in force at `atMs` between a billing and a hosting carrier, or null. */
  carrierAgreementAt(billingCarrierId: string, hostingCarrierId: string, atMs: number): Promise<Extract<Agreement, { kind: 'carrier' }> | null>;
  /** The agreement in force at `atMs` between a hosting carrier and a merchant, or null. */
  merchantAgreementAt(hostingCarrierId: string, merchantId: string, atMs: number): Promise<Extract<Agreement, { kind: 'merchant' }> | null>;
  insertApiKey(key: ApiKey, atMs: number): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKey | null>;
}

export interface TariffStore {
  /** Stores a tariff version by its hash; publishing the same version twice is a no-op. */
  publishTariff(tariff: Tariff, atMs: number): Promise<'created' | 'exists'>;
  getTariff(hash: string): Promise<Tariff | null>;
}

export interface LedgerStore {
  /** Appends a balanced journal with its postings and updates the running balances. */
  appendJournal(draft: JournalDraft, identity: { id: string; atMs: number }): Promise<Journal>;
  getJournal(id: string): Promise<Journal | null>;
  /** Journals caused by something, oldest first. */
  journalsFor(causeType: string, causeId: string): Promise<Journal[]>;
  /** Sum of an account's postings in a currency (the running balance). */
  balance(account: string, currency: string): Promise<bigint>;
}

export interface PlaceHold {
  readonly id: string;
  readonly subscriberId: string;
  readonly sessionId: string;
  readonly period: string;
  readonly currency: Hold['currency'];
  /** What to reserve: all of it, or (with `minimumMinor`) as much of it as the budget leaves. */
  readonly amountMinor: bigint;
  /**
   * When given, the hold takes what the monthly budget leaves, up to `amountMinor`, provided that
   * is at least this (else `budget_exceeded`): sized in the transaction that places it, so that
   * two sessions connecting at once get what a sequential pair would.
   */
  readonly minimumMinor?: bigint;
  /** The subscriber's monthly budget: posted + held may never exceed it. */
  readonly monthlyCapMinor: bigint;
  readonly atMs: number;
}

export interface BudgetUsage {
  readonly heldMinor: bigint;
  readonly postedMinor: bigint;
}

export interface HoldStore {
  /** Reserves against the monthly budget, atomically: refused when posted + held + amount > cap. */
  placeHold(hold: PlaceHold): Promise<Result<Hold, 'budget_exceeded'>>;
  getHoldForSession(sessionId: string): Promise<Hold | null>;
  /** Posts a pending hold at the actual amount (≤ the held amount); the rest is released. */
  postHold(sessionId: string, postedMinor: bigint, chargeId: string, atMs: number): Promise<Hold>;
  /** Releases a pending hold entirely. */
  voidHold(sessionId: string, atMs: number): Promise<Hold>;
  budgetUsage(subscriberId: string, period: string): Promise<BudgetUsage>;
}

export interface CloseCharge {
  readonly charge: Charge;
  readonly journal: JournalDraft;
}

export interface ChargeStore {
  /**
   * Writes a charge, its journal and the posting of the session's hold in one transaction.
   * Idempotent by session: a second close returns the first charge and writes nothing.
   */
  closeCharge(close: CloseCharge): Promise<{ charge: Charge; created: boolean }>;
  getCharge(id: string): Promise<Charge | null>;
  getChargeForSession(sessionId: string): Promise<Charge | null>;
  /** Inside a transaction: reads a charge and holds it until commit (refunds are serialised per charge). */
  lockCharge(id: string): Promise<Charge | null>;
}

/** A stored idempotent response. */
export interface IdempotentResponse {
  readonly status: number;
  readonly body: string;
}

export type IdempotencyBegin =
  | { readonly outcome: 'started' }
  | { readonly outcome: 'replay'; readonly response: IdempotentResponse }
  | { readonly outcome: 'mismatch' }
  | { readonly outcome: 'in_progress' };

export interface IdempotencyStore {
  /**
   * Claims (principal, key) for a request with `requestHash` (IETF Idempotency-Key draft): a new
   * key starts; the same key and hash after completion replays; another hash is a mismatch; a key
   * still in flight is in progress.
   */
  beginIdempotent(principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin>;
  completeIdempotent(principal: string, key: string, response: IdempotentResponse, atMs: number): Promise<void>;
  /** Forgets an in-flight claim whose request failed without effect, so it can be retried. */
  abandonIdempotent(principal: string, key: string): Promise<void>;
  /** Removes records completed more than 24 h before `nowMs` and claims dead in progress; returns how many. */
  purgeIdempotent(nowMs: number): Promise<number>;
  /**
   * The earliest instant a record kept now may be purged (a lower bound: its creation plus its
   * retention), or null when there is none — the purge job sleeps until then.
   */
  nextIdempotentPurgeMs(): Promise<number | null>;
}

/** A page of a listing, newest first; `nextCursor` fetches the following page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface ListSessions {
  readonly merchantId?: string;
  readonly billingCarrierId?: string;
  readonly status?: SessionStatus;
  readonly offerId?: string;
  readonly cursor?: string;
  readonly limit: number;
}

export interface ListCharges {
  readonly merchantId?: string;
  readonly billingCarrierId?: string;
  readonly subscriberId?: string;
  readonly cursor?: string;
  readonly limit: number;
}

export interface SessionStore {
  insertQuote(quote: Quote): Promise<void>;
  getQuote(id: string): Promise<Quote | null>;
  findQuoteByTokenHash(tokenHash: string): Promise<Quote | null>;
  /**
   * Creates a session from a consent: the consent record, the session and its first event, in
   * one transaction. Returns `quote_used` when the quote already has a consent.
   */
  createSession(consent: Consent, session: Session, userTokenHash: string, event: SessionEvent): Promise<Result<void, 'quote_used'>>;
  getSession(id: string): Promise<Session | null>;
  findSessionByUserTokenHash(tokenHash: string): Promise<Session | null>;
  /** The billing carrier of a session's subscriber (for operator scope checks). */
  sessionBillingCarrierId(sessionId: string): Promise<string | null>;
  getConsentForSession(sessionId: string): Promise<Consent | null>;
  /**
   * Stores a new state of a session if nobody changed it since `expectedVersion`, with its events.
   * Returns `conflict` otherwise (the caller reloads and retries).
   */
  saveSession(session: Session, expectedVersion: number, events: readonly SessionEvent[]): Promise<'saved' | 'conflict'>;
  /** Sessions not yet rated (queued, active, on hold, ended): what a restart must take over. */
  listOpenSessions(): Promise<Session[]>;
  listSessions(filter: ListSessions): Promise<Page<Session>>;
  sessionEvents(sessionId: string): Promise<(SessionEvent & { readonly seq: number })[]>;
  /** Stores a rating; `already_rated` when the session has one. */
  insertRating(rating: SessionRating): Promise<Result<void, 'already_rated'>>;
  getRating(sessionId: string): Promise<SessionRating | null>;
  listCharges(filter: ListCharges): Promise<Page<Charge>>;
  /** Writes a refund and its journal in one transaction. */
  insertRefund(refund: Refund, journal: JournalDraft): Promise<void>;
  listRefunds(chargeId: string): Promise<Refund[]>;
}

export interface Store extends PartyStore, TariffStore, LedgerStore, HoldStore, ChargeStore, IdempotencyStore, SessionStore, SettlementStore, BillingStore {
  /**
   * Runs `work` in one transaction (serialised per subscriber budget and per session on both
   * databases). Nested calls join the outer transaction. Rolled back if `work` throws.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
}
