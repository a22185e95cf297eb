/**
 * The express application: request ids, logs, security headers, body limits, the /v1 routes,
 * operations endpoints (/livez, /readyz, /metrics), /openapi.json and the API docs page, and one
 * error handler that answers problem+json for everything, never a stack trace.
 */
import { IncomingMessage, ServerResponse, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { SessionBroker, Store } from '../../app/index.ts';
import type { Clock } from '../../app/ports/index.ts';
import { bindRoute, requestIdOf, requestState } from './bind-route.ts';
import { REQUEST_BODY_BYTES_MAX } from './limits.ts';
import type { Metrics } from './metrics.ts';
import { apiDocsPage, openApiDocument } from './openapi.ts';
import { Authenticator, type IssuedTokens, principalName } from './principal.ts';
import { problem, ProblemError, statusOf } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';
import type { Route } from './route.ts';
import { RouteTable } from './route-table.ts';
import { billingRoutes } from './routes/billing-routes.ts';
import { moneyRoutes } from './routes/money-routes.ts';
import { sessionRoutes } from './routes/session-routes.ts';
import { settlementRoutes } from './routes/settlement-routes.ts';

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
  /** The credentials' authenticator, shared with the live feed (a new one when not given). */
  readonly authenticator?: Authenticator;
}

/** Every route of the API, in documentation order. */
export function apiRoutes(deps: Pick<AppDeps, 'broker' | 'store' | 'clock'> & { readonly tokens?: IssuedTokens }): Route[] {
  return [...sessionRoutes(deps), ...moneyRoutes(deps), ...settlementRoutes(deps), ...billingRoutes(deps)];
}

/**
 * The first middleware: the request's id (X-Request-Id), and once answered its latency in the
 * histogram and its log line. Exported for test/bench/request-cost.ts, which measures its cost.
 */
export function observe(deps: Pick<AppDeps, 'metrics' | 'logger'>) {
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

/**
 * helmet's security headers, computed once: with these options they are the same on every
 * response, and helmet would set them through a chain of a dozen middlewares at every request.
 */
function securityHeaders() {
  const headers: [string, string][] = [];
  const recorder = { setHeader: (name: string, value: string) => { headers.push([name, value]); }, removeHeader: () => undefined };
  const nexts: unknown[] = [];
  helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'connect-src': ["'self'", 'ws:', 'wss:'] } } })(
    {} as never, recorder as never, (error?: unknown) => { nexts.push(error); },
  );
  if (nexts.length !== 1 || nexts[0] !== undefined || headers.length === 0) throw new Error('helmet did not set its headers at once: they cannot be computed ahead');
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Whether express would hand `path` to a layer mounted at /v1 (case-insensitive, as its router). */
const API_PATH = /^\/v1(?:\/|$)/i;

/**
 * The API under /v1 as one layer of the application, first after the request's id and headers.
 * The route table (route-table.ts) finds the route first — an unknown path is answered 404, a
 * known one with another method 405 with `Allow`, before a byte of the body is read — then the
 * media type is checked and the JSON body parsed (a streamed route, a CSV file, reads its own
 * body), and the route's handler runs. As three layers mounted at /v1 after the operations
 * endpoints and the web pages, every API request was matched against each of them in turn.
 */
function apiLayer(deps: AppDeps, routes: readonly Route[], authenticator: Authenticator) {
  const json: RequestHandler = express.json({ limit: REQUEST_BODY_BYTES_MAX, strict: true, type: (req) => (req as Request).is('application/json') !== false });
  const bind = { store: deps.store, authenticator, rateLimiter: new RateLimiter(), nowMs: () => deps.clock.nowMs() };
  const table = new RouteTable(routes, (route) => ({ streamed: route.streamBody !== undefined, handle: bindRoute(bind, route) }));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!API_PATH.test(req.path)) {
      next();
      return;
    }
    const found = table.find(req.method, req.path);
    switch (found.kind) {
      case 'bad_parameter':
        next(found.error);
        return;
      case 'none':
        next(new ProblemError('route_not_found'));
        return;
      case 'other_methods':
        // RFC 9110 §15.5.6: a 405 response lists the methods the resource does support.
        res.setHeader('Allow', found.allow.join(', '));
        next(new ProblemError('method_not_allowed'));
        return;
      case 'route':
        break;
    }
    req.params = found.params;
    const { streamed, handle } = found.value;
    if (streamed) {
      // Its body is never parsed here, whatever its Content-Type: the route reads it, with its own limit.
      void handle(req, res, next);
      return;
    }
    if (req.method === 'POST' && req.headers['content-length'] !== '0' && req.headers['content-type'] !== undefined && !req.is('application/json')) {
      next(new ProblemError('unsupported_media_type', { detail: 'Send JSON: Content-Type: application/json' }));
      return;
    }
    json(req, res, (error?: unknown) => {
      if (error === undefined) void handle(req, res, next);
      else next(error);
    });
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(observe(deps));
  app.use(securityHeaders());
  const authenticator = deps.authenticator ?? new Authenticator(deps.store);
  const routes = apiRoutes({ ...deps, tokens: authenticator });
  app.use(apiLayer(deps, routes, authenticator));
  app.get('/livez', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', (_req, res) => { res.status(deps.ready() ? 200 : 503).json({ status: deps.ready() ? 'ready' : 'not_ready' }); });
  app.get('/metrics', (_req, res, next) => {
    deps.metrics.registry.metrics().then((text) => { res.type(deps.metrics.registry.contentType).send(text); }, next);
  });
  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument(routes)); });
  app.get('/docs/api', (_req, res) => { res.type('html').send(apiDocsPage(routes)); });
  deps.extra?.(app);
  app.use((_req, _res, next) => { next(new ProblemError('route_not_found')); });
  app.use(errorHandler(deps));
  return app;
}

