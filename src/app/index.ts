/** The application layer: use cases over the domain, and the ports they need. */
export * from './limits.ts';
export type * from './ports/index.ts';
export { buildCharge, type ChargeInput } from './billing/build-charge.ts';
export { IdempotencyPurge, type IdempotencyPurgeDeps } from './idempotency-purge.ts';
export { BROKER_ERROR_PRECEDENCE, type BrokerError } from './sessions/broker-errors.ts';
export { type ConsentInput } from './sessions/consent.ts';
export { feedOf, feedOfAll, type Tick } from './sessions/feeds.ts';
export { type Eligibility, type QuoteResult } from './sessions/quote-offer.ts';
export { type BrokerConfig, type BrokerDeps, SessionBroker, type SessionView } from './sessions/session-broker.ts';
