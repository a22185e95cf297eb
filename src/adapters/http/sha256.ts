/**
 * SHA-256 on the request path, with node's native hash: every request hashes its bearer secret and
 * every POST its body (the idempotency record's request hash). Same digest as the domain's pure-JS
 * `sha256Hex` (which keeps the domain free of node:crypto), about four times faster: 1.2–1.5 µs
 * against 4.9–5.8 µs for a 200-byte body.
 */
import { createHash } from 'node:crypto';

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
