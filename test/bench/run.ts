/**
 * `npm run bench`: every benchmark, each compared with its baseline in the same run. Prints the
 * figures and a summary; exits non-zero when a target is missed. Not part of `npm test`.
 */
import { runBrokerBenchmarks } from './broker.bench.ts';
import { allVerdicts } from './harness.ts';
import { runLiveBenchmarks } from './live.bench.ts';
import { runRatingBenchmarks } from './rating.bench.ts';
import { runReconcileBenchmarks } from './reconcile.bench.ts';
import { runSettlementBenchmarks } from './settlement.bench.ts';
import { runStorageBenchmarks } from './storage.bench.ts';

const suites: Record<string, () => void | Promise<void>> = {
  rating: runRatingBenchmarks, storage: runStorageBenchmarks, broker: runBrokerBenchmarks, live: runLiveBenchmarks,
  reconcile: runReconcileBenchmarks, settlement: runSettlementBenchmarks,
};
const only = process.argv.slice(2);

for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n== ${name} ==\n`);
  await run();
}
const missed = allVerdicts().filter((v) => !v.ok);
process.stdout.write(`\n${allVerdicts().length - missed.length}/${allVerdicts().length} targets met (node ${process.version}, ${process.arch})\n`);
process.exitCode = missed.length === 0 ? 0 : 1;
