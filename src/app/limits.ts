/**
 * Limits of the application layer, each with its reason (STYLE.md rule 9). Domain limits are in
 * src/domain/limits.ts.
 */

/** Idempotency records are kept a day at least (IETF draft: long enough for any client's retries). */
export const IDEMPOTENCY_RECORD_TTL_MS = 24 * 3_600_000;
