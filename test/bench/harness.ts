/**
 * A small benchmark harness: warm up, then run an operation in batches for a fixed time and
 * report operations per second. Every figure is printed with its target and the verdict, and
 * compared against a baseline measured in the same run.
 */
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly nsPerOp: number;
}

export interface Verdict {
  readonly label: string;
  readonly value: string;
  readonly target: string;
  readonly ok: boolean;
}

const verdicts: Verdict[] = [];

/** Runs `operation` repeatedly for about `durationMs` after a warm-up, and measures its rate. */
export function measure(name: string, operation: () => unknown, durationMs = 1500): Measurement {
  let sink: unknown;
  const warmUntil = performance.now() + Math.min(500, durationMs / 3);
  while (performance.now() < warmUntil) sink = operation();
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + durationMs;
  let batch = 1;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i += 1) sink = operation();
    iterations += batch;
    batch = Math.min(batch * 2, 1024);
  }
  const elapsedNs = Number(process.hrtime.bigint() - start);
  if (sink === Symbol.for('never')) process.stdout.write('');
  const nsPerOp = elapsedNs / iterations;
  return { name, opsPerSecond: 1e9 / nsPerOp, nsPerOp };
}

/**
 * The cost of `subject` relative to `reference`, measured in alternating short rounds so that a
 * change of load on the machine weighs on both alike: the median of the per-round ratios of
 * nanoseconds per operation.
 */
export function pairedCostRatio(reference: () => unknown, subject: () => unknown, rounds = 9, roundMs = 300): { ratio: number; referenceNs: number; subjectNs: number } {
  const ratios: number[] = [];
  const referenceNs: number[] = [];
  const subjectNs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const a = measure('reference', reference, roundMs).nsPerOp;
    const b = measure('subject', subject, roundMs).nsPerOp;
    referenceNs.push(a);
    subjectNs.push(b);
    ratios.push(b / a);
  }
  const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? Number.NaN;
  return { ratio: median(ratios), referenceNs: median(referenceNs), subjectNs: median(subjectNs) };
}

/** Records and prints a figure with its target. */
export function report(label: string, value: string, target: string, ok: boolean): void {
  verdicts.push({ label, value, target, ok });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${label}: ${value} (target ${target})\n`);
}

/** Records a verdict already printed elsewhere (by a benchmark run in a process of its own). */
export function recordVerdict(verdict: Verdict): void {
  verdicts.push(verdict);
}

/** Prints a figure that has no target of its own (a breakdown, a contender, how a result was checked). */
export function info(label: string, value: string): void {
  process.stdout.write(`info  ${label}: ${value}\n`);
}

export function formatRate(opsPerSecond: number): string {
  return `${Math.round(opsPerSecond).toLocaleString('en-US')}/s`;
}

/** Every verdict so far, for the summary. */
export function allVerdicts(): readonly Verdict[] {
  return verdicts;
}

/** `gc()`, exposed at run time when node was not started with --expose-gc. */
export function exposedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The process's memory after three full collections, each followed by a turn of the event loop. */
export async function settledMemory(gc: () => void): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage();
}

/**
 * Whether the module at `moduleUrl` is its process's entry point: a benchmark's child process
 * answers its parent over IPC only then, not when a suite forked in a process of its own (and so
 * with an IPC channel too) merely imports it.
 */
export function isEntry(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl);
}
