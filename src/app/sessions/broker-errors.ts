/**
 * The refusals of the session use cases: a closed set of stable snake_case codes (the public
 * `code` of the API's problem+json). Listed here in the order they are checked; the HTTP adapter
 * maps each to a status once (src/adapters/http/problem.ts).
 */
import type { TransitionError } from '../../domain/index.ts';

export type NotFound = 'offer_not_found' | 'subscriber_not_found' | 'quote_not_found' | 'session_not_found' | 'charge_not_found';

/** Why a subscriber may not buy an offer (the assistance button stays hidden). */
export type Ineligible = 'offer_retired' | 'subscriber_barred' | 'currency_mismatch' | 'no_agreement' | 'budget_too_low';

/**
 * Why a consent is refused. `quote_used` comes last: it is decided by the write itself (a quote's
 * one session is a unique row), so two consents at the same moment cannot both pass it.
 */
export type ConsentError = 'quote_expired' | 'announcement_mismatch' | 'cap_above_allowed' | 'cap_below_first_step' | 'quote_used';

export type SessionError = TransitionError | 'medium_not_allowed' | 'session_not_ended' | 'already_rated';

export type RefundError = 'refund_exceeds_charge';

export type BrokerError = NotFound | Ineligible | ConsentError | SessionError | RefundError;

/** Precedence: when several apply, the first listed here is reported. */
export const BROKER_ERROR_PRECEDENCE: readonly BrokerError[] = [
  'offer_not_found', 'subscriber_not_found', 'quote_not_found', 'session_not_found', 'charge_not_found',
  'offer_retired', 'subscriber_barred', 'currency_mismatch', 'no_agreement', 'budget_too_low',
  'quote_expired', 'announcement_mismatch', 'cap_above_allowed', 'cap_below_first_step', 'quote_used',
  'session_closed', 'session_not_queued', 'session_not_active', 'session_not_on_hold', 'medium_not_allowed', 'session_not_ended', 'already_rated',
  'refund_exceeds_charge',
];
