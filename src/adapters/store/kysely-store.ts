/**
 * The Store port over kysely, on SQLite or PostgreSQL with the same code. Each method is a thin
 * door onto the query module of its area; this class owns transactions.
 *
 * Transactions go through the group commit (group-commit.ts): those that arrive while one runs
 * are committed together. SQLite opens them with `BEGIN IMMEDIATE` on its single connection (the
 * write lock is taken at the start, so two writers never interleave a read and a write);
 * PostgreSQL with `BEGIN` at READ COMMITTED, with row locks where a read decides a write (budget
 * holds), which also keeps writers of other processes on the same database in order.
 */
import type { Kysely } from 'kysely';
import type {
  Agreement, ApiKey, Carrier, Consent, Journal, JournalDraft, Merchant, Offer, Quote, Refund, Session, SessionEvent, SessionRating, Subscriber, Tariff,
} from '../../domain/index.ts';
import type {
  CloseCharge, CloseDecision, IdempotentResponse, ListCharges, ListSessions, PayoutSource, PlaceHold, SettlementData, SettlementScope, Store,
} from '../../app/ports/index.ts';
import * as billing from './billing-queries.ts';
import * as charges from './charge-queries.ts';
import type { DialectName } from './database.ts';
import * as holds from './hold-queries.ts';
import * as idempotency from './idempotency-queries.ts';
import { GroupCommit } from './group-commit.ts';
import { type ReferenceCache, referenceCacheOf } from './reference-cache.ts';
import * as ledger from './ledger-queries.ts';
import * as parties from './party-queries.ts';
import * as sessions from './session-queries.ts';
import * as settlement from './settlement-store.ts';
import type { Database } from './tables.ts';

/** One commit queue per database handle, shared by every store opened on it. */
const groupCommits = new WeakMap<Kysely<Database>, GroupCommit>();

/**
 * The idempotency claims in flight of each SQLite handle (idempotency-queries.ts); PostgreSQL keeps
 * them in the database. Keyed by the handle a request's store is opened on: requests claim and
 * complete their keys outside any transaction (bind-route.ts), never on a transaction's connection.
 */
const inProcessClaims = new WeakMap<Kysely<Database>, idempotency.InProcessClaims>();

function inProcessClaimsOf(db: Kysely<Database>): idempotency.InProcessClaims {
  let found = inProcessClaims.get(db);
  if (found === undefined) {
    found = new idempotency.InProcessClaims(groupCommitOf(db, 'sqlite'));
    inProcessClaims.set(db, found);
  }
  return found;
}

function groupCommitOf(db: Kysely<Database>, dialect: DialectName): GroupCommit {
  let found = groupCommits.get(db);
  if (found === undefined) {
    found = new GroupCommit(db, dialect === 'sqlite' ? 'begin immediate' : 'begin');
    groupCommits.set(db, found);
  }
  return found;
}

