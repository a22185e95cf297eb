/**
 * Errors as RFC 9457 problem+json, mapped once (STYLE.md rule 8): the public `code` is the
 * domain code, the HTTP status comes from this table, and every problem carries the request id.
 * Unknown errors are 500 `internal_error`, never a stack trace.
 */
import type { BrokerError } from '../../app/index.ts';
import type { Violation } from '../../domain/index.ts';

/** Codes of the HTTP layer itself, beside the broker's. */
export type HttpErrorCode =
  | 'validation_failed' | 'malformed_json' | 'unsupported_media_type' | 'payload_too_large' | 'idempotency_key_required'
  | 'idempotency_key_reused' | 'idempotency_in_progress' | 'unauthenticated' | 'forbidden' | 'route_not_found' | 'method_not_allowed'
  | 'rate_limited' | 'tariff_invalid' | 'tariff_not_found' | 'internal_error' | 'not_ready'
  // Reconciliation, bills and payouts (issue 6).
  | 'settlement_not_found' | 'statement_not_found' | 'merchant_not_found' | 'period_not_closed' | 'declaration_invalid';

/** Codes of agreements and settlement runs (issue 6, docs/settlement.md). */
export type SettlementErrorCode =
  | 'agreement_invalid' | 'agreement_conflict' | 'carrier_not_found' | 'period_invalid' | 'period_not_over' | 'ledger_mismatch';

export type ProblemCode = BrokerError | HttpErrorCode | SettlementErrorCode;

const STATUS: Readonly<Record<ProblemCode, number>> = {
  validation_failed: 400, malformed_json: 400, idempotency_key_required: 400,
  unauthenticated: 401,
  forbidden: 403,
  offer_not_found: 404, subscriber_not_found: 404, quote_not_found: 404, session_not_found: 404, charge_not_found: 404,
  route_not_found: 404, tariff_not_found: 404, settlement_not_found: 404, statement_not_found: 404, merchant_not_found: 404,
  method_not_allowed: 405,
  quote_expired: 409, quote_used: 409, session_closed: 409, session_not_queued: 409, session_not_active: 409, session_not_on_hold: 409,
  session_not_ended: 409, already_rated: 409, idempotency_in_progress: 409, period_not_closed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  offer_retired: 422, subscriber_barred: 422, currency_mismatch: 422, no_agreement: 422, budget_too_low: 422, announcement_mismatch: 422,
  cap_above_allowed: 422, cap_below_first_step: 422, medium_not_allowed: 422, refund_exceeds_charge: 422, idempotency_key_reused: 422,
  tariff_invalid: 422, declaration_invalid: 422,
  rate_limited: 429,
  internal_error: 500,
  not_ready: 503,
  // Agreements and settlement runs.
  period_invalid: 400, carrier_not_found: 404, agreement_conflict: 409, period_not_over: 409, ledger_mismatch: 409, agreement_invalid: 422,
};

const TITLES: Partial<Record<ProblemCode, string>> = {
  validation_failed: 'The request does not follow the schema',
  malformed_json: 'The body is not valid JSON',
  unauthenticated: 'Missing or invalid credentials',
  forbidden: 'This credential may not do that',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
};

export function statusOf(code: ProblemCode): number {
  return STATUS[code];
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  readonly errors?: readonly Violation[];
  readonly requestId: string;
}

/** Builds the problem+json body of `code`. */
export function problem(code: ProblemCode, requestId: string, extra: { detail?: string; errors?: readonly Violation[] } = {}): Problem {
  return {
    type: `https://palier.dev/problems/${code.replace(/_/g, '-')}`,
    title: TITLES[code] ?? code.replace(/_/g, ' '),
    status: statusOf(code),
    code,
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    ...(extra.errors === undefined ? {} : { errors: extra.errors }),
    requestId,
  };
}

/** Thrown inside the HTTP layer to answer with a problem; caught by the error middleware. */
export class ProblemError extends Error {
  constructor(readonly code: ProblemCode, readonly extra: { detail?: string; errors?: readonly Violation[]; retryAfterS?: number } = {}) {
    super(code);
  }
}

/** Every code and its status, for the API documentation. */
export const PROBLEM_STATUSES: Readonly<Record<ProblemCode, number>> = STATUS;
