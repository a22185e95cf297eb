/**
 * Issue 4 §4 benchmarks: the session broker under load — 100,000 sessions ticking at 1 Hz on the
 * shared scheduler against one `setInterval` per session (broker-ticks.ts), 10,000 cap stops in
 * one minute (broker-cap-stops.ts), session churn over HTTP on SQLite (broker-churn.ts), and the
 * purge of a day's idempotency records against one DELETE of them (idempotency-purge.ts).
 * Each prints its method, its figures and how the result was checked. Each runs in a process of
 * its own (fresh-process.ts), so that none measures the heap and compiled code left by another.
 */
import { inFreshProcess } from './fresh-process.ts';

export async function runBrokerBenchmarks(): Promise<void> {
  await inFreshProcess('broker-ticks');
  await inFreshProcess('broker-cap-stops');
  await inFreshProcess('broker-queries');
  await inFreshProcess('broker-churn');
  await inFreshProcess('idempotency-purge');
}
