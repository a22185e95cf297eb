/**
 * A benchmark (or a suite of them) in a process of its own, as a server runs: `inFreshProcess(name)`
 * forks fresh-process-entry.ts with the benchmark's name; that process runs the benchmark, prints
 * its figures to the shared stdout, and hands its verdicts back over IPC for the summary. A
 * benchmark run after others in one process inherits their heap and their compiled code (the HTTP
 * churn measured 2.19 ms of CPU a flow alone and 3.16 ms a flow in the same minutes after the
 * 100,000-session tick load, whose brokers had grown the heap past 1 GiB): a fresh process
 * measures the code, not the benchmarks before it.
 */
import { fork } from 'node:child_process';
import type { FreshBenchmark } from './fresh-process-entry.ts';
import { recordVerdict, type Verdict } from './harness.ts';

export type { FreshBenchmark } from './fresh-process-entry.ts';

/** Runs the benchmark `name` in a new node process and records its verdicts here. */
export async function inFreshProcess(name: FreshBenchmark): Promise<void> {
  const child = fork(new URL('./fresh-process-entry.ts', import.meta.url), [name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const verdicts: Verdict[] = [];
  child.on('message', (message) => { verdicts.push(...(message as Verdict[])); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`benchmark ${name} exited with ${String(code)}`);
  for (const verdict of verdicts) recordVerdict(verdict);
}
