/**
 * Limits of the application layer, each with its reason (STYLE.md rule 9). Domain limits are in
 * src/domain/limits.ts.
 */

/** Idempotency records are kept a day at least (IETF draft: long enough for any client's retries). */
export const IDEMPOTENCY_RECORD_TTL_MS = 24 * 3_600_000;

/** A request still "in flight" after this long died with its process: its claim may be taken over. */
export const IDEMPOTENCY_IN_PROGRESS_TTL_MS = 5 * 60_000;

/**
 * How often the server purges idempotency records past their retention: often enough that each
 * purge is small (at 2,000 POSTs a second, 120,000 records a minute, removed in chunks between
 * which requests run), rarely enough that an idle server does not notice it.
 */
export const IDEMPOTENCY_PURGE_INTERVAL_MS = 60_000;

/**
 * Shortest key for pseudonymising subscriber numbers: 32 bytes, the output length of HMAC-SHA256
 * (RFC 2104 §3: shorter keys weaken the MAC). The key is all that protects the numbers: there are
 * too few phone numbers for a hash alone to hide them, since every one can be tried.
 */
export const MSISDN_KEY_BYTES_MIN = 32;

/**
 * Random bytes in an API key secret: 160 bits, beyond online and offline guessing, which is why
 * a fast unsalted SHA-256 is enough to store it (a password would need a slow, salted hash).
 */
export const API_SECRET_RANDOM_BYTES = 20;

/** A quote stands five minutes: long enough to read the announcement, short enough that budgets stay true. */
export const QUOTE_TTL_MS = 5 * 60_000;

/** Proof of life may stop this long before a session ends (DESIGN.md §1: default 30 s). */
export const LIVENESS_GRACE_MS_DEFAULT = 30_000;

/** Heartbeats are persisted at most this often: after a crash a session is billed to a proof of life at most this old. */
export const LIVENESS_PERSIST_INTERVAL_MS = 5_000;

/**
 * Shortest grace an installation may configure (PALIER_LIVENESS_GRACE_MS): after a restart a
 * session is judged by a stored proof of life up to LIVENESS_PERSIST_INTERVAL_MS old, so a shorter
 * grace would end sessions whose user is still there.
 */
export const LIVENESS_GRACE_MS_MIN = LIVENESS_PERSIST_INTERVAL_MS;

/** Longest grace: beyond ten minutes of silence a session is a ghost, and the user would pay for it. */
export const LIVENESS_GRACE_MS_MAX = 10 * 60_000;

/** Cap warnings: at this fraction of the cap… */
export const CAP_WARNING_FRACTION = '0.8';
/** …and this long before the cap stop. */
export const CAP_WARNING_BEFORE_STOP_MS = 60_000;

/** Page size of listings: default and maximum (a page is read in one query). */
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 200;

/** Comments on a rating: a paragraph, not a document. */
export const RATING_COMMENT_LENGTH_MAX = 2_000;

/** Refund reasons: a sentence. */
export const REFUND_REASON_LENGTH_MAX = 500;

/** Price-change notices go out this long before the change, so the display can announce it. */
export const PRICE_NOTICE_LEAD_MS = 5_000;

/**
 * The amounts of the charges the broker wrote last, kept so that the answer to an end (and a read
 * of the session right after) does not read its charge back: a charge never changes.
 */
export const CHARGE_AMOUNTS_KEPT_MAX = 1_000;
