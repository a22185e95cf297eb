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
import { SQLITE_CHECKPOINT_INTERVAL_MS, SQLITE_STATEMENTS_CACHED_MAX, SQLITE_WAL_RESTART_FRAMES } from './limits.ts';

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
 *
 * The log starts over from its first frame only when a write transaction begins with all of it
 * copied back. Under writes that never pause, a commit lands during every checkpoint, and the log
 * would grow for as long as they last (24 MB a second on the churn benchmark, each new frame a
 * block the file system allocates and zeroes). So once a checkpoint finds the log at
 * `restartFrames` frames or more, all of them copied (no reader holds frames back), the worker
 * asks the main thread to hold its writes ('hold'); the main thread answers 'held' once no write
 * can start, the worker checkpoints the frames committed since and answers 'checkpointed', the
 * main thread lets its writes go, and the first of them starts the log over (or it answers 'not
 * held' if it could not hold them, and the worker goes on as before).
 */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SqliteDatabase = require(workerData.driver);
const sqlite = new SqliteDatabase(workerData.path);
sqlite.pragma('busy_timeout = 10000');
const dataVersion = sqlite.prepare('pragma data_version').pluck();
const checkpoint = sqlite.prepare('pragma wal_checkpoint(PASSIVE)');
let checkpointedVersion = null;
let holding = false;
const timer = setInterval(() => {
  if (holding) return;
  const version = dataVersion.get();
  if (version === checkpointedVersion) return;
  const [result] = checkpoint.all();
  // Frames left behind (a reader holds them): try again next turn even if nothing new is committed.
  const copiedAll = result !== undefined && result.busy === 0 && result.checkpointed === result.log;
  checkpointedVersion = copiedAll ? version : null;
  // Not while a reader holds frames (a long export): the hold's checkpoint could not copy them either.
  if (copiedAll && result.log >= workerData.restartFrames) {
    holding = true;
    parentPort.postMessage('hold');
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'not held') {
    holding = false;
    return;
  }
  if (message === 'held') {
    try {
      const version = dataVersion.get();
      const [result] = checkpoint.all();
      // Everything copied: the next turns wait for a commit, the first of which starts the log over.
      checkpointedVersion = result !== undefined && result.busy === 0 && result.checkpointed === result.log ? version : null;
    } catch {
      checkpointedVersion = null; // the next turn tries again
    } finally {
      holding = false;
      parentPort.postMessage('checkpointed');
    }
    return;
  }
  if (message !== 'stop') return;
  clearInterval(timer);
  try { sqlite.pragma('wal_checkpoint(TRUNCATE)'); } catch { /* a writer still holds the log: PASSIVE ones did the work */ }
  sqlite.close();
  parentPort.postMessage('stopped');
});
parentPort.postMessage('started');
`;

export interface CheckpointOptions {
  /**
   * Runs `during` while no write can start on the connection (and, if it must, waits for the one
   * in progress to end first): its writes wait meanwhile, its event loop does not. Without it, the
   * log starts over only when the writes pause.
   */
  readonly holdWrites?: (during: () => Promise<void>) => Promise<void>;
  /** Frames in the log from which writes are held to start it over (SQLITE_WAL_RESTART_FRAMES). */
  readonly restartFrames?: number;
  /** Called when a hold fails (the writes go on; the log starts over at a later turn). */
  readonly onError?: (error: unknown) => void;
  /** Called after each hold with the seconds the writes were held (the hold's checkpoint). */
  readonly onHeld?: (seconds: number) => void;
}

/**
 * Turns automatic checkpoints off on `sqlite` and checkpoints `path` from a worker thread every
 * SQLITE_CHECKPOINT_INTERVAL_MS. Resolves to a function that stops the worker (after a last full
 * checkpoint) and turns automatic checkpoints back on.
 */
export async function checkpointInWorker(sqlite: SqliteDatabase.Database, path: string, options: CheckpointOptions = {}): Promise<() => Promise<void>> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const restartFrames = options.holdWrites === undefined ? Number.MAX_SAFE_INTEGER : options.restartFrames ?? SQLITE_WAL_RESTART_FRAMES;
  const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, intervalMs: SQLITE_CHECKPOINT_INTERVAL_MS, restartFrames, driver } });
  worker.unref();
  const replies = new Map<string, (reply: string) => void>();
  const reply = (expected: string): Promise<string> => new Promise((resolve) => { replies.set(expected, resolve); });
  const failed = new Promise<never>((_resolve, reject) => { worker.once('error', reject); });
  failed.catch(() => undefined);
  let holdInFlight: Promise<void> | null = null;
  let stopping = false;
  worker.on('message', (message: string) => {
    if (message === 'hold') {
      if (stopping || options.holdWrites === undefined) return;
      let held = false;
      holdInFlight = options.holdWrites(async () => {
        held = true;
        const started = performance.now();
        const checkpointed = reply('checkpointed');
        worker.postMessage('held');
        await Promise.race([checkpointed, failed]);
        options.onHeld?.((performance.now() - started) / 1000);
      }).catch((error: unknown) => {
        if (!held) worker.postMessage('not held');
        options.onError?.(error);
      }).finally(() => { holdInFlight = null; });
      return;
    }
    const waiting = replies.get(message);
    replies.delete(message);
    waiting?.(message);
  });
  await Promise.race([reply('started'), failed]);
  sqlite.pragma('wal_autocheckpoint = 0');
  return async () => {
    // A hold asked for before the stop ends first (the worker answers it before it reads 'stop');
    // one asked for after is not taken.
    stopping = true;
    await holdInFlight;
    const stopped = reply('stopped');
    worker.postMessage('stop');
    await Promise.race([stopped, failed]);
    await worker.terminate();
    sqlite.pragma('wal_autocheckpoint = 1000');
  };
}
