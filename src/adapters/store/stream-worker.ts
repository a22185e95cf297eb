/**
 * One large SQLite read streamed from a worker thread, a batch of rows at a time. Like
 * read-worker.ts, the worker opens its own read-only connection, so the server's event loop is
 * never held by the query; unlike it, the rows are not gathered into one message: the worker
 * steps the statement (one statement, one snapshot) and sends a batch whenever the previous one
 * was taken, so at most two batches are in memory however many rows there are.
 *
 * Batches travel by column: text columns as arrays of strings, integer columns as BigInt64Arrays
 * whose buffers are transferred, not copied. A million rows of objects holding bigints cost
 * seconds to clone; columns cost a fraction of that, and integers stay exact (SQLite's are 64-bit).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CompiledQuery } from 'kysely';
import { LOWER_THREAD_PRIORITY } from './background-thread.ts';

/** The worker's code, plain CommonJS evaluated in the thread (tsx's loader does not reach worker threads on Node 20). */
const STREAM_WORKER = `${LOWER_THREAD_PRIORITY}
const { parentPort, workerData } = require('node:worker_threads');
const SqliteDatabase = require(workerData.driver);
const { kinds, batchRows } = workerData;
let sqlite = null;
let rows = null;
function batch() {
  const texts = kinds.map((kind) => (kind === 'text' ? [] : null));
  const integers = kinds.map((kind) => (kind === 'integer' ? new BigInt64Array(batchRows) : null));
  let count = 0;
  let done = false;
  while (count < batchRows) {
    const next = rows.next();
    if (next.done) { done = true; break; }
    const row = next.value;
    for (let c = 0; c < kinds.length; c += 1) {
      if (kinds[c] === 'text') texts[c].push(row[c] === null ? null : String(row[c]));
      else if (typeof row[c] === 'bigint') integers[c][count] = row[c];
      else throw new Error('column ' + c + ' holds ' + String(row[c]) + ', not an integer');
    }
    count += 1;
  }
  return { ok: true, count, texts, integers, done };
}
function send() {
  try {
    if (rows === null) {
      sqlite = new SqliteDatabase(workerData.path, { readonly: true });
      sqlite.defaultSafeIntegers(true);
      sqlite.pragma('busy_timeout = 10000');
      rows = sqlite.prepare(workerData.sql).raw(true).iterate(...workerData.parameters);
    }
    const message = batch();
    if (message.done) sqlite.close();
    parentPort.postMessage(message, message.integers.filter((column) => column !== null).map((column) => column.buffer));
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message || error) });
  }
}
parentPort.on('message', send);
send();
`;

/** The type of each selected column, in select order. */
export type ColumnKind = 'text' | 'integer';

/** A batch of rows by column: `texts[c]` for a text column, `integers[c]` for an integer one (its first `count` values). */
export interface ColumnBatch {
  readonly count: number;
  readonly texts: readonly ((string | null)[] | null)[];
  readonly integers: readonly (BigInt64Array | null)[];
}

type Message = ({ ok: true; done: boolean } & ColumnBatch) | { ok: false; message: string };

function nextMessage(worker: Worker): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message): void => { worker.off('error', onError); resolve(message); };
    const onError = (error: Error): void => { worker.off('message', onMessage); reject(error); };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

/**
 * Runs `query` on the SQLite file at `path` in a worker thread and calls `onBatch` with its rows,
 * `batchRows` at a time, by column (`kinds` gives each selected column's type; an integer column
 * holding anything else fails the read). The next batch is read while `onBatch` handles this one.
 * Resolves when every row was handed over.
 */
export async function streamInWorker(
  path: string, query: CompiledQuery, options: { readonly batchRows: number; readonly kinds: readonly ColumnKind[] }, onBatch: (batch: ColumnBatch) => void,
): Promise<void> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(STREAM_WORKER, {
    eval: true, workerData: { driver, path, sql: query.sql, parameters: [...query.parameters], batchRows: options.batchRows, kinds: [...options.kinds] },
  });
  try {
    for (;;) {
      const message = await nextMessage(worker);
      if (!message.ok) throw new Error(`stream worker: ${message.message}`);
      if (!message.done) worker.postMessage('next');
      if (message.count > 0) onBatch(message);
      if (message.done) return;
    }
  } finally {
    await worker.terminate();
  }
}
