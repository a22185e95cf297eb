/**
 * A benchmark (or a suite of them) in a process of its own, as a server runs: `inFreshProcess(name)`
 * forks this file with the benchmark's name; it runs that benchmark, prints its figures to the shared stdout, and
 * hands its verdicts back over IPC for the summary. A benchmark run after others in one process
 * inherits their heap and their compiled code (the HTTP churn measured 2.19 ms of CPU a flow alone
 * and 3.16 ms a flow in the same minutes after the 100,000-session tick load, whose brokers had
 * grown the heap past 1 GiB): a fresh process measures the code, not the benchmarks before it.
 */
import { fork } from 'node:child_process';
import { allVerdicts, isEntry, recordVerdict, type Verdict } from './harness.ts';

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
  'idempotency-purge': async () => { await (await import('./idempotency-purge.ts')).benchmarkIdempotencyPurge(); },
} satisfies Record<string, () => Promise<void>>;

export type FreshBenchmark = keyof typeof benchmarks;

/** Runs the benchmark `name` in a new node process and records its verdicts here. */
export async function inFreshProcess(name: FreshBenchmark): Promise<void> {
  const child = fork(new URL(import.meta.url), [name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const verdicts: Verdict[] = [];
  child.on('message', (message) => { verdicts.push(...(message as Verdict[])); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`benchmark ${name} exited with ${String(code)}`);
  for (const verdict of verdicts) recordVerdict(verdict);
}

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
