/**
 * The process `inFreshProcess` (fresh-process.ts) forks: runs the benchmark named by its argument,
 * then sends its verdicts to the parent. Its own file, imported by no benchmark: a suite run here
 * that forks its benchmarks in turn imports fresh-process.ts, and an import of this module, still
 * evaluating its top-level await, would never settle.
 */
import { allVerdicts, isEntry } from './harness.ts';

const benchmarks = {
  rating: async () => { (await import('./rating.bench.ts')).runRatingBenchmarks(); },
  storage: async () => { await (await import('./storage.bench.ts')).runStorageBenchmarks(); },
  broker: async () => { await (await import('./broker.bench.ts')).runBrokerBenchmarks(); },
  live: async () => { await (await import('./live.bench.ts')).runLiveBenchmarks(); },
  reconcile: async () => { await (await import('./reconcile.bench.ts')).runReconcileBenchmarks(); },
  settlement: async () => { await (await import('./settlement.bench.ts')).runSettlementBenchmarks(); },
  'broker-ticks': async () => { await (await import('./broker-ticks.ts')).benchmarkTicks(); },
  'broker-cap-stops': async () => { await (await import('./broker-cap-stops.ts')).benchmarkCapStops(); },
  'broker-queries': async () => { await (await import('./broker-queries.ts')).benchmarkQueries(); },
  'broker-churn': async () => { await (await import('./broker-churn.ts')).benchmarkChurn(); },
  'live-memory': async () => { await (await import('./live.bench.ts')).benchmarkIdleWatcherMemory(); },
  'live-feed': async () => { await (await import('./live.bench.ts')).benchmarkFeed(); },
  'idempotency-purge': async () => { await (await import('./idempotency-purge.ts')).benchmarkIdempotencyPurge(); },
} satisfies Record<string, () => Promise<void>>;

export type FreshBenchmark = keyof typeof benchmarks;

if (process.send !== undefined && isEntry(import.meta.url)) {
  const name = process.argv[2] ?? '';
  if (!Object.hasOwn(benchmarks, name)) throw new Error(`no benchmark named ${name}`);
  await benchmarks[name as FreshBenchmark]();
  const send = process.send.bind(process);
  await new Promise<void>((resolve, reject) => {
    send([...allVerdicts()], (error: Error | null) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
  process.disconnect();
  process.exit(0);
}
