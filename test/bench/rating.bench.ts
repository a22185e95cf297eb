/**
 * Issue 2 benchmarks: rating throughput against the naive per-second reference, rating cost
 * against session length, and the cap inverse.
 */
import assert from 'node:assert/strict';
import { maxAffordableSeconds, Money, rate } from '../../src/domain/index.ts';
import { fixtureTariff } from '../support/fixtures.ts';
import { naiveRate } from '../support/naive-rating.ts';
import { formatRate, measure, pairedCostRatio, report } from './harness.ts';

export function runRatingBenchmarks(): void {
  // 3 tiers, 2 bands (evening/night and week-end), Europe/Paris.
  const tariff = fixtureTariff('kiosque-paliers');
  // Friday 19:30 Paris: an hour that crosses into the evening band.
  const startMs = Date.parse('2026-10-23T17:30:00Z');
  const hour = [{ startMs, seconds: 3600 }];

  const closed = rate(tariff, startMs, 3600);
  const naive = naiveRate(tariff, hour);
  assert.equal(closed.billed.toString(), naive.billed, 'closed form and naive reference agree');
  assert.equal(closed.billedSeconds, naive.billedSeconds);
  process.stdout.write(`rating: 1-hour session from Friday 19:30 Paris = ${closed.billed.toString()} EUR in ${closed.lines.length} spans (naive: ${naive.billed})\n`);

  const fast = measure('rate 1 h', () => rate(tariff, startMs, 3600));
  const slow = measure('naive 1 h', () => naiveRate(tariff, hour), 3000);
  report('rating throughput, 1-hour session, 3 tiers + 2 bands', formatRate(fast.opsPerSecond), '≥ 100,000/s', fast.opsPerSecond >= 100_000);
  const speedup = fast.opsPerSecond / slow.opsPerSecond;
  report('speed-up over the naive per-second reference (same run, same result)', `${Math.round(speedup)}× (naive ${formatRate(slow.opsPerSecond)})`, '≥ 400×', speedup >= 400);

  // Alternating rounds, median ratio: a neighbour's burst on the machine weighs on both sides alike.
  const { ratio, referenceNs, subjectNs } = pairedCostRatio(() => rate(tariff, startMs, 60), () => rate(tariff, startMs, 36_000));
  report('rating cost, 10-hour vs 1-minute session (median of 9 alternating rounds)', `${ratio.toFixed(2)}× (${Math.round(subjectNs)} ns vs ${Math.round(referenceNs)} ns)`, '≤ 1.5×', ratio <= 1.5);

  const cap = Money.of('10.00', 'EUR');
  const inverse = measure('maxAffordableSeconds', () => maxAffordableSeconds(tariff, startMs, cap));
  report('maxAffordableSeconds throughput', formatRate(inverse.opsPerSecond), '≥ 20,000/s', inverse.opsPerSecond >= 20_000);
}
