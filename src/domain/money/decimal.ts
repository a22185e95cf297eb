/**
 * The one decimal.js clone Palier computes money with. It is private to `src/domain/money`: other
 * modules use `Money`, `Rate` and the helpers exported from the folder's index.
 *
 * Precision is 60 significant digits, far above any amount we handle (10^12 minor units with 6
 * decimals is 19 digits), so sums and products of finite decimals are exact; only divisions can
 * round, and they round half-even at the 60th digit. Exponent notation is disabled in toString()
 * so that every amount prints as a plain decimal string.
 */
import { Decimal } from 'decimal.js';

export const Dec = Decimal.clone({
  precision: 60,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Dec = Decimal;

/** A decimal.js rounding constant. */
export type DecimalRounding = Decimal.Rounding;

/** Plain decimal strings: an optional minus sign, digits, an optional fraction. No exponent, no '+'. */
export const DECIMAL_STRING_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Longest decimal string accepted from outside (digits and separators): well above 10^18 with 12 decimals. */
export const DECIMAL_STRING_LENGTH_MAX = 40;

/**
 * Builds a decimal from a plain decimal string or a bigint. Numbers are refused at compile time by
 * the signature and at run time by the check, so that a float never becomes money.
 */
export function toDec(value: string | bigint): Dec {
  if (typeof value === 'bigint') return new Dec(value.toString());
  if (typeof value !== 'string') throw new TypeError(`money is built from strings or bigints, got ${typeof value}`);
  if (value.length > DECIMAL_STRING_LENGTH_MAX || !DECIMAL_STRING_PATTERN.test(value)) {
    throw new RangeError(`not a plain decimal string: ${JSON.stringify(value.slice(0, DECIMAL_STRING_LENGTH_MAX))}`);
  }
  return new Dec(value);
}

/** True when `value` is a plain decimal string that {@link toDec} accepts. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= DECIMAL_STRING_LENGTH_MAX && DECIMAL_STRING_PATTERN.test(value);
}

/** Number of digits after the decimal point in a decimal string ("0.340" has 3). */
export function decimalPlacesOf(value: string): number {
  const dot = value.indexOf('.');
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** The bigint of an integral decimal; a fraction here is a bug. */
export function decimalToBigInt(value: Dec): bigint {
  if (!value.isInteger()) throw new RangeError(`not an integer: ${value.toString()}`);
  return BigInt(value.toFixed(0)); // ok: decimal.js toFixed of an integer is its exact digits
}
