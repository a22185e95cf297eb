/**
 * Time-ordered unique ids: `<prefix>_` + 10 Crockford base-32 characters of milliseconds + 16 of
 * randomness (a ULID), so ids sort by creation and make stable cursors.
 */
import type { IdGenerator } from '../app/ports/index.ts';
import { pooledRandomBytes } from './random-pool.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i += 1) {
    out = (ALPHABET[rest % 32] ?? '0') + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function randomDigits(): number[] {
  return Array.from(pooledRandomBytes(16), (byte) => byte % 32);
}

/** Adds one to a base-32 digit string (monotonic ULIDs within one millisecond). */
function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i -= 1) {
    const digit = (next[i] ?? 0) + 1;
    next[i] = digit % 32;
    if (digit < 32) break;
  }
  return next;
}

/**
 * Monotonic within the process: ids made in the same millisecond count up from a random start, so
 * creation order is id order even when the clock stands still (a manual clock in tests).
 */
export function ulidGenerator(nowMs: () => number = Date.now): IdGenerator {
  let lastMs = -1;
  let lastDigits: number[] = [];
  return {
    newId: (prefix) => {
      const ms = nowMs();
      lastDigits = ms <= lastMs ? increment(lastDigits) : randomDigits();
      lastMs = Math.max(ms, lastMs);
      return `${prefix}_${encodeTime(lastMs)}${lastDigits.map((d) => ALPHABET[d] ?? '0').join('')}`;
    },
  };
}
