/** The ports use cases depend on; adapters implement them. */
export type { IdGenerator } from './ids.ts';
export type * from './store.ts';
export type { Clock, Scheduler, TimerHandle } from './clock.ts';
export type { BrokerEvent, LiveFeed, NoticeKind, Secrets, TickSink } from './live-feed.ts';
export type * from './settlement.ts';
export type * from './billing.ts';
