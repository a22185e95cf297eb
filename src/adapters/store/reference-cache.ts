/**
 * Reference rows kept in memory on SQLite: carriers, subscribers, merchants, offers, agreements and
 * tariff versions. A session's flow reads them about twenty times (the quote, the consent, the
 * connect and the end each look up the offer, its merchant, the subscriber and their carriers) and
 * they change rarely, so most of those reads can be answered without SQL.
 *
 * Exact, not "fresh enough": an entry is dropped the moment its table may have changed.
 * - Writes of this process go through the store's reference methods (insertSubscriber,
 *   closeAgreement, publishTariff…), which clear the cache before and after their statement, and
 *   again after the COMMIT of the transaction they ran in. A read that started before a write
 *   completed is not kept (entries carry the generation they were read at).
 * - Writes of other connections (the `palier` CLI, another process, this process's worker
 *   threads) change SQLite's `PRAGMA data_version` on our connection; a lookup compares it first
 *   (4–6 µs, against ~30 for the read it saves), and a change clears the cache. A comparison holds
 *   for the lookups that follow it until a statement runs on one of this thread's connections or the
 *   current turn of the event loop ends (its callback and the ticks and promise jobs it queues),
 *   whichever comes first: meanwhile this thread cannot have learnt of a newer commit — no I/O
 *   callback runs (a request, a worker's message, a timer) and none of its connections read or
 *   wrote — so answering as of the comparison is answering as of now. A request's handler looks
 *   up the offer, its merchant, the subscriber and their carriers in a row, and pays for one
 *   comparison (17.5 a flow on the churn benchmark when each lookup compared; docs/performance.md).
 * So a row written behind the store's back on the same connection (a raw UPDATE of the subscribers
 * table) would not be seen: the reference tables are written through the store only.
 *
 * Reads inside a transaction use the entries but never add one (what they read may be the
 * transaction's own, uncommitted write). Not-found answers are not kept, so probing random ids
 * cannot fill it; it holds at most REFERENCE_ENTRIES_CACHED_MAX entries and drops the oldest
 * beyond. PostgreSQL has no cheap equivalent of data_version (other processes write its tables),
 * so there it reads every time.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { REFERENCE_ENTRIES_CACHED_MAX } from './limits.ts';
import { statementsAsked } from './sqlite-tuning.ts';
import type { Database } from './tables.ts';

export class ReferenceCache {
  private readonly entries = new Map<string, unknown>();
  private generation = 0;
  private dataVersion: unknown;
  /** The statement count at the last comparison of the data version, while that comparison holds (see above); null when it must be made again. */
  private comparedAt: number | null = null;
  private forgetScheduled = false;

  /**
   * `readDataVersion`: reads SQLite's `PRAGMA data_version` on the connection the store uses;
   * `statementsAsked`: how many statements this thread's connections were asked for so far (sqlite-tuning.ts).
   */
  constructor(private readonly readDataVersion: () => unknown, private readonly statementsAsked: () => number) {
    this.dataVersion = readDataVersion();
  }

  /** The entry at `key`, or `load()`'s answer, kept when not null and nothing was written meanwhile. */
  async get<T extends object>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    this.checkDataVersion();
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit as T;
    const generation = this.generation;
    const value = await load();
    this.checkDataVersion();
    if (value !== null && generation === this.generation) {
      if (this.entries.size >= REFERENCE_ENTRIES_CACHED_MAX) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, value);
    }
    return value;
  }

  /**
   * For a transaction's reads: the entry at `key`, else `load()`'s answer, never kept (it may be
   * a write of the transaction, not committed yet). An entry found here was read from committed
   * rows and no write of reference rows has begun since (a write clears the cache as it starts),
   * so the transaction would read the same.
   */
  async peek<T extends object>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    this.checkDataVersion();
    const hit = this.entries.get(key);
    return hit === undefined ? load() : (hit as T);
  }

  /** Forgets every entry, and every read in flight. */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Runs a write of reference rows: reads before it ends are not kept. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await write();
    } finally {
      this.clear();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private checkDataVersion(): void {
    const asked = this.statementsAsked();
    if (asked === this.comparedAt) return;
    const version = this.readDataVersion();
    if (version !== this.dataVersion) {
      this.dataVersion = version;
      this.clear();
    }
    this.comparedAt = asked;
    if (!this.forgetScheduled) {
      this.forgetScheduled = true;
      // A tick queued from a promise job runs once the promise jobs have drained: at the end of the turn.
      queueMicrotask(() => { process.nextTick(this.forgetComparison); });
    }
  }

  private readonly forgetComparison = (): void => {
    this.forgetScheduled = false;
    this.comparedAt = null;
  };
}

/** One cache per SQLite database handle, shared by every store opened on it. */
const caches = new WeakMap<Kysely<Database>, ReferenceCache>();

/** Called when a SQLite database is opened: its Kysely handle gets a cache over its connection. */
export function attachReferenceCache(db: Kysely<Database>, sqlite: SqliteDatabase.Database): void {
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  caches.set(db, new ReferenceCache(() => dataVersion.get(), statementsAsked));
}

/** The cache of a SQLite handle; null for PostgreSQL and for a transaction's connection. */
export function referenceCacheOf(db: Kysely<Database>): ReferenceCache | null {
  return caches.get(db) ?? null;
}
