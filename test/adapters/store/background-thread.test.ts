/**
 * The settlement's worker threads lower their own priority (background-thread.ts): the thread
 * that runs the snippet ends at nice BACKGROUND_NICE, the process's main thread keeps its own.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { LOWER_THREAD_PRIORITY } from '../../../src/adapters/store/background-thread.ts';
import { BACKGROUND_NICE } from '../../../src/adapters/store/limits.ts';

/** Runs the snippet in a worker thread; resolves to that thread's nice value, read by the thread itself. */
function niceOfWorker(): Promise<number> {
  const source = `${LOWER_THREAD_PRIORITY}
const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
require('node:worker_threads').parentPort.postMessage(require('node:os').getPriority(tid));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true });
    worker.once('message', (nice: number) => { void worker.terminate(); resolve(nice); });
    worker.once('error', reject);
  });
}

describe('worker threads of background jobs', { skip: existsSync('/proc/thread-self') ? false : 'no /proc/thread-self: not Linux' }, () => {
  it(`run at nice ${BACKGROUND_NICE}, and the main thread keeps its priority`, async () => {
    const before = getPriority();
    assert.ok(before < BACKGROUND_NICE, 'the test itself runs above the background priority');
    assert.equal(await niceOfWorker(), BACKGROUND_NICE);
    assert.equal(getPriority(), before);
  });
});
