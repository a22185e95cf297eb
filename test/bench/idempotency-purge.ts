/**
 * Issue 4, housekeeping: the server's purge of idempotency records a day old
 * (src/app/idempotency-purge.ts, Store.purgeIdempotent), on SQLite as the server opens it (WAL
 * checkpoints on a worker thread). 320,000 records of 1.5 KB (a quote's answer carries its
 * announcement), 120,000 of them past their 24 h: what a minute of purging looks like behind a
 * server taking 2,000 POSTs a second. The purge removes them in DELETEs of
 * IDEMPOTENCY_PURGED_PER_STATEMENT rows and lets the event loop go between two; the baseline, in
 * the same run on the same file, removes the same rows in one DELETE, which holds the loop (and
 * SQLite's write lock) for all of it. Target: the longest event-loop delay within the cap stops'
 * lateness budget (50 ms), since the scheduler's timers wait behind it. The same on PostgreSQL when
 * it is reachable (figures only: the database is another process, the event loop is not held),
 * with a purge run again right after, when the index still holds the rows removed.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { IDEMPOTENCY_PURGED_PER_STATEMENT } from '../../src/adapters/store/limits.ts';
import type { Kysely } from 'kysely';
import { KyselyStore, openStore } from '../../src/adapters/store/index.ts';
import type { Database } from '../../src/adapters/store/tables.ts';
import type { Store } from '../../src/app/index.ts';
import { IDEMPOTENCY_RECORD_TTL_MS } from '../../src/app/limits.ts';
import { temporarySqlitePath } from './bench-world.ts';
import { onFreshPostgres } from './close-workload.ts';
import { info, report } from './harness.ts';

const DUE = 120_000;
const KEPT = 200_000;
const BODY = 'x'.repeat(1_500);
const LOOP_DELAY_MS_MAX = 50;

interface Run { readonly removed: number; readonly ms: number; readonly delayMaxMs: number }

/** Times `work`, with the event loop's longest delay meanwhile. */
async function timed(work: () => Promise<number>): Promise<Run> {
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
}

const text = (run: Run): string => `${(run.ms / 1000).toFixed(1)} s (${((run.ms * 1000) / run.removed).toFixed(0)} µs a record), longest event-loop delay ${run.delayMaxMs.toFixed(1)} ms`;

/** The records, the purge, then the same rows again and one DELETE of them; checks both removed every due record. */
async function purgeAgainstOneDelete(db: Kysely<Database>, store: Store): Promise<{ chunked: Run; whole: Run; idleMs: number }> {
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
  await insert('due', DUE, dueAtMs);
  const chunked = await timed(() => store.purgeIdempotent(nowMs));
  // A purge with nothing due right after: on PostgreSQL the index still holds the rows removed.
  const idleStarted = performance.now();
  if (await store.purgeIdempotent(nowMs) !== 0) throw new Error('a second purge found records due');
  const idleMs = performance.now() - idleStarted;
  await insert('due-again', DUE, dueAtMs);
  const whole = await timed(async () => Number((await db.deleteFrom('idempotency_records').where('status', '=', 'completed')
    .where('completed_at_ms', '<', nowMs - IDEMPOTENCY_RECORD_TTL_MS).executeTakeFirst()).numDeletedRows));
  if (chunked.removed !== DUE || whole.removed !== DUE) throw new Error(`purged ${chunked.removed} and ${whole.removed} of ${DUE}`);
  return { chunked, whole, idleMs };
}

export async function benchmarkIdempotencyPurge(): Promise<void> {
  const setting = `${DUE.toLocaleString('en-US')} records due among ${(DUE + KEPT).toLocaleString('en-US')}, in DELETEs of ${IDEMPOTENCY_PURGED_PER_STATEMENT}`;
  const file = temporarySqlitePath();
  const opened = await openStore({ dialect: 'sqlite', path: file.path }, { backgroundCheckpoints: true });
  try {
    const { chunked, whole, idleMs } = await purgeAgainstOneDelete(opened.database.db, opened.store);
    info('idempotency purge, SQLite', `${setting}: ${text(chunked)}; then nothing due in ${idleMs.toFixed(1)} ms; baseline, one DELETE: ${text(whole)}`);
    report(`idempotency purge on SQLite, ${DUE.toLocaleString('en-US')} records due: longest event-loop delay`, `${chunked.delayMaxMs.toFixed(1)} ms (one DELETE: ${whole.delayMaxMs.toFixed(0)} ms)`, `≤ ${LOOP_DELAY_MS_MAX} ms`, chunked.delayMaxMs <= LOOP_DELAY_MS_MAX);
  } finally {
    await opened.close();
    file.remove();
  }
  await onFreshPostgres('idempotency purge, PostgreSQL', 4, async (fresh) => {
    const { chunked, whole, idleMs } = await purgeAgainstOneDelete(fresh.database.db, new KyselyStore(fresh.database.db, 'postgres'));
    info('idempotency purge, PostgreSQL', `${setting}: ${text(chunked)}; then nothing due in ${idleMs.toFixed(1)} ms; baseline, one DELETE: ${text(whole)}`);
  });
}
