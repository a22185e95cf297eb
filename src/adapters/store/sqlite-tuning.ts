/**
 * Two measured speed-ups of the embedded database (docs/performance.md, storage benchmark):
 *
 * - a prepared-statement cache: kysely's SQLite driver prepares every query anew, which was 16 %
 *   of a close; a statement is reusable, so one per SQL text is kept (bounded);
 * - WAL checkpoints on a worker thread: SQLite otherwise copies the log back into the database
 *   inside whichever commit crosses the threshold, holding the event loop 15–35 ms with its fsync.
 *   The server turns automatic checkpoints off and checkpoints on its own connection in a worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import { SQLITE_CHECKPOINT_INTERVAL_MS, SQLITE_STATEMENTS_CACHED_MAX } from './limits.ts';

let asked = 0;

/**
 * How many statements this thread's SQLite connections were asked for so far: every query run
 * through kysely or directly (direct-sqlite.ts) asks its connection's cache for its statement once,
 * so while this count stays the same no statement has run on any of them (the reference cache's
 * freshness rule, reference-cache.ts).
 */
export const statementsAsked = (): number => asked;

/** The part of better-sqlite3 kysely's SqliteDialect uses, with `prepare` answered from a cache. */
export function withStatementCache(sqlite: SqliteDatabase.Database): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => { statements.clear(); sqlite.close(); },
    prepare: (sql) => {
      asked += 1;
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= SQLITE_STATEMENTS_CACHED_MAX) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * The worker's code, plain CommonJS evaluated in the thread (tsx's loader does not reach worker
 * threads on Node 20). PASSIVE checkpoints copy what they can without waiting for anyone. A turn
 * with nothing new to copy — no commit since the last checkpoint (`data_version` unchanged on
 * this connection), which copied everything — checkpoints nothing: an idle server's worker wakes
 * and reads one counter (on the live benchmark, where nothing is written, the checkpoints were
 * ~2 % of the server's CPU).
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SqliteDatabase = require(workerData.driver);
const sqlite = new SqliteDatabase(workerData.path);
sqlite.pragma('busy_timeout = 10000');
const dataVersion = sqlite.prepare('pragma data_version').pluck();
const checkpoint = sqlite.prepare('pragma wal_checkpoint(PASSIVE)');
let checkpointedVersion = null;
const timer = setInterval(() => {
  const version = dataVersion.get();
  if (version === checkpointedVersion) return;
  const [result] = checkpoint.all();
  // Frames left behind (a reader holds them): try again next turn even if nothing new is committed.
  checkpointedVersion = result && result.busy === 0 && result.checkpointed === result.log ? version : null;
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try { sqlite.pragma('wal_checkpoint(TRUNCATE)'); } catch { /* a writer still holds the log: PASSIVE ones did the work */ }
  sqlite.close();
  parentPort.postMessage('stopped');
});
parentPort.postMessage('started');
`;

/**
 * Turns automatic checkpoints off on `sqlite` and checkpoints `path` from a worker thread every
 * SQLITE_CHECKPOINT_INTERVAL_MS. Resolves to a function that stops the worker (after a last full
 * checkpoint) and turns automatic checkpoints back on.
 */
export async function checkpointInWorker(sqlite: SqliteDatabase.Database, path: string): Promise<() => Promise<void>> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, intervalMs: SQLITE_CHECKPOINT_INTERVAL_MS, driver } });
  worker.unref();
  const next = (): Promise<unknown> => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await next();
  sqlite.pragma('wal_autocheckpoint = 0');
  return async () => {
    const stopped = next();
    worker.postMessage('stop');
    await stopped;
    await worker.terminate();
    sqlite.pragma('wal_autocheckpoint = 1000');
  };
}
