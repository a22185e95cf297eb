/**
 * The demo merchant's backend (DESIGN.md §1, step 1). A real merchant site keeps its API key on
 * its server, decides who the visitor is, and asks Palier whether to show the assistance button
 * and for a quote; the widget in the page then consents by itself with the quote token. In the
 * demo that backend lives in Palier's own process, under /demo/api, and calls the broker directly
 * for any demo merchant, so no key reaches the browser. It is mounted only when the server runs
 * with `demo: true` (npm start, unless PALIER_DEMO=0): it quotes without credentials.
 *
 * Inputs are validated with zod and refused with problem+json exactly like the API's.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { SessionBroker, Store } from '../app/index.ts';
import { LOCALES, zodViolations } from '../domain/index.ts';
import { REQUEST_BODY_BYTES_MAX, RATE_LIMIT_ANONYMOUS_BURST, RATE_LIMIT_ANONYMOUS_PER_S } from '../adapters/http/limits.ts';
import { ProblemError } from '../adapters/http/problem.ts';
import { RateLimiter } from '../adapters/http/rate-limit.ts';
import { unwrap } from '../adapters/http/routes/scope.ts';
import { eligibilityView, quoteView } from '../adapters/http/schemas/views.ts';

export interface DemoRouterDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly nowMs: () => number;
}

const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an id of letters, digits, _ and -' });

/** GET /demo/api/eligibility?offer=…&subscriber=… */
export const demoEligibilityQuery = z.strictObject({ offer: id, subscriber: id });

/** POST /demo/api/quotes {offer, subscriber, locale} */
export const demoQuoteRequest = z.strictObject({ offer: id, subscriber: id, locale: z.enum(LOCALES).default('fr-FR') });

/** The demo API's paths and their methods, for 405 answers (express answers HEAD for GET). */
const DEMO_API_METHODS: ReadonlyMap<string, string> = new Map([['/offers', 'GET, HEAD'], ['/eligibility', 'GET, HEAD'], ['/quotes', 'POST']]);

function parse<T extends z.ZodType>(schema: T, value: unknown, prefix: 'query' | 'body'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ProblemError('validation_failed', {
    errors: zodViolations(parsed.error, value).map((v) => ({ ...v, field: v.field === '(root)' ? prefix : `${prefix}.${v.field}` })),
  });
}

/** Anonymous callers are rate limited per address, like the API's unauthenticated requests. */
function rateLimit(nowMs: () => number) {
  const limiter = new RateLimiter();
  return (req: Request, _res: Response, next: NextFunction): void => {
    const waitS = limiter.take(`demo:${req.ip ?? '?'}`, { perSecond: RATE_LIMIT_ANONYMOUS_PER_S, burst: RATE_LIMIT_ANONYMOUS_BURST }, nowMs());
    next(waitS > 0 ? new ProblemError('rate_limited', { retryAfterS: waitS }) : undefined);
  };
}

/** As the API does: a POST body that is not JSON is 415, not a schema error about a missing body. */
function jsonOnly(req: Request, _res: Response, next: NextFunction): void {
  const declared = req.headers['content-type'] !== undefined && req.headers['content-length'] !== '0';
  next(req.method === 'POST' && declared && !req.is('application/json')
    ? new ProblemError('unsupported_media_type', { detail: 'Send JSON: Content-Type: application/json' }) : undefined);
}

/**
 * The demo merchant backend, to mount at /demo/api. Errors go to the application's problem+json
 * handler through `next`.
 *
 * @example app.use('/demo/api', demoRouter({ broker, store, nowMs: () => clock.nowMs() }))
 */
export function demoRouter(deps: DemoRouterDeps): express.Router {
  const router = express.Router();
  router.use(rateLimit(deps.nowMs));
  router.use(jsonOnly);
  router.use(express.json({ limit: REQUEST_BODY_BYTES_MAX, strict: true }));
  router.get('/offers', async (_req, res) => {
    const [offers, merchants] = await Promise.all([deps.store.listOffers(), deps.store.listMerchants()]);
    const names = new Map(merchants.map((merchant) => [merchant.id, merchant.name]));
    res.json({
      items: offers.filter((offer) => offer.status === 'active').map((offer) => ({
        id: offer.id, name: offer.name, merchantId: offer.merchantId, merchantName: names.get(offer.merchantId) ?? offer.merchantId,
        mediaAllowed: [...offer.mediaAllowed], defaultCap: offer.defaultCap.toString(), currency: offer.defaultCap.currency,
      })),
    });
  });
  router.get('/eligibility', async (req, res) => {
    const query = parse(demoEligibilityQuery, { ...(req.query as Record<string, unknown>) }, 'query');
    res.json(eligibilityView(await deps.broker.eligibility(query.offer, query.subscriber)));
  });
  router.post('/quotes', async (req, res) => {
    const body = parse(demoQuoteRequest, req.body, 'body');
    const quote = unwrap(await deps.broker.quote({ offerId: body.offer, subscriberId: body.subscriber, locale: body.locale }));
    res.status(201).json(quoteView(quote));
  });
  router.use((req, res, next) => {
    const allow = DEMO_API_METHODS.get(req.path);
    if (allow !== undefined) res.setHeader('Allow', allow);
    next(new ProblemError(allow === undefined ? 'route_not_found' : 'method_not_allowed'));
  });
  return router;
}
