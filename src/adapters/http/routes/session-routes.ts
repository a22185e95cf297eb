/** Quotes, consent and the session lifecycle: the routes a merchant site, its advisors and the user's widget call. */
import { type SessionView } from '../../../app/index.ts';
import { type EndReason, Money, type Session } from '../../../domain/index.ts';
import { ProblemError } from '../problem.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  consentRequest, emptyBody, listSessionsQuery, mediaRequest, quoteRequest, ratingRequest, sessionIdParams,
} from '../schemas/requests.ts';
import { pageJson, quoteJson, quoteView, ratingJson, ratingView, sessionJson, sessionView } from '../schemas/views.ts';
import { type HttpDeps, offerInScope, sessionInScope, subscriberInScope, unwrap } from './scope.ts';
import { PAGE_SIZE_DEFAULT } from '../../../app/index.ts';

async function viewOf(deps: HttpDeps, sessionId: string, closed?: Session): Promise<SessionView> {
  const view = await deps.broker.view(sessionId, closed);
  if (view === null) throw new ProblemError('session_not_found');
  return view;
}

function lifecycleRoute(deps: HttpDeps, action: 'connect' | 'hold' | 'resume', summary: string): Route {
  return defineRoute({
    method: 'post', path: `/v1/sessions/{id}/${action}`, operationId: `${action}Session`, tag: 'Sessions', summary,
    principals: ['merchant'], params: sessionIdParams, body: emptyBody,
    responses: { 200: { description: 'The session after the change', schema: sessionJson } },
    handle: async ({ principal, params }) => {
      await sessionInScope(deps, principal, params.id);
      unwrap(await deps.broker[action](params.id));
      return { status: 200, body: sessionView(await viewOf(deps, params.id)) };
    },
  });
}

