/**
 * `npm run bench`: every benchmark, each compared with its baseline in the same run. Prints the
 * figures and a summary; exits non-zero when a target is missed. Not part of `npm test`. Each
 * suite runs in a node process of its own (fresh-process.ts), the broker's benchmarks each in one.
 *
 * @example npm run bench -- live broker
 */
import { type FreshBenchmark, inFreshProcess } from './fresh-process.ts';
import { allVerdicts } from './harness.ts';

const suites: readonly FreshBenchmark[] = ['rating', 'storage', 'broker', 'live', 'reconcile', 'settlement'];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(suites as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown suite ${unknown.join(', ')}: the suites are ${suites.join(', ')}\n`);
  process.exit(2);
}

for (const name of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n== ${name} ==\n`);
  await inFreshProcess(name);
}
const missed = allVerdicts().filter((v) => !v.ok);
process.stdout.write(`\n${allVerdicts().length - missed.length}/${allVerdicts().length} targets met (node ${process.version}, ${process.arch})\n`);
process.exitCode = missed.length === 0 ? 0 : 1;
