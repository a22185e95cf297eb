/**
 * One SQLite write transaction in a worker thread, driven from the main thread. better-sqlite3 is
 * synchronous: closing a settlement period inserts a statement item per charge and refund, a
 * million rows in seconds during which a query on the main thread would hold the event loop. The
 * worker opens its own connection and takes the write lock at once (`BEGIN IMMEDIATE`), so what
 * it reads is what it writes against; the main thread sends it queries to read or write and, at
 * the end, says commit or roll back, while its event loop stays free.
 *
 * The caller must keep its own connection from writing meanwhile (it would wait for the lock
 * inside a synchronous call, on the event loop): KyselyStore holds that connection for the whole
 * transaction, so the process's other queries wait their turn without blocking anything.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CompiledQuery } from 'kysely';
import { LOWER_THREAD_PRIORITY } from './background-thread.ts';

/** The worker's code, plain CommonJS evaluated in the thread (tsx's loader does not reach worker threads on Node 20). */
const WRITE_WORKER = `${LOWER_THREAD_PRIORITY}
const { parentPort, workerData } = require('node:worker_threads');
const SqliteDatabase = require(workerData.driver);
let sqlite = null;
function close() {
  if (sqlite === null) return;
  try { if (sqlite.inTransaction) sqlite.exec('rollback'); } catch { /* closing rolls back anyway */ }
  sqlite.close();
  sqlite = null;
}
parentPort.on('message', (message) => {
  try {
    if (message.type === 'read') {
      parentPort.postMessage({ ok: true, results: message.queries.map((q) => sqlite.prepare(q.sql).all(...q.parameters)) });
    } else if (message.type === 'write') {
      parentPort.postMessage({ ok: true, results: message.queries.map((q) => sqlite.prepare(q.sql).run(...q.parameters).changes) });
    } else if (message.type === 'commit') {
      sqlite.exec('commit');
      close();
      parentPort.postMessage({ ok: true, results: [] });
    } else {
      close();
      parentPort.postMessage({ ok: true, results: [] });
    }
  } catch (error) {
    close();
    parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
  }
});
try {
  sqlite = new SqliteDatabase(workerData.path);
  sqlite.defaultSafeIntegers(true);
  sqlite.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = ' + workerData.synchronous);
  sqlite.pragma('wal_autocheckpoint = ' + workerData.walAutocheckpointPages);
  sqlite.exec('begin immediate');
  parentPort.postMessage({ ok: true, results: [] });
} catch (error) {
  close();
  parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
}
`;

/** What the main thread can do inside the worker's transaction. */
export interface WorkerTransaction {
  /** Runs read queries; resolves to their rows (integers as bigint). */
  read(queries: readonly CompiledQuery[]): Promise<Record<string, unknown>[][]>;
  /** Runs write queries; resolves to the rows each changed. */
  write(queries: readonly CompiledQuery[]): Promise<bigint[]>;
}

type Message = { ok: true; results: unknown[] } | { ok: false; message: string };

/**
 * How the worker's connection is set up, as the main connection is: its durability
 * (docs/operations.md), and its automatic checkpoints (0 in the server, which checkpoints from a
 * worker of its own, sqlite-tuning.ts: a commit here then returns without copying the log back).
 */
export interface WorkerConnection {
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly walAutocheckpointPages: number;
  readonly busyTimeoutMs: number;
}

/**
 * Runs `work` in one write transaction (`BEGIN IMMEDIATE`) on the SQLite file at `path`, in a
 * worker thread: commits when `work` resolves, rolls back when it throws (or a query fails).
 *
 * @example await transactionInWorker(path, { synchronous: 'FULL', walAutocheckpointPages: 1000, busyTimeoutMs: 10_000 }, async (tx) => tx.write([query]))
 */
export async function transactionInWorker<T>(
  path: string, options: WorkerConnection, work: (tx: WorkerTransaction) => Promise<T>,
): Promise<T> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WRITE_WORKER, { eval: true, workerData: { driver, path, ...options } });
  let failed: Error | null = null;
  worker.on('error', (error) => { failed = error; });
  const exchange = (message: unknown): Promise<unknown[]> => new Promise((resolve, reject) => {
    if (failed !== null) { reject(failed); return; }
    const onMessage = (reply: Message): void => {
      worker.off('error', onError);
      if (reply.ok) resolve(reply.results);
      else reject(new Error(`write worker: ${reply.message}`));
    };
    const onError = (error: Error): void => { worker.off('message', onMessage); reject(error); };
    worker.once('message', onMessage);
    worker.once('error', onError);
    if (message !== null) worker.postMessage(message);
  });
  const plain = (queries: readonly CompiledQuery[]) => queries.map((query) => ({ sql: query.sql, parameters: [...query.parameters] }));
  try {
    await exchange(null); // connected, the write lock taken
    const tx: WorkerTransaction = {
      read: async (queries) => (await exchange({ type: 'read', queries: plain(queries) })) as Record<string, unknown>[][],
      write: async (queries) => ((await exchange({ type: 'write', queries: plain(queries) })) as (number | bigint)[]).map((changes) => BigInt(changes)),
    };
    let result: T;
    try {
      result = await work(tx);
    } catch (error) {
      await exchange({ type: 'rollback' }).catch(() => undefined);
      throw error;
    }
    await exchange({ type: 'commit' });
    return result;
  } finally {
    await worker.terminate();
  }
}
