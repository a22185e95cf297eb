/**
 * Issue 4, what a flow's queries cost: the store's hot reads and the idempotency record of a POST,
 * prepared (built and compiled once: src/adapters/store/prepared.ts) against the same SQL built
 * with kysely's query builder at every call, as before — the baseline, in the same run, on the
 * same SQLite file (the churn benchmark's, seeded the same way). Each call is timed over 20,000
 * calls after 2,000 of warm-up; the two take turns. A breakdown for the churn figure, no target.
 */
import type { Kysely } from 'kysely';
import { openStore } from '../../src/adapters/store/index.ts';
import type { Database } from '../../src/adapters/store/tables.ts';
import { BENCH_OFFER_ID, seedBenchWorld, temporarySqlitePath } from './bench-world.ts';
import { info } from './harness.ts';

const CALLS = 20_000;
const WARMUP = 2_000;

async function microseconds(call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i += 1) await call(i);
  const start = process.hrtime.bigint();
  for (let i = WARMUP; i < WARMUP + CALLS; i += 1) await call(i);
  return Number(process.hrtime.bigint() - start) / CALLS / 1000;
}

export async function benchmarkQueries(): Promise<void> {
  const file = temporarySqlitePath();
  const opened = await openStore({ dialect: 'sqlite', path: file.path });
  const { store, database } = opened;
  try {
    const db: Kysely<Database> = database.db;
    const world = await seedBenchWorld(store, Date.now() - 86_400_000, { subscribers: 50, merchantKeys: 1 });
    const subscriberId = world.subscriberIds[0] ?? '';
    const offer = await store.getOffer(BENCH_OFFER_ID);
    if (offer === null) throw new Error('queries: the bench offer is missing');
    const atMs = Date.now();
    const contenders: [string, (i: number) => Promise<unknown>, (i: number) => Promise<unknown>][] = [
      ['subscriber by id', () => store.getSubscriber(subscriberId),
        () => db.selectFrom('subscribers').selectAll().where('id', '=', subscriberId).executeTakeFirst()],
      ['offer by id (joined to its tariff)', () => store.getOffer(BENCH_OFFER_ID),
        () => db.selectFrom('offers').innerJoin('tariff_versions', 'tariff_versions.hash', 'offers.tariff_hash').selectAll('offers')
          .select('tariff_versions.currency as offer_currency').where('offers.id', '=', BENCH_OFFER_ID).orderBy('offers.id').execute()],
      ['budget used this month', () => store.budgetUsage(subscriberId, '2026-12'),
        () => db.selectFrom('holds').select(['status', (eb) => eb.fn.sum('amount_minor').as('held'), (eb) => eb.fn.sum('posted_minor').as('posted')])
          .where('subscriber_id', '=', subscriberId).where('period', '=', '2026-12').where('status', 'in', ['pending', 'posted']).groupBy('status').execute()],
      ['idempotency claim + completion (the store: a read, the claim in memory, one insert; built: insert, then update)', async (i) => {
        await store.beginIdempotent('prn_bench', `prepared-${i}`, 'h', atMs);
        await store.completeIdempotent('prn_bench', `prepared-${i}`, { status: 200, body: '{}' }, atMs);
      }, async (i) => {
        await db.insertInto('idempotency_records').values({
          principal: 'prn_bench', key: `built-${i}`, request_hash: 'h', status: 'in_progress', response_status: null, response_body: null, created_at_ms: atMs, completed_at_ms: null,
        }).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()).executeTakeFirst();
        await db.updateTable('idempotency_records').set({ status: 'completed', response_status: 200, response_body: '{}', completed_at_ms: atMs })
          .where('principal', '=', 'prn_bench').where('key', '=', `built-${i}`).where('status', '=', 'in_progress').execute();
      }],
    ];
    for (const [label, prepared, built] of contenders) {
      const builtUs = await microseconds(built);
      const preparedUs = await microseconds(prepared);
      info(`a flow's queries, ${label}`, `prepared ${preparedUs.toFixed(1)} µs a call, built at every call ${builtUs.toFixed(1)} µs (${(builtUs / preparedUs).toFixed(2)}×)`);
    }
  } finally {
    await opened.close();
    file.remove();
  }
}
