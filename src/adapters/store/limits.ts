/** Limits of the storage adapter, each with its reason (STYLE.md rule 9). */

/**
 * Parsed tariff versions kept in memory: an installation has a handful of versions per offer in
 * use; beyond this the oldest parsed one is dropped and parsed again when next read.
 */
export const TARIFF_VERSIONS_CACHED_MAX = 256;

/** Prepared SQLite statements kept: Palier issues a few dozen distinct queries; the bound stops a leak. */
export const SQLITE_STATEMENTS_CACHED_MAX = 500;

/** The server's WAL checkpoints: every 50 ms keeps the log short without a measurable cost. */
export const SQLITE_CHECKPOINT_INTERVAL_MS = 50;
