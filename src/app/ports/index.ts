/** The ports use cases depend on; adapters implement them. */
export type { IdGenerator } from './ids.ts';
export type * from './store.ts';
