/**
 * One request through a route: credentials, role, rate limit, validation, idempotency, handler.
 * Each step answers with a problem when it refuses; nothing is written before every check passed.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { Store } from '../../app/index.ts';
import { type Violation, zodViolations } from '../../domain/index.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  IDEMPOTENCY_KEY_LENGTH_MAX, RATE_LIMIT_ANONYMOUS_BURST, RATE_LIMIT_ANONYMOUS_PER_S, RATE_LIMIT_KEY_BURST, RATE_LIMIT_KEY_PER_S,
  RATE_LIMIT_USER_BURST, RATE_LIMIT_USER_PER_S,
} from './limits.ts';
import { type Authenticator, bearerSecret, type Principal, principalName } from './principal.ts';
import { problem, ProblemError, statusOf } from './problem.ts';
import { sha256Hex } from './sha256.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Reply, Route, StreamBody } from './route.ts';

export interface BindDeps {
  readonly store: Store;
  readonly authenticator: Authenticator;
  readonly rateLimiter: RateLimiter;
  readonly nowMs: () => number;
}

/** Request-scoped values set by the first middleware. */
export interface RequestState {
  requestId: string;
  principal?: Principal;
  route?: string;
}

export function requestState(res: Response): RequestState {
  return res.locals as RequestState;
}

function validate(schema: z.ZodType | undefined, value: unknown, prefix: string): { value: unknown; errors: Violation[] } {
  if (schema === undefined) return { value: undefined, errors: [] };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { value: parsed.data, errors: [] };
  return { value: undefined, errors: zodViolations(parsed.error, value).map((v) => ({ ...v, field: v.field === '(root)' ? prefix : `${prefix}.${v.field}` })) };
}

async function authenticate(deps: BindDeps, req: Request, res: Response, route: Route): Promise<Principal> {
  const secret = bearerSecret(req.header('authorization'));
  const principal = secret === null ? null : await deps.authenticator.authenticate(secret);
  if (principal === null) {
    const wait = deps.rateLimiter.take(`ip:${req.ip ?? '?'}`, { perSecond: RATE_LIMIT_ANONYMOUS_PER_S, burst: RATE_LIMIT_ANONYMOUS_BURST }, deps.nowMs());
    if (wait > 0) throw new ProblemError('rate_limited', { retryAfterS: wait });
    res.setHeader('WWW-Authenticate', 'Bearer realm="palier"');
    throw new ProblemError('unauthenticated', { detail: 'Send Authorization: Bearer <API key, session token or quote token>' });
  }
  requestState(res).principal = principal;
  const limit = principal.kind === 'operator' || principal.kind === 'merchant'
    ? { perSecond: RATE_LIMIT_KEY_PER_S, burst: RATE_LIMIT_KEY_BURST } : { perSecond: RATE_LIMIT_USER_PER_S, burst: RATE_LIMIT_USER_BURST };
  const wait = deps.rateLimiter.take(principalName(principal), limit, deps.nowMs());
  if (wait > 0) throw new ProblemError('rate_limited', { retryAfterS: wait });
  if (!route.principals.includes(principal.kind)) throw new ProblemError('forbidden', { detail: `A ${principal.kind} credential may not call ${route.operationId}` });
  return principal;
}

function idempotencyKeyOf(req: Request): string {
  const key = req.header('idempotency-key');
  if (key === undefined || key.length === 0) throw new ProblemError('idempotency_key_required', { detail: 'POST requests carry an Idempotency-Key header' });
  if (key.length > IDEMPOTENCY_KEY_LENGTH_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ProblemError('validation_failed', { errors: [{ field: 'header.Idempotency-Key', rule: 'format', message: `1–${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters` }] });
  }
  return key;
}

function setReplyHeaders(res: Response, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
}

function send(res: Response, reply: Reply): void {
  setReplyHeaders(res, reply);
  res.status(reply.status).type(reply.raw?.contentType ?? 'application/json').send(reply.raw?.text ?? JSON.stringify(reply.body));
}

/**
 * The answer to a POST, written with node's own response methods: express's `send` would add an
 * ETag (a hash of the body, of no use for a POST) and look for a conditional request.
 */
function sendPosted(res: Response, status: number, contentType: string, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', `${contentType}; charset=utf-8`);
  res.end(text);
}

