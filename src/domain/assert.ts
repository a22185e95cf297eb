/**
 * Invariant checks. A failed assertion is a bug, not an expected outcome: it throws and is never
 * caught below the request boundary (STYLE.md rule 7). Expected outcomes are returned as values.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/**
 * Throws an {@link AssertionError} with `message` when `condition` is false. On a hot path, give
 * the message as a function when writing it costs something (a join, a number or an amount
 * formatted): it is then written only when the check fails.
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'string' ? message : message());
}
