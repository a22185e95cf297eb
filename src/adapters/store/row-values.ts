/** Explicit conversions between database values and domain values (STYLE.md rule 16). */
import { assert } from '../../domain/index.ts';

/** An integer column as bigint (money in minor units, instants in ms). */
export function asBigInt(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    assert(/^-?[0-9]+$/.test(value), `integer column holds ${value}`);
    return BigInt(value);
  }
  assert(Number.isSafeInteger(value), `integer column holds ${value}`);
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