/** The express handler of `route`. */
export function bindRoute(deps: BindDeps, route: Route) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      requestState(res).route = route.path;
      const principal = await authenticate(deps, req, res, route);
      const params = validate(route.params, req.params, 'path');
      const query = validate(route.query, req.query, 'query');
      const body = validate(route.body, route.method === 'post' ? (req.body as unknown) : undefined, 'body');
      const errors = [...params.errors, ...query.errors, ...body.errors];
      if (errors.length > 0) throw new ProblemError('validation_failed', { errors });
      const info = { requestId: requestState(res).requestId, clientIp: req.ip ?? 'unknown', userAgent: (req.header('user-agent') ?? '').slice(0, 512) };
      const stream = route.streamBody === undefined ? {} : { stream: bodyStream(req, route.streamBody) };
      const context = { ...info, principal, params: params.value, query: query.value, body: body.value, ...stream };
      if (route.idempotencyKey === 'none') {
        send(res, await route.handle(context));
        return;
      }
      await idempotent(deps, req, res, principalName(principal), route, () => route.handle(context));
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The body of a streamed route, checked before a byte is read: its media type (415), no content
 * coding (415: it would have to be inflated here) and a declared length within the limit (413);
 * then counted as it arrives, so a body without a length cannot pass the limit either.
 */
function bodyStream(req: Request, spec: StreamBody): AsyncIterable<Uint8Array> {
  if (req.is(spec.mediaType) !== spec.mediaType) throw new ProblemError('unsupported_media_type', { detail: `Send ${spec.description}: Content-Type: ${spec.mediaType}` });
  const coding = req.header('content-encoding');
  if (coding !== undefined && coding.toLowerCase() !== 'identity') throw new ProblemError('unsupported_media_type', { detail: `Send ${spec.mediaType} without Content-Encoding` });
  const tooLarge = (): ProblemError => new ProblemError('payload_too_large', { detail: `This body is at most ${spec.bytesMax} bytes` });
  const declared = req.header('content-length');
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number.parseInt(declared, 10) > spec.bytesMax) throw tooLarge();
  return (async function* counted() {
    let bytes = 0;
    for await (const chunk of req as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      if (bytes > spec.bytesMax) throw tooLarge();
      yield chunk;
    }
  })();
}

/** Runs `work` once per (principal, Idempotency-Key); a replay returns the first response. */
async function idempotent(deps: BindDeps, req: Request, res: Response, principal: string, route: Route, work: () => Promise<Reply>): Promise<void> {
  const key = idempotencyKeyOf(req);
  const requestHash = sha256Hex(`${route.method} ${req.path}\n${canonicalJson(req.body ?? null)}`);
  const claim = await deps.store.beginIdempotent(principal, key, requestHash, deps.nowMs());
  switch (claim.outcome) {
    case 'replay':
      res.setHeader('Idempotent-Replayed', 'true');
      sendPosted(res, claim.response.status, claim.response.status >= 400 ? 'application/problem+json' : 'application/json', claim.response.body);
      return;
    case 'mismatch': throw new ProblemError('idempotency_key_reused', { detail: 'This Idempotency-Key was used with another request' });
    case 'in_progress': throw new ProblemError('idempotency_in_progress', { detail: 'A request with this Idempotency-Key is still running' });
    case 'started': break;
  }
  try {
    const reply = await work();
    const body = reply.raw?.text ?? JSON.stringify(reply.body);
    await deps.store.completeIdempotent(principal, key, { status: reply.status, body }, deps.nowMs());
    setReplyHeaders(res, reply);
    sendPosted(res, reply.status, reply.raw?.contentType ?? 'application/json', body);
  } catch (error) {
    if (error instanceof ProblemError && error.code !== 'internal_error' && error.code !== 'rate_limited') {
      // Refusals are answers too: a retry with the same key gets the same problem.
      await deps.store.completeIdempotent(principal, key, { status: problemStatus(error), body: problemBody(error, requestState(res).requestId) }, deps.nowMs());
    } else {
      await deps.store.abandonIdempotent(principal, key);
    }
    throw error;
  }
}


function problemStatus(error: ProblemError): number {
  return statusOf(error.code);
}

function problemBody(error: ProblemError, requestId: string): string {
  return JSON.stringify(problem(error.code, requestId, error.extra));
}

/** A request id: the client's X-Request-Id when it is sane, else a fresh UUID. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : randomUUID();
}
