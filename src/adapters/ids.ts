/**
 * Time-ordered unique ids: `<prefix>_` + 10 Crockford base-32 characters of milliseconds + 16 of
 * randomness (a ULID), so ids sort by creation and make stable cursors.
 */
import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../app/ports/index.ts';

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

function encodeRandom(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 32] ?? '0';
  return out;
}

export function ulidGenerator(nowMs: () => number = Date.now): IdGenerator {
  return { newId: (prefix) => `${prefix}_${encodeTime(nowMs())}${encodeRandom()}` };
}
