/**
 * The route registry: each route declares its method, path, who may call it, the schemas of its
 * path parameters, query and body, and its responses. The same declaration validates requests,
 * binds express and generates /openapi.json, so the document cannot drift from the code.
 */
import type { z } from 'zod';
import type { PrincipalKind, Principal } from './principal.ts';

export interface RequestInfo {
  readonly requestId: string;
  readonly clientIp: string;
  readonly userAgent: string;
}

export interface RouteContext<P, Q, B> extends RequestInfo {
  readonly principal: Principal;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The body's bytes as they arrive, for a route with `streamBody` (the reading fails with `payload_too_large` past its limit). */
  readonly stream?: AsyncIterable<Uint8Array>;
}

/**
 * A body that is not JSON and may be large (a declaration file): not parsed up front but handed
 * to the handler as a stream, so it is never all in memory.
 */
export interface StreamBody {
  readonly mediaType: string;
  readonly bytesMax: number;
  readonly description: string;
}

/** A success response: its schema, in JSON unless `contentType` says otherwise (text/csv). */
export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  readonly contentType?: string;
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /**
   * Text sent as is instead of `body` as JSON: a stored document served byte for byte (a closed
   * settlement run), or another media type (CSV). An idempotent POST stores and replays this text.
   */
  readonly raw?: { readonly contentType: string; readonly text: string };
  /** Extra response headers (Content-Disposition, …). */
  readonly headers?: Readonly<Record<string, string>>;
}

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<PS extends z.ZodType | undefined, QS extends z.ZodType | undefined, BS extends z.ZodType | undefined> {
  readonly method: 'get' | 'post';
  /** OpenAPI-style path: `/v1/sessions/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Credentials allowed to call; others get 403 `forbidden`. */
  readonly principals: readonly PrincipalKind[];
  readonly params?: PS;
  readonly query?: QS;
  readonly body?: BS;
  /** Success responses by status, with their schema. Problems are documented once for all routes. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** POST routes require an Idempotency-Key, except those idempotent by nature (heartbeat). */
  readonly idempotencyKey?: 'required' | 'none';
  /** A streamed body instead of a JSON one (then `body` is undefined). */
  readonly streamBody?: StreamBody;
  handle(context: RouteContext<Output<PS>, Output<QS>, Output<BS>>): Promise<Reply>;
}

/** A route with its types erased, as the registry keeps it. */
export interface Route {
  readonly method: 'get' | 'post';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly principals: readonly PrincipalKind[];
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly idempotencyKey: 'required' | 'none';
  readonly streamBody?: StreamBody;
  handle(context: RouteContext<unknown, unknown, unknown>): Promise<Reply>;
}

/** Declares a route, inferring handler argument types from its schemas. */
export function defineRoute<
  PS extends z.ZodType | undefined = undefined, QS extends z.ZodType | undefined = undefined, BS extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<PS, QS, BS>): Route {
  return {
    ...spec,
    params: spec.params, query: spec.query, body: spec.body,
    idempotencyKey: spec.idempotencyKey ?? (spec.method === 'post' ? 'required' : 'none'),
    handle: (context) => spec.handle(context as RouteContext<Output<PS>, Output<QS>, Output<BS>>),
  };
}
