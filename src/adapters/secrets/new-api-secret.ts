/** Random API key secrets: a prefix naming the kind, then 160 random bits in base 32. */
import { API_SECRET_RANDOM_BYTES } from '../../app/limits.ts';
import { pooledRandomBytes } from '../random-pool.ts';

/** RFC 4648 base 32, lower case: no characters that need escaping in a header or a shell. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Base 32 of `bytes`, without padding (20 bytes give exactly 32 characters). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >> (bits - 5)) & 31] ?? '';
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31] ?? '';
  return out;
}

/**
 * A fresh secret: `prefix` + base 32 of API_SECRET_RANDOM_BYTES random bytes. Only its SHA-256
 * (hashApiKeySecret) is ever stored.
 *
 * @example newApiSecret() // "pk_demo_k3v7…" (32 characters after the prefix)
 */
export function newApiSecret(prefix = 'pk_demo_'): string {
  return `${prefix}${base32(pooledRandomBytes(API_SECRET_RANDOM_BYTES))}`;
}
