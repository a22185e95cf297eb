/**
 * The storage port: what use cases need from persistence, in domain types only (STYLE.md rule 15).
 * The kysely adapter implements it on SQLite and PostgreSQL.
 */
import type {
  Agreement, ApiKey, Carrier, Charge, Hold, Journal, JournalDraft, Merchant, Offer, Result, Subscriber, Tariff,
} from '../../domain/index.ts';

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
  readonly amountMinor: bigint;
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
  /** Removes completed records older than the retention (at least 24 h before `nowMs`); returns how many. */
  purgeIdempotent(nowMs: number): Promise<number>;
}

export interface Store extends PartyStore, TariffStore, LedgerStore, HoldStore, ChargeStore, IdempotencyStore {
  /**
   * Runs `work` in one transaction (serialised per subscriber budget and per session on both
   * databases). Nested calls join the outer transaction. Rolled back if `work` throws.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
}
