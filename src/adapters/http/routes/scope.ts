/**
 * Every object is looked up within the caller's scope (issue 4): a session, charge, offer or
 * subscriber outside it answers 404 exactly like one that does not exist, so ids leak nothing.
 */
import type { Clock, SessionBroker, Store } from '../../../app/index.ts';
import type { Charge, Offer, Result, Session } from '../../../domain/index.ts';
import type { IssuedTokens, Principal } from '../principal.ts';
import { ProblemError, type ProblemCode } from '../problem.ts';

export interface HttpDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly clock: Clock;
  /** Told of the quote and user tokens the routes hand out (the server's authenticator). */
  readonly tokens?: IssuedTokens;
}

/** The value of a result, or the problem its error code names. */
export function unwrap<T, E extends ProblemCode>(result: Result<T, E>): T {
  if (!result.ok) throw new ProblemError(result.error);
  return result.value;
}

export async function sessionInScope(deps: HttpDeps, principal: Principal, sessionId: string): Promise<Session> {
  // A running session is in memory, and who may see it (its id, its merchant) never changes.
  const session = deps.broker.runningSession(sessionId) ?? await deps.store.getSession(sessionId);
  if (session === null) throw new ProblemError('session_not_found');
  const visible = principal.kind === 'user' ? principal.sessionId === session.id
    : principal.kind === 'merchant' ? principal.merchantId === session.merchantId
      : principal.kind === 'operator' ? (await deps.store.sessionBillingCarrierId(session.id)) === principal.carrierId
        : false;
  if (!visible) throw new ProblemError('session_not_found');
  return session;
}

export async function chargeInScope(deps: HttpDeps, principal: Principal, chargeId: string): Promise<Charge> {
  const charge = await deps.store.getCharge(chargeId);
  if (charge === null) throw new ProblemError('charge_not_found');
  const visible = principal.kind === 'user' ? principal.sessionId === charge.sessionId
    : principal.kind === 'merchant' ? principal.merchantId === charge.merchantId
      : principal.kind === 'operator' ? principal.carrierId === charge.billingCarrierId
        : false;
  if (!visible) throw new ProblemError('charge_not_found');
  return charge;
}

/** Merchants see their own offers; operators see every offer they may bill. */
export async function offerInScope(deps: HttpDeps, principal: Principal, offerId: string): Promise<Offer> {
  const offer = await deps.store.getOffer(offerId);
  if (offer === null || (principal.kind === 'merchant' && offer.merchantId !== principal.merchantId)) throw new ProblemError('offer_not_found');
  return offer;
}

/** Operators act for their own subscribers only; merchants may quote any subscriber. */
export async function subscriberInScope(deps: HttpDeps, principal: Principal, subscriberId: string): Promise<void> {
  const subscriber = await deps.store.getSubscriber(subscriberId);
  if (subscriber === null || (principal.kind === 'operator' && subscriber.billingCarrierId !== principal.carrierId)) {
    throw new ProblemError('subscriber_not_found');
  }
}