/**
 * The options of the node:http server that serves `app`: its requests and responses are built with
 * the application's own prototypes (`app.request`, `app.response`) from the start. Express gives
 * them those prototypes at every request (`Object.setPrototypeOf` in app.handle); on an object
 * already built that changes its hidden class, and node's HTTP and stream code, which reads these
 * two objects at every step, then misses its inline caches and looks properties up the slow way.
 * With the prototype already in place, express's call changes nothing (V8 returns at once when
 * the prototype is the same). Measured (docs/performance.md, ninth session): a node server
 * reading JSON with body-parser answered 13,500–14,400 requests a second, 6,600–6,900 with that
 * one call added; express 4,800–5,100, and 7,600–9,200 built this way.
 */
export function expressServerOptions(app: express.Express): ServerOptions {
  // Plain constructors, as node's own: `new` gives the object the constructor's `prototype`, then
  // node's constructor fills it in (IncomingMessage and ServerResponse are plain functions).
  const incomingMessage = IncomingMessage as unknown as (this: IncomingMessage, socket: Socket) => void;
  const serverResponse = ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: unknown) => void;
  function AppRequest(this: IncomingMessage, socket: Socket): void { incomingMessage.call(this, socket); }
  AppRequest.prototype = app.request;
  function AppResponse(this: ServerResponse, req: IncomingMessage, options?: unknown): void { serverResponse.call(this, req, options); }
  AppResponse.prototype = app.response;
  return { IncomingMessage: AppRequest as unknown as typeof IncomingMessage, ServerResponse: AppResponse as unknown as typeof ServerResponse };
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
    } else if (isClientError(error)) {
      ({ code, extra } = clientProblem(error));
    } else {
      deps.logger.error({ requestId, err: error }, 'unexpected error');
    }
    if (extra.retryAfterS !== undefined) res.setHeader('Retry-After', String(extra.retryAfterS));
    const body = problem(code, requestId, { ...(extra.detail === undefined ? {} : { detail: extra.detail }), ...(extra.errors === undefined ? {} : { errors: extra.errors }) });
    res.status(statusOf(code)).type('application/problem+json').send(JSON.stringify(body));
  };
}

/**
 * Errors express and body-parser raise for a request they cannot read: a 4xx `status`, and for
 * body-parser a `type`. Some carry no type (a path that is not valid percent-encoding, a body that
 * does not inflate), and they are still the client's fault, never a 500.
 */
function isClientError(error: unknown): error is Error & { status: number; type?: unknown } {
  if (!(error instanceof Error)) return false;
  const status: unknown = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function clientProblem(error: Error & { status: number; type?: unknown }): { code: ProblemError['code']; extra: ProblemError['extra'] } {
  if (error.type === 'entity.too.large' || error.status === 413) return { code: 'payload_too_large', extra: { detail: `Bodies are at most ${REQUEST_BODY_BYTES_MAX} bytes` } };
  if (error.type === 'charset.unsupported' || error.type === 'encoding.unsupported' || error.status === 415) {
    return { code: 'unsupported_media_type', extra: { detail: 'Send JSON in UTF-8: Content-Type: application/json, Content-Encoding identity, gzip, deflate or br' } };
  }
  if (error instanceof URIError) {
    return { code: 'validation_failed', extra: { errors: [{ field: 'path', rule: 'format', message: 'is not valid percent-encoding' }] } };
  }
  return { code: 'malformed_json', extra: { detail: 'The body must be a JSON object' } };
}
