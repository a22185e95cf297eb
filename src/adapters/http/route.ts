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
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
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
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  /** POST routes require an Idempotency-Key, except those idempotent by nature (heartbeat). */
  readonly idempotencyKey?: 'required' | 'none';
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
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  readonly idempotencyKey: 'required' | 'none';
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
