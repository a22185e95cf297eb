/**
 * Read queries on SQLite in a worker thread. better-sqlite3 is synchronous: a GROUP BY over a
 * million charges would hold the event loop for the whole query. The worker opens its own
 * read-only connection (WAL lets it read beside the writer) and runs the queries in one read
 * transaction, so they see one snapshot; the server stays responsive meanwhile.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CompiledQuery } from 'kysely';
import { LOWER_THREAD_PRIORITY } from './background-thread.ts';

/** The worker's code, plain CommonJS evaluated in the thread (tsx's loader does not reach worker threads on Node 20). */
const READ_WORKER = `${LOWER_THREAD_PRIORITY}
const { parentPort, workerData } = require('node:worker_threads');
const SqliteDatabase = require(workerData.driver);
const sqlite = new SqliteDatabase(workerData.path, { readonly: true });
sqlite.defaultSafeIntegers(true);
sqlite.pragma('busy_timeout = 10000');
try {
  sqlite.exec('begin');
  const results = workerData.queries.map((query) => sqlite.prepare(query.sql).all(...query.parameters));
  sqlite.exec('commit');
  parentPort.postMessage({ ok: true, results });
} catch (error) {
  parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
} finally {
  sqlite.close();
}
`;

/** Runs compiled read queries on the SQLite file at `path` in a worker thread; resolves to their rows. */
export function readInWorker(path: string, queries: readonly CompiledQuery[]): Promise<unknown[][]> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const plain = queries.map((query) => ({ sql: query.sql, parameters: [...query.parameters] }));
  return new Promise((resolve, reject) => {
    const worker = new Worker(READ_WORKER, { eval: true, workerData: { driver, path, queries: plain } });
    worker.once('message', (message: { ok: true; results: unknown[][] } | { ok: false; message: string }) => {
      void worker.terminate();
      if (message.ok) resolve(message.results);
      else reject(new Error(`read worker: ${message.message}`));
    });
    worker.once('error', reject);
  });
}
