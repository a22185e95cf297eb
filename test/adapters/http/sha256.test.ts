/**
 * The request path's native SHA-256 (src/adapters/http/sha256.ts) gives the digest of the domain's
 * pure-JS one, which hashed every stored API key and token: for any string (any UTF-16, lone
 * surrogates included, which both encode as U+FFFD), and for the standard test vectors.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { sha256Hex as nativeSha256Hex } from '../../../src/adapters/http/sha256.ts';
import { sha256Hex } from '../../../src/domain/index.ts';

it('native SHA-256 equals the domain’s for the FIPS 180-2 vectors', () => {
  assert.equal(nativeSha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(nativeSha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex('abc'), nativeSha256Hex('abc'));
});

it('native SHA-256 equals the domain’s for any string', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 })), (text) => {
    assert.equal(nativeSha256Hex(text), sha256Hex(text));
  }), { numRuns: 500 });
});
