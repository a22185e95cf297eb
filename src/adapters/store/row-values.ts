/** Explicit conversions between database values and domain values (STYLE.md rule 16). */
import { assert, type Currency, Money } from '../../domain/index.ts';

/** An integer column as bigint (money in minor units, instants in ms). */
export function asBigInt(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    assert(/^-?[0-9]+$/.test(value), () => `integer column holds ${value}`);
    return BigInt(value);
  }
  assert(Number.isSafeInteger(value), () => `integer column holds ${value}`);
  return BigInt(value);
}

/** A small integer column (seconds, counts, instants in ms) as a JS number; never money. */
export function asNumber(value: bigint | number | string): number {
  const big = asBigInt(value);
  assert(big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER), 'integer column fits a safe number');
  return Number(big);
}

export function asNumberOrNull(value: bigint | number | string | null): number | null {
  return value === null ? null : asNumber(value);
}

export function asBoolean(value: bigint | number): boolean {
  return asBigInt(value) !== 0n;
}

/**
 * A precise (unrounded) amount column as Money, exactly. Rating writes it to 60 significant
 * digits when it does not terminate (0.80 €/min for 437 s is 5.8266…), longer than the decimal
 * strings `Money.of` accepts from outside (40 characters): our own column is read as a scaled
 * integer instead, with no length limit and no rounding.
 */
export function asPreciseMoney(value: string, currency: Currency): Money {
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(value);
  assert(match !== null, () => `precise amount column holds ${value}`);
  const fraction = match[3] ?? '';
  return Money.fromScaledInteger(BigInt(`${match[1] ?? ''}${match[2] ?? ''}${fraction}`), fraction.length, currency);
}