export class KyselyStore implements Store {
  /** The reference cache of this handle (SQLite), shared with the stores of its transactions so that their writes clear it. */
  private readonly references: ReferenceCache | null;
  /** In a transaction's store: set when it wrote reference rows, so that the cache is cleared again after the COMMIT. */
  private referencesWritten = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly inTransaction = false,
    /** The SQLite file, so that heavy reads (settlement) run on a worker thread's own connection. */
    private readonly sqlitePath: string | null = null,
    references?: ReferenceCache | null,
  ) {
    this.references = references === undefined ? referenceCacheOf(db) : references;
  }

  transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.runInTransaction((store) => work(store));
  }

  private async runInTransaction<T>(work: (store: KyselyStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    const stores: KyselyStore[] = [];
    try {
      return await groupCommitOf(this.db, this.dialect).run((connection) => {
        const store = new KyselyStore(connection, this.dialect, true, this.sqlitePath, this.references);
        stores.push(store);
        return work(store);
      });
    } finally {
      if (stores.some((store) => store.referencesWritten)) this.references?.clear();
    }
  }

  /** A reference row by key: from the cache (on SQLite), else read; a transaction's reads are not kept. */
  private reference<T extends object>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    if (this.references === null) return load();
    return this.inTransaction ? this.references.peek(key, load) : this.references.get(key, load);
  }

  /** A write of reference rows: the cache forgets what it holds, before, after, and after the COMMIT. */
  private writeReferences<T>(write: () => Promise<T>): Promise<T> {
    this.referencesWritten = true;
    return this.references === null ? write() : this.references.writing(write);
  }

  insertCarrier(carrier: Carrier, atMs: number) { return this.writeReferences(() => this.write((db) => parties.insertCarrier(db, carrier, atMs))); }
  getCarrier(id: string) { return this.reference(`carrier ${id}`, async () => (await parties.listCarriers(this.db, id))[0] ?? null); }
  listCarriers() { return parties.listCarriers(this.db); }
  insertSubscriber(subscriber: Subscriber, atMs: number) { return this.writeReferences(() => parties.insertSubscriber(this.db, subscriber, atMs)); }
  getSubscriber(id: string) { return this.reference(`subscriber ${id}`, () => parties.findSubscriber(this.db, 'id', id)); }
  findSubscriberByMsisdnHmac(msisdnHmac: string) { return parties.findSubscriber(this.db, 'msisdn_hmac', msisdnHmac); }
  insertMerchant(merchant: Merchant, atMs: number) { return this.writeReferences(() => parties.insertMerchant(this.db, merchant, atMs)); }
  getMerchant(id: string) { return this.reference(`merchant ${id}`, async () => (await parties.listMerchants(this.db, id))[0] ?? null); }
  listMerchants() { return parties.listMerchants(this.db); }
  insertOffer(offer: Offer, atMs: number) { return this.writeReferences(() => parties.insertOffer(this.db, offer, atMs)); }
  getOffer(id: string) { return this.reference(`offer ${id}`, async () => (await parties.listOffers(this.db, { id }))[0] ?? null); }
  listOffers(filter: { merchantId?: string } = {}) { return parties.listOffers(this.db, filter); }
  insertAgreement(agreement: Agreement, atMs: number) { return this.writeReferences(() => parties.insertAgreement(this.db, agreement, atMs)); }
  closeAgreement(id: string, effectiveToMs: number) { return this.writeReferences(() => this.write((db) => parties.closeAgreement(db, id, effectiveToMs))); }
  listAgreements(filter: Parameters<Store['listAgreements']>[0]) { return parties.listAgreements(this.db, filter); }
  async carrierAgreementAt(billingCarrierId: string, hostingCarrierId: string, atMs: number) {
    const agreement = await this.agreementAt('carrier', hostingCarrierId, billingCarrierId, atMs);
    return agreement?.kind === 'carrier' ? agreement : null;
  }
  async merchantAgreementAt(hostingCarrierId: string, merchantId: string, atMs: number) {
    const agreement = await this.agreementAt('merchant', hostingCarrierId, merchantId, atMs);
    return agreement?.kind === 'merchant' ? agreement : null;
  }
  /** The version in force at `atMs` (the latest to start, if several overlap) among every version between the two parties. */
  private async agreementAt(kind: Agreement['kind'], hostingCarrierId: string, party: string, atMs: number): Promise<Agreement | null> {
    const versions = await this.reference(`agreements ${kind} ${hostingCarrierId} ${party}`, () => parties.agreementVersions(this.db, kind, hostingCarrierId, party));
    return parties.inForceAt(versions ?? [], atMs).at(-1) ?? null;
  }
  insertApiKey(key: ApiKey, atMs: number) { return parties.insertApiKey(this.db, key, atMs); }
  findApiKeyByHash(keyHash: string) { return parties.findApiKeyByHash(this.db, keyHash); }

  publishTariff(tariff: Tariff, atMs: number) { return this.writeReferences(() => this.write((db) => parties.publishTariff(db, tariff, atMs))); }
  getTariff(hash: string) { return this.reference(`tariff ${hash}`, () => parties.getTariff(this.db, hash)); }

  appendJournal(draft: JournalDraft, identity: { id: string; atMs: number }): Promise<Journal> {
    return this.write((db) => ledger.appendJournal(db, draft, identity));
  }
  getJournal(id: string) { return ledger.getJournal(this.db, id); }
  journalsFor(causeType: string, causeId: string) { return ledger.journalsFor(this.db, causeType, causeId); }
  balance(account: string, currency: string) { return ledger.balance(this.db, account, currency); }

  placeHold(hold: PlaceHold) { return this.write((db) => holds.placeHold(db, this.dialect, hold)); }
  getHoldForSession(sessionId: string) { return holds.getHoldForSession(this.db, sessionId); }
  postHold(sessionId: string, postedMinor: bigint, chargeId: string, atMs: number) {
    return this.write((db) => holds.resolveHold(db, sessionId, { status: 'posted', postedMinor, chargeId, atMs }));
  }
  voidHold(sessionId: string, atMs: number) {
    return this.write((db) => holds.resolveHold(db, sessionId, { status: 'voided', postedMinor: null, chargeId: null, atMs }));
  }
  budgetUsage(subscriberId: string, period: string) { return holds.budgetUsage(this.db, subscriberId, period); }

  closeCharge(close: CloseCharge) { return this.write((db) => charges.closeCharge(db, this.dialect, close)); }
  getCharge(id: string) { return charges.getCharge(this.db, 'id', id); }
  getChargeForSession(sessionId: string) { return charges.getCharge(this.db, 'session_id', sessionId); }
  lockCharge(id: string) { return charges.lockCharge(this.db, this.dialect, id); }

  beginIdempotent(principal: string, key: string, requestHash: string, atMs: number) {
    if (this.dialect === 'sqlite') return inProcessClaimsOf(this.db).begin(this.db, principal, key, requestHash, atMs);
    return idempotency.beginIdempotent(this.db, principal, key, requestHash, atMs);
  }
  completeIdempotent(principal: string, key: string, response: IdempotentResponse, atMs: number) {
    if (this.dialect === 'sqlite') return inProcessClaimsOf(this.db).complete(principal, key, response, atMs);
    return idempotency.completeIdempotent(this.db, principal, key, response, atMs);
  }
  async abandonIdempotent(principal: string, key: string) {
    if (this.dialect === 'sqlite') inProcessClaimsOf(this.db).abandon(principal, key);
    else await idempotency.abandonIdempotent(this.db, principal, key);
  }
  async purgeIdempotent(nowMs: number) {
    const claims = this.dialect === 'sqlite' ? inProcessClaimsOf(this.db).purge(nowMs) : 0;
    return claims + await idempotency.purgeIdempotent(this.db, nowMs);
  }
  nextIdempotentPurgeMs() { return idempotency.nextIdempotentPurgeMs(this.db); }

  /** Through the group commit: the quote shares the next batch's COMMIT instead of one of its own. */
  insertQuote(quote: Quote) { return this.write((db) => sessions.insertQuote(db, quote)); }
  getQuote(id: string) { return sessions.getQuote(this.db, 'id', id); }
  findQuoteByTokenHash(tokenHash: string) { return sessions.getQuote(this.db, 'token_hash', tokenHash); }
  createSession(consent: Consent, session: Session, userTokenHash: string, event: SessionEvent) {
    return this.write((db) => sessions.createSession(db, consent, session, userTokenHash, event));
  }
  getSession(id: string) { return sessions.getSession(this.db, 'id', id); }
  findSessionByUserTokenHash(tokenHash: string) { return sessions.getSession(this.db, 'user_token_hash', tokenHash); }
  sessionBillingCarrierId(sessionId: string) { return sessions.sessionBillingCarrierId(this.db, sessionId); }
  getConsentForSession(sessionId: string) { return sessions.getConsentForSession(this.db, sessionId); }
  saveSession(session: Session, expectedVersion: number, events: readonly SessionEvent[]) {
    return this.write((db) => sessions.saveSession(db, session, expectedVersion, events));
  }
  listOpenSessions() { return sessions.listOpenSessions(this.db); }
  listSessions(filter: ListSessions) { return sessions.listSessions(this.db, filter); }
  sessionEvents(sessionId: string) { return sessions.sessionEvents(this.db, sessionId); }
  insertRating(rating: SessionRating) { return sessions.insertRating(this.db, rating); }
  getRating(sessionId: string) { return sessions.getRating(this.db, sessionId); }
  listCharges(filter: ListCharges) { return sessions.listCharges(this.db, filter); }
  insertRefund(refund: Refund, journal: JournalDraft) { return this.write((db) => sessions.insertRefund(db, refund, journal)); }
  listRefunds(chargeId: string) { return sessions.listRefunds(this.db, chargeId); }

  earliestChargeAtMs() { return settlement.earliestChargeAtMs(this.db); }
  settlementData(scopes: readonly SettlementScope[]) { return settlement.settlementData(this.db, this.dialect, this.inTransaction ? null : this.sqlitePath, scopes); }
  closeSettlement<R>(period: string, scopes: readonly SettlementScope[], decide: (data: SettlementData) => CloseDecision<R> | Promise<CloseDecision<R>>) {
    const input = { period, scopes, decide };
    // Inside a transaction, or on SQLite without a file (no worker can open it): on this connection, in one transaction.
    if (this.inTransaction || (this.dialect === 'sqlite' && this.sqlitePath === null)) return this.write((db) => settlement.closeSettlementIn(db, this.dialect, input));
    return settlement.closeSettlement(this.db, this.dialect, this.sqlitePath, input);
  }
  getSettlementRun(by: { period: string } | { id: string }) { return settlement.getSettlementRun(this.db, by); }
  getStatement(id: string) { return settlement.getStatement(this.db, id); }
  listSettlementRuns() { return settlement.listSettlementRuns(this.db); }

  eachStatementCharge(statementId: string, onBatch: Parameters<Store['eachStatementCharge']>[1]) {
    const mode: billing.StreamMode = this.inTransaction ? { kind: 'pages' }
      : this.dialect === 'postgres' ? { kind: 'cursor' } : this.sqlitePath === null ? { kind: 'pages' } : { kind: 'worker', path: this.sqlitePath };
    return billing.eachStatementCharge(this.db, mode, statementId, onBatch);
  }
  subscriberBillItems(subscriberId: string, startMs: number, endMs: number) { return billing.subscriberBillItems(this.db, subscriberId, startMs, endMs); }
  payoutByOffer(source: PayoutSource) { return billing.payoutByOffer(this.db, this.dialect, source); }

  /** Runs a multi-statement write in a transaction (joining the current one, if any). */
  private write<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.runInTransaction((store) => work(store.db));
  }
}
