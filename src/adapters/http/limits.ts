/** Limits of the HTTP adapter, each with its reason (STYLE.md rule 9). */

/** Request bodies: the largest legitimate one is a tariff (32 tiers × 16 bands) — well under 64 KiB. */
export const REQUEST_BODY_BYTES_MAX = 64 * 1024;

/** Idempotency keys: a UUID is 36 characters; 255 leaves room for any client's scheme. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;

/** Per API key: a busy merchant site quoting and metering hundreds of sessions. */
export const RATE_LIMIT_KEY_PER_S = 200;
export const RATE_LIMIT_KEY_BURST = 400;

/** Per session token: a widget heartbeats once a second and acts now and then. */
export const RATE_LIMIT_USER_PER_S = 10;
export const RATE_LIMIT_USER_BURST = 30;

/** Per client address without credentials (failed logins included): slows down token guessing. */
export const RATE_LIMIT_ANONYMOUS_PER_S = 20;
export const RATE_LIMIT_ANONYMOUS_BURST = 40;

/** Rate-limit buckets kept in memory; the least recently used are forgotten beyond this. */
export const RATE_LIMIT_BUCKETS_MAX = 100_000;

/** Graceful shutdown waits this long for in-flight requests before closing connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** Request ids accepted from clients: printable, short. */
export const REQUEST_ID_LENGTH_MAX = 128;

/**
 * A declaration file sent for reconciliation: a million lines of about 100 bytes, twice over. It
 * is streamed to the reconciliation, never held whole, so the limit bounds the time, not memory.
 */
export const RECONCILIATION_BODY_BYTES_MAX = 200 * 1024 * 1024;
