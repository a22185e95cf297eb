/**
 * The pool of random bytes behind ids and secrets (src/adapters/random-pool.ts): every draw is
 * fresh (no two of 20,000 draws of 16 bytes, across many pools, are equal), what was handed out
 * never changes when the pool is spent and replaced, and draws larger than the pool still work.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pooledRandomBytes } from '../../src/adapters/random-pool.ts';

it('draws are distinct across pools and never change afterwards', () => {
  const first = pooledRandomBytes(16);
  const copy = Uint8Array.from(first);
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i += 1) {
    const bytes = pooledRandomBytes(i % 7 === 0 ? 20 : 16);
    assert.equal(bytes.length, i % 7 === 0 ? 20 : 16);
    const hex = Buffer.from(bytes).toString('hex');
    assert.ok(!seen.has(hex), `draw ${i} repeats an earlier one`);
    seen.add(hex);
  }
  assert.deepEqual(Buffer.from(first), Buffer.from(copy), 'the first draw is unchanged after the pool was replaced many times');
});

it('a draw larger than the pool is served whole', () => {
  const bytes = pooledRandomBytes(10_000);
  assert.equal(bytes.length, 10_000);
  assert.ok(new Set(bytes).size > 200, 'the bytes are random, not a fill');
});
