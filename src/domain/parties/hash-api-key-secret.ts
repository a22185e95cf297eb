/**
 * API key secrets are stored as their SHA-256 only. A plain (unsalted, fast) hash is enough here
 * because the secrets are random with at least 160 bits of entropy: unlike a password, nothing
 * can be guessed from a dictionary, and the hash lets a request's key be found by an index lookup.
 */
import { sha256Hex } from '../tariff/index.ts';

/**
 * Lower-case hex SHA-256 of the secret's UTF-8 bytes: the value `ApiKey.keyHash` holds.
 *
 * @example hashApiKeySecret('abc') // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export function hashApiKeySecret(secret: string): string {
  return sha256Hex(secret);
}
