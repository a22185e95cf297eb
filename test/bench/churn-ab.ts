/**
 * A development tool, not part of `npm run bench`: the churn benchmark's load (broker-churn.ts)
 * against two servers in one process — this checkout's and a baseline checkout's (another commit,
 * e.g. `git worktree add ../base HEAD~1` with its node_modules linked) — in rounds that alternate,
 * the order swapped every round. Each round reports the server thread's CPU a flow; the verdict is
 * the median of the rounds' ratios (this checkout over the baseline).
 *
 * Why: on the shared 2-core VMs the churn rate of one run moves by ±10 % from minute to minute, more
 * than most changes; two runs of the same code an hour apart differed by 25 %. Servers measured in
 * the same process, a few seconds apart and in alternating order, share the machine's state:
 * changes of 3–10 % showed in every round.
 *
 * @example node --import tsx test/bench/churn-ab.ts ../base 6
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type * as BenchWorldModule from './bench-world.ts';
import { runChurnClients } from './churn-clients.ts';
import { mainThreadCpuMs } from './thread-cpu.ts';
import type * as ServerModule from '../../src/server.ts';

const SUBSCRIBERS = 200;
const EXTRA_MERCHANT_KEYS = 12;
const WINDOW_MS = 5_000;

interface Contender {
  readonly label: string;
  readonly server: ServerModule.RunningServer;
  readonly world: BenchWorldModule.BenchWorld;
  readonly offerId: string;
  readonly removeFile: () => void;
  readonly cpuMsPerFlow: number[];
}

async function start(checkout: string, label: string): Promise<Contender> {
  const url = (path: string): string => pathToFileURL(resolve(checkout, path)).href;
  const { createLogger, startServer } = await import(url('src/server.ts')) as typeof ServerModule;
  const bench = await import(url('test/bench/bench-world.ts')) as typeof BenchWorldModule;
  const file = bench.temporarySqlitePath();
  const seeded: { world: BenchWorldModule.BenchWorld | null } = { world: null };
  const server = await startServer({
    database: { dialect: 'sqlite', path: file.path }, host: '127.0.0.1', port: 0,
    logger: createLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) }),
    beforeStart: async ({ store }) => {
      seeded.world = await bench.seedBenchWorld(store, Date.now() - 86_400_000, { subscribers: SUBSCRIBERS, merchantKeys: EXTRA_MERCHANT_KEYS });
    },
  });
  if (seeded.world === null) throw new Error(`${label}: the database was not seeded`);
  return { label, server, world: seeded.world, offerId: bench.BENCH_OFFER_ID, removeFile: file.remove, cpuMsPerFlow: [] };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const [baselineDir, roundsArg] = process.argv.slice(2);
if (baselineDir === undefined) {
  process.stderr.write('usage: node --import tsx test/bench/churn-ab.ts <baseline checkout> [rounds, default 6]\n');
  process.exit(2);
}
const rounds = Number.parseInt(roundsArg ?? '6', 10);
const contenders = [await start(baselineDir, `baseline (${baselineDir})`), await start('.', 'this checkout')];
try {
  for (let round = 0; round < rounds; round += 1) {
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const before = mainThreadCpuMs();
      const result = await runChurnClients({
        url: contender.server.url, offerId: contender.offerId, merchantKeys: contender.world.merchantKeys, subscriberIds: contender.world.subscriberIds,
        users: 1_000, connections: 64, cap: '1.00', meteredMs: 1_100, warmupMs: 2_000, windowMs: WINDOW_MS,
      });
      const after = mainThreadCpuMs();
      if (before === null || after === null) throw new Error('the thread CPU time is read from /proc (Linux only)');
      if (Object.keys(result.failures).length > 0) throw new Error(`${contender.label}: failed steps ${JSON.stringify(result.failures)}`);
      contender.cpuMsPerFlow.push((after - before) / result.completed);
      const rate = (result.completedInWindow * 1000) / result.windowMs;
      process.stdout.write(`round ${round + 1}, ${contender.label}: ${rate.toFixed(0)} flows/s, ${(contender.cpuMsPerFlow.at(-1) ?? 0).toFixed(2)} ms of the server thread a flow\n`);
    }
  }
  const [baseline, candidate] = contenders as [Contender, Contender];
  const ratios = candidate.cpuMsPerFlow.map((ms, i) => ms / (baseline.cpuMsPerFlow[i] ?? Number.NaN));
  process.stdout.write(`\nserver thread a flow, median of ${rounds} rounds: this checkout ${median(candidate.cpuMsPerFlow).toFixed(2)} ms, baseline ${median(baseline.cpuMsPerFlow).toFixed(2)} ms\n`
    + `ratio (this / baseline) per round: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}\n`);
} finally {
  for (const contender of contenders) {
    await contender.server.stop();
    contender.removeFile();
  }
}
