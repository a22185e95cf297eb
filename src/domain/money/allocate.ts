/**
 * Exact allocation of an integer total by weights (largest remainder, as in Formance's ledger):
 * each part gets the floor of its exact share, then the units left over go one at a time to the
 * parts with the largest remainders (ties to the earlier part). The parts always sum to the total.
 */
import { assert } from '../assert.ts';
import { Dec, decimalToBigInt } from './decimal.ts';
import { Money } from './money.ts';
import type { Rate } from './rate.ts';

/**
 * Splits `totalMinor` into parts proportional to `weights` (non-negative, not all zero).
 *
 * @example allocateMinorUnits(100n, [Rate.of('1'), Rate.of('1'), Rate.of('1')]) // [34n, 33n, 33n]
 */
export function allocateMinorUnits(totalMinor: bigint, weights: readonly Rate[]): bigint[] {
  assert(weights.length > 0, 'allocate: at least one weight');
  const integerWeights = scaleToIntegers(weights);
  const weightSum = integerWeights.reduce((sum, weight) => sum + weight, 0n);
  assert(weightSum > 0n, 'allocate: the weights must not all be zero');

  const negative = totalMinor < 0n;
  const magnitude = negative ? -totalMinor : totalMinor;
  const parts = integerWeights.map((weight) => (magnitude * weight) / weightSum);
  const remainders = integerWeights.map((weight, index) => ({ index, remainder: (magnitude * weight) % weightSum }));
  let leftover = magnitude - parts.reduce((sum, part) => sum + part, 0n);
  assert(leftover >= 0n && leftover < BigInt(parts.length), 'allocate: leftover is less than one unit per part');

  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (leftover === 0n) break;
    parts[index] = (parts[index] ?? 0n) + 1n;
    leftover -= 1n;
  }
  const signed = negative ? parts.map((part) => -part) : parts;
  assert(signed.reduce((sum, part) => sum + part, 0n) === totalMinor, 'allocate: the parts sum to the total');
  return signed;
}

/**
 * Splits a Money (a whole number of minor units) into parts proportional to `weights`.
 *
 * @example allocate(Money.of('10.00', 'EUR'), [Rate.of('0.85'), Rate.of('0.15')]) // 8.50, 1.50
 */
export function allocate(total: Money, weights: readonly Rate[]): Money[] {
  return allocateMinorUnits(total.toMinorUnits(), weights).map((minor) => Money.fromMinorUnits(minor, total.currency));
}

/** Scales decimal weights to integers with a common power of ten, exactly. */
function scaleToIntegers(weights: readonly Rate[]): bigint[] {
  let places = 0;
  for (const weight of weights) {
    assert(!weight.isNegative(), 'allocate: weights are non-negative');
    places = Math.max(places, weight.decimalPlaces());
  }
  const scale = new Dec(10).pow(places);
  return weights.map((weight) => decimalToBigInt(weight.decimal().times(scale)));
}
