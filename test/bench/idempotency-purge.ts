/**
 * Issue 4, housekeeping: the server's purge of idempotency records a day old
 * (src/app/idempotency-purge.ts, Store.purgeIdempotent), on SQLite as the server opens it (WAL
 * checkpoints on a worker thread). 320,000 records of 1.5 KB (a quote's answer carries its
 * announcement), 120,000 of them past their 24 h: what a minute of purging looks like behind a
 * server taking 2,000 POSTs a second. The purge removes them in DELETEs of
 * IDEMPOTENCY_PURGED_PER_STATEMENT rows and lets the event loop go between two; the baseline, in
 * the same run on the same file, removes the same rows in one DELETE, which holds the loop (and
 * SQLite's write lock) for all of it. Target: the longest event-loop delay within the cap stops'
 * lateness budget (50 ms), since the scheduler's timers wait behind it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { IDEMPOTENCY_PURGED_PER_STATEMENT } from '../../src/adapters/store/limits.ts';
import { openStore } from '../../src/adapters/store/index.ts';
import { IDEMPOTENCY_RECORD_TTL_MS } from '../../src/app/limits.ts';
import { temporarySqlitePath } from './bench-world.ts';
import { info, report } from './harness.ts';

const DUE = 120_000;
const KEPT = 200_000;
const BODY = 'x'.repeat(1_500);
const LOOP_DELAY_MS_MAX = 50;

export async function benchmarkIdempotencyPurge(): Promise<void> {
  const file = temporarySqlitePath();
  const opened = await openStore({ dialect: 'sqlite', path: file.path }, { backgroundCheckpoints: true });
  try {
    const { db } = opened.database;
    const nowMs = Date.now();
    const insert = async (tag: string, count: number, atMs: number): Promise<void> => {
      for (let from = 0; from < count; from += 500) {
        await db.insertInto('idempotency_records').values(Array.from({ length: Math.min(500, count - from) }, (_, i) => ({
          principal: `merchant:mer_${(from + i) % 13}:key_1`, key: `${tag}-${from + i}`, request_hash: 'sha256:00', status: 'completed',
          response_status: 201, response_body: BODY, created_at_ms: atMs - ((from + i) % 60_000), completed_at_ms: atMs - ((from + i) % 60_000) + 5,
        }))).execute();
      }
    };
    await insert('kept', KEPT, nowMs - IDEMPOTENCY_RECORD_TTL_MS / 2);
    const dueAtMs = nowMs - IDEMPOTENCY_RECORD_TTL_MS - 60_000;
    const timed = async (work: () => Promise<number>): Promise<{ removed: number; ms: number; delayMaxMs: number }> => {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      // The histogram counts from its timer's first run: a block before it would go unseen.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      const removed = await work();
      const ms = performance.now() - started;
      // One more turn, so that a delay still running at the end is recorded.
      await new Promise((resolve) => setTimeout(resolve, 5));
      delay.disable();
      return { removed, ms, delayMaxMs: delay.max / 1e6 };
    };
    await insert('due', DUE, dueAtMs);
    const chunked = await timed(() => opened.store.purgeIdempotent(nowMs));
    await insert('due-again', DUE, dueAtMs);
    const whole = await timed(async () => Number((await db.deleteFrom('idempotency_records').where('status', '=', 'completed')
      .where('completed_at_ms', '<', nowMs - IDEMPOTENCY_RECORD_TTL_MS).executeTakeFirst()).numDeletedRows));
    if (chunked.removed !== DUE || whole.removed !== DUE) throw new Error(`purged ${chunked.removed} and ${whole.removed} of ${DUE}`);
    const text = (run: typeof chunked): string => `${(run.ms / 1000).toFixed(1)} s (${((run.ms * 1000) / run.removed).toFixed(0)} µs a record), longest event-loop delay ${run.delayMaxMs.toFixed(1)} ms`;
    info('idempotency purge', `${DUE.toLocaleString('en-US')} records due among ${(DUE + KEPT).toLocaleString('en-US')}: in DELETEs of ${IDEMPOTENCY_PURGED_PER_STATEMENT} ${text(chunked)}; baseline, one DELETE: ${text(whole)}`);
    report(`idempotency purge on SQLite, ${DUE.toLocaleString('en-US')} records due: longest event-loop delay`, `${chunked.delayMaxMs.toFixed(1)} ms (one DELETE: ${whole.delayMaxMs.toFixed(0)} ms)`, `≤ ${LOOP_DELAY_MS_MAX} ms`, chunked.delayMaxMs <= LOOP_DELAY_MS_MAX);
  } finally {
    await opened.close();
    file.remove();
  }
}
