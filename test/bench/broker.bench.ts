/**
 * Issue 4 §4 benchmarks: the session broker under load — 100,000 sessions ticking at 1 Hz on the
 * shared scheduler against one `setInterval` per session (broker-ticks.ts), 10,000 cap stops in
 * one minute (broker-cap-stops.ts), session churn over HTTP on SQLite (broker-churn.ts), and the
 * purge of a day's idempotency records against one DELETE of them (idempotency-purge.ts).
 * Each prints its method, its figures and how the result was checked.
 */
import { benchmarkCapStops } from './broker-cap-stops.ts';
import { benchmarkChurn } from './broker-churn.ts';
import { benchmarkQueries } from './broker-queries.ts';
import { benchmarkTicks } from './broker-ticks.ts';
import { benchmarkIdempotencyPurge } from './idempotency-purge.ts';

export async function runBrokerBenchmarks(): Promise<void> {
  await benchmarkTicks();
  await benchmarkCapStops();
  await benchmarkQueries();
  await benchmarkChurn();
  await benchmarkIdempotencyPurge();
}
