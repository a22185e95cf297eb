/**
 * The invariant check (src/domain/assert.ts): a failed check throws an AssertionError with its
 * message; a message given as a function is written only when the check fails (hot paths).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assert as invariant, AssertionError } from '../../src/domain/assert.ts';

it('a passing check throws nothing and never writes a lazy message', () => {
  let written = 0;
  invariant(true, 'plain message');
  invariant(1 + 1 === 2, () => { written += 1; return 'lazy message'; });
  assert.equal(written, 0);
});

it('a failing check throws an AssertionError with the message, plain or written then', () => {
  assert.throws(() => { invariant(false, 'plain message'); }, (error: unknown) => error instanceof AssertionError && error.message === 'plain message');
  let written = 0;
  assert.throws(() => { invariant(false, () => { written += 1; return `lazy ${written}`; }); },
    (error: unknown) => error instanceof AssertionError && error.message === 'lazy 1');
  assert.equal(written, 1);
});
