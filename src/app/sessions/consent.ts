/**
 * Consent (DESIGN.md §1, step 2): the user accepts a quote with the announcement hash they were
 * shown and the cap they chose. The consent is stored as evidence with the session it creates,
 * in one transaction; nothing is metered until the advisor connects.
 */
import {
  type Consent, err, type Money, ok, type Quote, type Result, type Session, sha256Hex,
} from '../../domain/index.ts';
import type { IdGenerator, Secrets, Store } from '../ports/index.ts';
import type { ConsentError, NotFound } from './broker-errors.ts';
import { firstBillableStep } from './quote-offer.ts';

export interface ConsentInput {
  readonly quoteId: string;
  /** The quote, when the caller has just read it (a quote never changes once issued): not read again. */
  readonly quote?: Quote;
  /** The hash of the announcement text the user was shown. */
  readonly announcementHash: string;
  readonly cap: Money;
  readonly channel: string;
  readonly clientIp: string;
  readonly userAgent: string;
}

interface ConsentDeps {
  readonly store: Store;
  readonly ids: IdGenerator;
  readonly secrets: Secrets;
}

/**
 * Checks, in order: the quote exists, has not expired, the hash matches, the cap fits; then
 * records, and the record itself refuses a quote already consented to (`quote_used`).
 */
export async function consentToQuote(deps: ConsentDeps, input: ConsentInput, nowMs: number): Promise<Result<{ session: Session; userToken: string }, NotFound | ConsentError>> {
  const quote = input.quote?.id === input.quoteId ? input.quote : await deps.store.getQuote(input.quoteId);
  if (quote === null) return err('quote_not_found');
  if (nowMs >= quote.expiresAtMs) return err('quote_expired');
  if (input.announcementHash !== quote.announcementHash) return err('announcement_mismatch');
  const [offer, tariff] = await Promise.all([deps.store.getOffer(quote.offerId), deps.store.getTariff(quote.tariffHash)]);
  if (offer === null || tariff === null) return err('quote_not_found');
  if (input.cap.currency !== quote.currency || input.cap.toMinorUnits() > quote.capAllowedMinor) return err('cap_above_allowed');
  // A zero cap buys nothing even when the first step is free (a tariff priced 0.00): connect could reserve nothing.
  if (input.cap.isZero() || input.cap.compare(firstBillableStep(tariff, nowMs)) < 0) return err('cap_below_first_step');
  const sessionId = deps.ids.newId('ses');
  const userToken = deps.secrets.newToken('ust');
  const session: Session = {
    id: sessionId, offerId: offer.id, merchantId: offer.merchantId, subscriberId: quote.subscriberId, quoteId: quote.id, tariffHash: tariff.hash,
    currency: tariff.currency, capMinor: input.cap.toMinorUnits(), reservedMinor: null, holdBilled: tariff.holdBilled || offer.holdBilled,
    status: 'queued', medium: (offer.mediaAllowed[0] ?? 'voice'), createdAtMs: nowMs, meteringStartedAtMs: null, intervals: [],
    runStartedAtMs: null, lastUserSeenAtMs: nowMs, lastAdvisorSeenAtMs: null, endedAtMs: null, endReason: null, chargeId: null, version: 1,
  };
  const consent: Consent = {
    id: deps.ids.newId('con'), quoteId: quote.id, sessionId, tariffHash: tariff.hash, announcementText: quote.announcementText,
    announcementHash: quote.announcementHash, capMinor: session.capMinor, currency: tariff.currency, channel: input.channel,
    clientIp: input.clientIp, userAgent: input.userAgent, acceptedAtMs: nowMs,
  };
  const created = await deps.store.createSession(consent, session, sha256Hex(userToken), {
    type: 'consented', atMs: nowMs, data: { quoteId: quote.id, capMinor: session.capMinor.toString(), announcementHash: quote.announcementHash },
  });
  if (!created.ok) return err(created.error);
  return ok({ session, userToken });
}

