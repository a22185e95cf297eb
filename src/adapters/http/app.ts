/**
 * The express application: request ids, logs, security headers, body limits, the /v1 routes,
 * operations endpoints (/livez, /readyz, /metrics), /openapi.json and the API docs page, and one
 * error handler that answers problem+json for everything, never a stack trace.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { SessionBroker, Store } from '../../app/index.ts';
import type { Clock } from '../../app/ports/index.ts';
import { bindRoute, requestIdOf, requestState } from './bind-route.ts';
import { REQUEST_BODY_BYTES_MAX } from './limits.ts';
import type { Metrics } from './metrics.ts';
import { apiDocsPage, openApiDocument } from './openapi.ts';
import { Authenticator, principalName } from './principal.ts';
import { problem, ProblemError, statusOf } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';
import type { Route } from './route.ts';
import { moneyRoutes } from './routes/money-routes.ts';
import { sessionRoutes } from './routes/session-routes.ts';

export interface AppDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Whether the server is ready for traffic (false while starting or draining). */
  readonly ready: () => boolean;
  /** Extra routers mounted before the API (the web pages, issue 5). */
  readonly extra?: (app: express.Express) => void;
}

/** Every route of the API, in documentation order. */
export function apiRoutes(deps: Pick<AppDeps, 'broker' | 'store' | 'clock'>): Route[] {
  return [...sessionRoutes(deps), ...moneyRoutes(deps)];
}

function expressPath(path: string): string {
  return path.replace(/\{([A-Za-z]+)\}/g, ':$1');
}

function observe(deps: AppDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const state = requestState(res);
    state.requestId = requestIdOf(req.header('x-request-id'));
    res.setHeader('X-Request-Id', state.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = state.route ?? 'unmatched';
      deps.metrics.requestSeconds.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      deps.logger.info({
        requestId: state.requestId, method: req.method, route, status: res.statusCode, durationMs: Math.round(seconds * 1e6) / 1e3,
        principal: state.principal === undefined ? null : principalName(state.principal),
      }, 'request');
    });
    next();
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(observe(deps));
  app.use(helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'connect-src': ["'self'", 'ws:', 'wss:'] } } }));
  app.get('/livez', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', (_req, res) => { res.status(deps.ready() ? 200 : 503).json({ status: deps.ready() ? 'ready' : 'not_ready' }); });
  app.get('/metrics', (_req, res, next) => {
    deps.metrics.registry.metrics().then((text) => { res.type(deps.metrics.registry.contentType).send(text); }, next);
  });
  const routes = apiRoutes(deps);
  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument(routes)); });
  app.get('/docs/api', (_req, res) => { res.type('html').send(apiDocsPage(routes)); });
  deps.extra?.(app);
  app.use('/v1', (req, _res, next) => {
    if (req.method === 'POST' && req.headers['content-length'] !== '0' && req.headers['content-type'] !== undefined && !req.is('application/json')) {
      next(new ProblemError('unsupported_media_type', { detail: 'Send JSON: Content-Type: application/json' }));
      return;
    }
    next();
  });
  app.use('/v1', express.json({ limit: REQUEST_BODY_BYTES_MAX, strict: true }));
  const authenticator = new Authenticator(deps.store);
  const bind = { store: deps.store, authenticator, rateLimiter: new RateLimiter(), nowMs: () => deps.clock.nowMs() };
  for (const route of routes) app[route.method](expressPath(route.path), bindRoute(bind, route));
  app.use((req, _res, next) => {
    const known = routes.some((route) => new RegExp(`^${expressPath(route.path).replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(req.path));
    next(new ProblemError(known ? 'method_not_allowed' : 'route_not_found'));
  });
  app.use(errorHandler(deps));
  return app;
}

/** Maps every error to problem+json: known problems with their status, the rest 500 without details. */
function errorHandler(deps: AppDeps) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const requestId = requestState(res).requestId;
    let code: ProblemError['code'] = 'internal_error';
    let extra: ProblemError['extra'] = {};
    if (error instanceof ProblemError) {
      code = error.code;
      extra = error.extra;
    } else if (isBodyParserError(error)) {
      code = error.type === 'entity.too.large' ? 'payload_too_large' : error.type === 'entity.parse.failed' ? 'malformed_json' : 'validation_failed';
      extra = { detail: error.type === 'entity.too.large' ? `Bodies are at most ${REQUEST_BODY_BYTES_MAX} bytes` : 'The body must be a JSON object' };
    } else {
      deps.logger.error({ requestId, err: error }, 'unexpected error');
    }
    if (extra.retryAfterS !== undefined) res.setHeader('Retry-After', String(extra.retryAfterS));
    const body = problem(code, requestId, { ...(extra.detail === undefined ? {} : { detail: extra.detail }), ...(extra.errors === undefined ? {} : { errors: extra.errors }) });
    res.status(statusOf(code)).type('application/problem+json').send(JSON.stringify(body));
  };
}

function isBodyParserError(error: unknown): error is { type: string } {
  return typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string' && 'status' in error;
}
