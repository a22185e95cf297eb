/**
 * Subscriber numbers are pseudonymised with a keyed HMAC-SHA256 before they reach storage: the
 * same number always gives the same id under one key, and the number cannot be recovered.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { err, ok, type Result } from '../result.ts';

/** E.164: "+", a country code and up to 15 digits in all. */
const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Normalises a number written with spaces, dots or dashes to E.164, or refuses it. */
export function normaliseMsisdn(raw: string): Result<string, 'msisdn_format'> {
  const compact = raw.replace(/[\s.\-()]/g, '');
  return E164.test(compact) ? ok(compact) : err('msisdn_format');
}

/** Hex HMAC-SHA256 of the E.164 number under `key` (at least 32 bytes of secret). */
export function pseudonymiseMsisdn(e164: string, key: Uint8Array): string {
  return bytesToHex(hmac(sha256, key, utf8ToBytes(e164)));
}
