/**
 * Rounding modes and exact integer rounding. Rounding happens once, at a boundary chosen by the
 * caller, who passes the mode explicitly (STYLE.md rule 2).
 *
 * - `half-up`: to nearest, a tie goes away from zero (0.125 → 0.13, -0.125 → -0.13).
 * - `half-even`: to nearest, a tie goes to the even neighbour (0.125 → 0.12, 0.135 → 0.14).
 * - `up`: away from zero (0.121 → 0.13).
 * - `down`: towards zero (0.129 → 0.12).
 */
import { assert } from '../assert.ts';
import { Dec, type DecimalRounding } from './decimal.ts';

export const ROUNDING_MODES = ['half-up', 'half-even', 'up', 'down'] as const;
export type RoundingMode = (typeof ROUNDING_MODES)[number];

/** The decimal.js constant for a rounding mode. */
export function decimalRounding(mode: RoundingMode): DecimalRounding {
  switch (mode) {
    case 'half-up': return Dec.ROUND_HALF_UP;
    case 'half-even': return Dec.ROUND_HALF_EVEN;
    case 'up': return Dec.ROUND_UP;
    case 'down': return Dec.ROUND_DOWN;
  }
}

/**
 * Divides two integers and rounds the quotient with `mode`, exactly (no intermediate decimal).
 *
 * @example roundDiv(125n, 10n, 'half-even') // 12n
 */
export function roundDiv(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  assert(denominator > 0n, 'roundDiv: the denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = magnitude / denominator;
  const remainder = magnitude % denominator;
  let rounded = quotient;
  if (remainder !== 0n) {
    switch (mode) {
      case 'down': break;
      case 'up': rounded = quotient + 1n; break;
      case 'half-up': if (2n * remainder >= denominator) rounded = quotient + 1n; break;
      case 'half-even': {
        const twice = 2n * remainder;
        if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) rounded = quotient + 1n;
        break;
      }
    }
  }
  return negative ? -rounded : rounded;
}

/**
 * The smallest non-negative numerator whose `roundDiv` by `denominator` exceeds `value` (≥ 0):
 * where a rounded amount that grows with its numerator next steps up.
 *
 * @example roundDivThreshold(12n, 10n, 'half-up') // 125n: roundDiv(125n, 10n) = 13n, roundDiv(124n, 10n) = 12n
 */
export function roundDivThreshold(value: bigint, denominator: bigint, mode: RoundingMode): bigint {
  assert(denominator > 0n && value >= 0n, 'roundDivThreshold: a positive denominator and a non-negative value');
  const base = value * denominator;
  switch (mode) {
    case 'down': return base + denominator;
    case 'up': return base + 1n;
    case 'half-up': return base + (denominator + 1n) / 2n;
    // A tie goes up only from an odd value.
    case 'half-even': return base + (denominator % 2n === 0n && value % 2n === 1n ? denominator / 2n : denominator / 2n + 1n);
  }
}
