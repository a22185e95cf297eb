/**
 * The token buckets of the API's rate limits (src/adapters/http/rate-limit.ts): a burst, then one
 * request per refill, Retry-After in whole seconds; and the bound on buckets kept: full buckets are
 * dropped first (a caller coming back finds a full bucket either way), busy ones only when there
 * are too many, and a dropped bucket never gives a busy caller more than its burst.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RateLimiter } from '../../../src/adapters/http/rate-limit.ts';

const LIMIT = { perSecond: 2, burst: 3 };

it('a burst, then one request per refill, with the seconds to wait', () => {
  const limiter = new RateLimiter();
  assert.deepEqual([0, 1, 2].map(() => limiter.take('k', LIMIT, 1_000)), [0, 0, 0]);
  assert.equal(limiter.take('k', LIMIT, 1_000), 1, 'empty: retry after a second');
  assert.equal(limiter.take('k', LIMIT, 1_499), 1, 'not yet a whole token (0.998)');
  assert.equal(limiter.take('k', LIMIT, 1_500), 0, 'one token refilled in 500 ms');
  assert.equal(limiter.take('other', LIMIT, 1_500), 0, 'each key its own bucket');
  assert.equal(limiter.take('slow', { perSecond: 0.1, burst: 1 }, 0), 0);
  assert.equal(limiter.take('slow', { perSecond: 0.1, burst: 1 }, 0), 10, 'a token every 10 s');
});

it('full buckets are dropped at the bound, busy ones kept', () => {
  const limiter = new RateLimiter(10);
  for (let i = 0; i < 5; i += 1) limiter.take(`idle-${i}`, LIMIT, 0);
  for (let i = 0; i < 5; i += 1) for (let n = 0; n < 3; n += 1) limiter.take(`busy-${i}`, LIMIT, 1_000);
  assert.equal(limiter.size, 10);
  // At 1.2 s the idle buckets are full again (one token used at 0, refilled by 0.5 s); the busy ones are empty.
  assert.equal(limiter.take('new', LIMIT, 1_200), 0);
  assert.equal(limiter.size, 6, 'the five full buckets dropped, the new one added');
  for (let i = 0; i < 5; i += 1) assert.equal(limiter.take(`busy-${i}`, LIMIT, 1_200), 1, `busy-${i} still empty`);
});

it('with every bucket busy, the oldest go, down to nine tenths of the bound', () => {
  const limiter = new RateLimiter(10);
  for (let i = 0; i < 10; i += 1) for (let n = 0; n < 3; n += 1) limiter.take(`busy-${i}`, LIMIT, 0);
  assert.equal(limiter.take('new', LIMIT, 100), 0);
  assert.equal(limiter.size, 9 + 1);
  assert.equal(limiter.take('busy-9', LIMIT, 100), 1, 'the newest busy bucket is kept');
  assert.equal(limiter.take('busy-0', LIMIT, 100), 0, 'the oldest was dropped: a fresh burst');
});
