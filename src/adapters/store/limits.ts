/** Limits of the storage adapter, each with its reason (STYLE.md rule 9). */

/**
 * Parsed tariff versions kept in memory: an installation has a handful of versions per offer in
 * use; beyond this the oldest parsed one is dropped and parsed again when next read.
 */
export const TARIFF_VERSIONS_CACHED_MAX = 256;

/** Prepared SQLite statements kept: Palier issues a few dozen distinct queries; the bound stops a leak. */
export const SQLITE_STATEMENTS_CACHED_MAX = 500;

/**
 * Idempotency records removed by one DELETE of a purge: a few milliseconds of SQLite's write lock
 * (and of the event loop, better-sqlite3 being synchronous); the purge yields between two.
 */
export const IDEMPOTENCY_PURGED_PER_STATEMENT = 100;

/** The server's WAL checkpoints: every 50 ms keeps the log short without a measurable cost. */
export const SQLITE_CHECKPOINT_INTERVAL_MS = 50;

/**
 * Frames in the WAL (a page each, 4 KiB) from which the server holds its writes for one checkpoint,
 * so that the log starts over (sqlite-tuning.ts): it bounds the log file near 16 MiB under writes
 * that never pause, and the hold, a checkpoint of what the last 50 ms wrote, comes at most every
 * few hundred milliseconds even on the churn benchmark (24 MB of log a second).
 */
export const SQLITE_WAL_RESTART_FRAMES = 4_096;

/**
 * Transactions committed together at most (group commit): enough to share most of a burst's work
 * (on SQLite a COMMIT writes a page of each table and index touched, however many transactions
 * share it), few enough that a SQLite COMMIT, which writes every page of the batch at once, stays
 * about a millisecond of the event loop. At 16, 1,353 of 1,836 batches of a churn run were full;
 * at 32 the process writes 14 % fewer system calls and 13 % fewer bytes a flow (docs/performance.md).
 */
export const GROUP_COMMIT_MAX = 32;

/**
 * Named (server-side prepared) statements per PostgreSQL connection: Palier sends a few dozen
 * distinct parameterised texts (multi-row inserts vary with their row count); the bound keeps a
 * connection's server memory in check whatever the workload.
 */
export const POSTGRES_STATEMENTS_NAMED_MAX = 500;

/**
 * Runs of one transaction that meets a PostgreSQL deadlock or serialization failure before its
 * error reaches the caller: the database picks one victim per deadlock, so a retried transaction
 * rarely meets a second one; the bound stops a livelock.
 */
export const GROUP_COMMIT_ATTEMPTS_MAX = 10;

/** The nice value of the worker threads that run long jobs (background-thread.ts): 10 of 19, well below the event loop's 0. */
export const BACKGROUND_NICE = 10;

/**
 * Reference rows (subscribers, offers, merchants, carriers, agreements, tariffs) kept in memory on
 * SQLite (reference-cache.ts): enough for the subscribers active in a busy hour of a large
 * installation; a few KB each, so at most a few tens of MB. Beyond it the oldest is read again.
 */
export const REFERENCE_ENTRIES_CACHED_MAX = 20_000;
