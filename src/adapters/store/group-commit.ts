/**
 * Group commit, on both databases. What costs in a write transaction is its commit: on SQLite it
 * appends every page the transaction touched to the WAL (about 30 pages for a session's close,
 * each a write system call); on PostgreSQL it flushes the WAL to disk, and concurrent closes queue
 * on the row locks of the same carrier and merchant balances until their commits. Transactions
 * that arrive while one is running wait in a queue; the next batch runs them one after another on
 * one connection inside one transaction (`BEGIN IMMEDIATE` on SQLite, `BEGIN` at READ COMMITTED on
 * PostgreSQL), each in a SAVEPOINT of its own, so the pages they share are written once and the
 * balance rows are locked by one transaction only.
 *
 * Each transaction keeps its own all-or-nothing: one that throws is rolled back to its savepoint
 * and rejected with its own error, the others commit. None resolves before the COMMIT that makes
 * it durable, so an acknowledged write is a committed write, as without batching. If the batch
 * itself cannot commit, every member that had not failed on its own is rejected with that error.
 * On PostgreSQL a batch locks the rows of all its members, so batches of two processes can
 * deadlock where single transactions would not: a member that meets a deadlock (or a
 * serialization failure) is rolled back to its savepoint and run again alone, before the next
 * batch, up to GROUP_COMMIT_ATTEMPTS_MAX times.
 * Alone in the queue, a transaction runs as a plain transaction (no savepoint). A process's write
 * transactions therefore run one at a time (on SQLite they always did: one connection); reads go
 * on meanwhile on PostgreSQL's other pool connections, and several processes sharing one
 * PostgreSQL database each have their own queue. Measured in docs/performance.md (storage).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import { attachTransactionConnection, executeDirect } from './direct-sqlite.ts';
import { GROUP_COMMIT_ATTEMPTS_MAX, GROUP_COMMIT_MAX } from './limits.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

// The batch's own statements, compiled once; run directly on SQLite (direct-sqlite.ts).
const BEGIN = CompiledQuery.raw('begin');
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint palier_member');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('rollback to palier_member');
const RELEASE_SAVEPOINT = CompiledQuery.raw('release palier_member');

async function statement(connection: Db, query: CompiledQuery): Promise<void> {
  if (executeDirect(connection, query) === null) await connection.executeQuery(query);
}

interface Member {
  run(connection: Db): Promise<void>;
  /**
   * Once the batch's fate is known: settles the caller's promise, or answers false to be run
   * again in a later batch (a deadlock or serialization failure on PostgreSQL, a bounded number
   * of times: the database undid its writes and another order of the same work succeeds).
   */
  settle(batchError: Error | null): boolean;
}

/** PostgreSQL's "try again" errors: deadlock_detected, serialization_failure. */
const RETRYABLE_CODES = new Set(['40P01', '40001']);

function retryable(error: Error | null): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

const asError = (thrown: unknown): Error => (thrown instanceof Error ? thrown : new Error(String(thrown)));

export class GroupCommit {
  private readonly waiting: Member[] = [];
  /** Members to run again (deadlock victims), each alone, before the next batch. */
  private readonly retrying: Member[] = [];
  private draining = false;

  /** `begin`: how a batch opens its transaction (`begin immediate` on SQLite: take the write lock first). */
  constructor(private readonly db: Db, private readonly begin: 'begin immediate' | 'begin' = 'begin immediate') {}

  /** Runs `work` in a transaction, batched with those waiting; resolves after its COMMIT. */
  run<T>(work: (connection: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let outcome: Outcome<T> | null = null;
      let attempts = 0;
      this.waiting.push({
        run: async (connection) => {
          attempts += 1;
          try {
            outcome = { ok: true, value: await work(connection) };
          } catch (error) {
            outcome = { ok: false, error: asError(error) };
            throw error;
          }
        },
        settle: (batchError) => {
          const failure = outcome?.ok === false ? outcome.error : batchError;
          if (retryable(failure) && attempts < GROUP_COMMIT_ATTEMPTS_MAX) {
            outcome = null;
            return false;
          }
          if (outcome?.ok === false) reject(outcome.error);
          else if (batchError !== null || outcome === null) reject(batchError ?? new Error('the transaction did not run'));
          else resolve(outcome.value);
          return true;
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
      for (;;) {
        // A transaction run again goes alone, holding no lock of another member: as a single
        // transaction it meets a deadlock no more often than without group commit.
        const retry = this.retrying.shift();
        if (retry !== undefined) await this.commit([retry]);
        else if (this.waiting.length > 0) await this.commit(this.waiting.splice(0, GROUP_COMMIT_MAX));
        else break;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Never throws: every member is settled, or queued again to be retried. */
  private async commit(batch: readonly Member[]): Promise<void> {
    let batchError: Error | null = null;
    try {
      await this.db.connection().execute(async (connection) => {
        attachTransactionConnection(connection, this.db);
        await statement(connection, this.begin === 'begin' ? BEGIN : BEGIN_IMMEDIATE);
        try {
          if (batch.length === 1) await batch[0]?.run(connection);
          else {
            for (const member of batch) {
              await runInSavepoint(connection, member);
              // better-sqlite3 is synchronous: let timers and sockets run between two members, so
              // that the event loop is held for one transaction at a time, not for the batch.
              await yieldToEventLoop();
            }
          }
          await statement(connection, COMMIT);
        } catch (error) {
          await statement(connection, ROLLBACK).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      batchError = asError(error);
    }
    this.retrying.push(...batch.filter((member) => !member.settle(batchError)));
  }
}

/** A member's failure undoes its own writes only; a failed rollback (the transaction is gone) fails the batch. */
async function runInSavepoint(connection: Db, member: Member): Promise<void> {
  await statement(connection, SAVEPOINT);
  try {
    await member.run(connection);
  } catch {
    await statement(connection, ROLLBACK_TO_SAVEPOINT);
  }
  await statement(connection, RELEASE_SAVEPOINT);
}