export function sessionRoutes(deps: HttpDeps): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/quotes', operationId: 'createQuote', tag: 'Sessions',
      summary: 'Quote an offer for a subscriber: the price announcement, the largest cap allowed, its hash',
      description: 'Refused with a problem naming the reason when the subscriber is not eligible (barred, no agreement between the carriers, budget too low).',
      principals: ['merchant', 'operator'], body: quoteRequest,
      responses: { 201: { description: 'The quote, with the bearer token the user consents with', schema: quoteJson } },
      handle: async ({ principal, body }) => {
        await offerInScope(deps, principal, body.offerId);
        await subscriberInScope(deps, principal, body.subscriberId);
        const quoted = unwrap(await deps.broker.quote(body));
        deps.tokens?.quoteIssued(quoted.quoteToken, quoted.quote.id);
        return { status: 201, body: quoteView(quoted) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/sessions', operationId: 'consent', tag: 'Sessions',
      summary: 'Consent to a quote: creates a queued session (waiting is free) and returns the user\'s session token',
      description: 'Called by the user\'s widget with the quote token, or by the merchant. Requires `accepted: true`, the announcement hash the user saw and a cap up to the quote\'s capAllowed.',
      principals: ['quote', 'merchant'], body: consentRequest,
      responses: { 201: { description: 'The session and the user token scoped to it', schema: sessionJson.extend({ userToken: quoteJson.shape.quoteToken }) } },
      handle: async ({ principal, body, clientIp, userAgent }) => {
        const quote = await deps.store.getQuote(body.quoteId);
        const allowed = quote !== null && (principal.kind === 'quote' ? quote.tokenHash === principal.tokenHash
          : principal.kind === 'merchant' && (await deps.store.getOffer(quote.offerId))?.merchantId === principal.merchantId);
        if (quote === null || !allowed) throw new ProblemError('quote_not_found');
        const consented = unwrap(await deps.broker.consent({
          quoteId: quote.id, quote, announcementHash: body.announcementHash, cap: Money.of(body.cap, quote.currency), channel: body.channel, clientIp, userAgent,
        }));
        deps.tokens?.sessionIssued(consented.userToken, consented.session.id);
        return { status: 201, body: { ...sessionView(await viewOf(deps, consented.session.id)), userToken: consented.userToken } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/sessions/{id}', operationId: 'getSession', tag: 'Sessions',
      summary: 'A session with its metered time and the amount so far (the price rate() gives for it now)',
      principals: ['user', 'merchant', 'operator'], params: sessionIdParams,
      responses: { 200: { description: 'The session', schema: sessionJson } },
      handle: async ({ principal, params }) => {
        await sessionInScope(deps, principal, params.id);
        return { status: 200, body: sessionView(await viewOf(deps, params.id)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/sessions', operationId: 'listSessions', tag: 'Sessions',
      summary: 'Sessions of the merchant (or of the operator\'s subscribers), newest first, with cursor pagination',
      principals: ['merchant', 'operator'], query: listSessionsQuery,
      responses: { 200: { description: 'A page of sessions', schema: pageJson(sessionJson, 'SessionPage') } },
      handle: async ({ principal, query }) => {
        const page = await deps.store.listSessions({
          ...(principal.kind === 'merchant' ? { merchantId: principal.merchantId } : {}),
          ...(principal.kind === 'operator' ? { billingCarrierId: principal.carrierId } : {}),
          ...(query.status === undefined ? {} : { status: query.status }), ...(query.offerId === undefined ? {} : { offerId: query.offerId }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }), limit: query.limit ?? PAGE_SIZE_DEFAULT,
        });
        const items = await Promise.all(page.items.map(async (session) => sessionView(await viewOf(deps, session.id))));
        return { status: 200, body: { items, nextCursor: page.nextCursor } };
      },
    }),
    lifecycleRoute(deps, 'connect', 'The advisor takes the request: the cap is reserved and metering starts'),
    lifecycleRoute(deps, 'hold', 'The advisor puts the user on hold (metered only if the offer bills hold time)'),
    lifecycleRoute(deps, 'resume', 'Back from hold: metering runs again'),
    ...sessionSideRoutes(deps),
  ];
}

function sessionSideRoutes(deps: HttpDeps): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/sessions/{id}/media', operationId: 'changeMedium', tag: 'Sessions',
      summary: 'Switch medium (voice, chat, video, co-browsing): recorded as an event', principals: ['merchant', 'user'],
      params: sessionIdParams, body: mediaRequest, responses: { 200: { description: 'The session', schema: sessionJson } },
      handle: async ({ principal, params, body }) => {
        await sessionInScope(deps, principal, params.id);
        unwrap(await deps.broker.changeMedium(params.id, body.medium));
        return { status: 200, body: sessionView(await viewOf(deps, params.id)) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/sessions/{id}/heartbeat', operationId: 'heartbeat', tag: 'Sessions',
      summary: 'Proof of presence: the user\'s widget (user token) or the advisor side (merchant key)',
      description: 'Idempotent by nature: no Idempotency-Key needed. Without proof of life from both sides for the grace period the session ends, billed up to the last proof.',
      principals: ['user', 'merchant'], params: sessionIdParams, body: emptyBody, idempotencyKey: 'none',
      responses: { 200: { description: 'The session', schema: sessionJson } },
      handle: async ({ principal, params }) => {
        await sessionInScope(deps, principal, params.id);
        unwrap(await deps.broker.heartbeat(params.id, principal.kind === 'user' ? 'user' : 'advisor'));
        return { status: 200, body: sessionView(await viewOf(deps, params.id)) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/sessions/{id}/end', operationId: 'endSession', tag: 'Sessions',
      summary: 'End the session now (user, advisor or operator) and rate it; returns the final state with its charge',
      description: 'Ending a session that has already ended is a no-op: 200 with the session as it is (same status, end reason, amount and charge), nothing written.',
      principals: ['user', 'merchant', 'operator'], params: sessionIdParams, body: emptyBody,
      responses: { 200: { description: 'The rated session', schema: sessionJson } },
      handle: async ({ principal, params }) => {
        await sessionInScope(deps, principal, params.id);
        const reason: EndReason = principal.kind === 'user' ? 'user' : principal.kind === 'merchant' ? 'advisor' : 'operator';
        const ended = unwrap(await deps.broker.end(params.id, reason));
        return { status: 200, body: sessionView(await viewOf(deps, params.id, ended)) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/sessions/{id}/rating', operationId: 'rateSession', tag: 'Sessions',
      summary: 'The user rates an ended session, once (1–5 stars and a comment)', principals: ['user'],
      params: sessionIdParams, body: ratingRequest, responses: { 201: { description: 'The rating', schema: ratingJson } },
      handle: async ({ principal, params, body }) => {
        await sessionInScope(deps, principal, params.id);
        return { status: 201, body: ratingView(unwrap(await deps.broker.rateSession(params.id, body.stars, body.comment))) };
      },
    }),
  ];
}

