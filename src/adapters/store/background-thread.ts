/**
 * The first lines of the code of a worker thread that runs a long background job (a settlement's
 * aggregates, a close's writes, a statement's rows): the thread lowers its own scheduling
 * priority to nice BACKGROUND_NICE. On a machine whose cores are all busy, the scheduler then gives
 * the event loop's thread (normal priority) a core as soon as it has work, and the loop is not held
 * behind the job; on an idle core the job runs at full speed all the same. Linux applies
 * setpriority(2) on a thread id to that thread alone; where there is no /proc/thread-self (another
 * system) the job keeps its priority. Measured in docs/performance.md (settlement).
 */
import { BACKGROUND_NICE } from './limits.ts';

export const LOWER_THREAD_PRIORITY = `
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid !== process.pid) require('node:os').setPriority(tid, ${BACKGROUND_NICE});
} catch { /* not Linux: the job keeps its priority */ }
`;
