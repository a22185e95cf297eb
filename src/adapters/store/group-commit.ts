/**
 * Group commit for the embedded database. SQLite has one writer and one connection here, so
 * transactions already run one after another; what costs is the commit, which appends every page
 * the transaction touched to the WAL (about 30 pages for a session's close, each a write system
 * call). Transactions that arrive while one is running wait in a queue; the next batch runs them
 * one after another inside one `BEGIN IMMEDIATE … COMMIT`, each in a SAVEPOINT of its own, so the
 * pages they share (the tail of every index, the carrier and merchant balances) are written once.
 *
 * Each transaction keeps its own all-or-nothing: one that throws is rolled back to its savepoint
 * and rejected with its own error, the others commit. None resolves before the COMMIT that makes
 * it durable, so an acknowledged write is a committed write, as without batching. If the batch
 * itself cannot commit, every member that had not failed on its own is rejected with that error.
 * Alone in the queue, a transaction runs exactly as before (no savepoint). Measured in
 * docs/performance.md (storage benchmark, closes in flight).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { SQLITE_GROUP_COMMIT_MAX } from './limits.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

interface Member {
  run(connection: Db): Promise<void>;
  /** Settles the caller's promise; called once the batch's fate is known. */
  settle(batchError: Error | null): void;
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

export class GroupCommit {
  private readonly waiting: Member[] = [];
  private draining = false;

  constructor(private readonly db: Db) {}

  /** Runs `work` in a transaction, batched with those waiting; resolves after its COMMIT. */
  run<T>(work: (connection: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let outcome: Outcome<T> | null = null;
      this.waiting.push({
        run: async (connection) => {
          try {
            outcome = { ok: true, value: await work(connection) };
          } catch (error) {
            outcome = { ok: false, error: asError(error) };
            throw error;
          }
        },
        settle: (batchError) => {
          if (outcome?.ok === false) reject(outcome.error);
          else if (batchError !== null || outcome === null) reject(batchError ?? new Error('the transaction did not run'));
          else resolve(outcome.value);
        },
      });
      if (!this.draining) {
        this.draining = true;
        // On the next turn of the event loop, so that transactions started by the callbacks of this
        // turn (requests read together, timers due together) share the first batch.
        setImmediate(() => { void this.drain(); });
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) await this.commit(this.waiting.splice(0, SQLITE_GROUP_COMMIT_MAX));
    } finally {
      this.draining = false;
    }
  }

  /** Never throws: every member is settled. */
  private async commit(batch: readonly Member[]): Promise<void> {
    let batchError: Error | null = null;
    try {
      await this.db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          if (batch.length === 1) await batch[0]?.run(connection);
          else {
            for (const member of batch) {
              await runInSavepoint(connection, member);
              // The driver is synchronous: let timers and sockets run between two members, so
              // that the event loop is held for one transaction at a time, not for the batch.
              await yieldToEventLoop();
            }
          }
          await sql`commit`.execute(connection);
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      batchError = asError(error);
    }
    for (const member of batch) member.settle(batchError);
  }
}

/** A member's failure undoes its own writes only; a failed rollback (the transaction is gone) fails the batch. */
async function runInSavepoint(connection: Db, member: Member): Promise<void> {
  await sql`savepoint palier_member`.execute(connection);
  try {
    await member.run(connection);
  } catch {
    await sql`rollback to palier_member`.execute(connection);
  }
  await sql`release palier_member`.execute(connection);
}
