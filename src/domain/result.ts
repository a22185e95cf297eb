/**
 * Expected outcomes are values (STYLE.md rule 7): a function that can be refused returns a
 * `Result`, and its errors carry a closed set of snake_case codes.
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/**
 * One broken rule of an input: the field (a path such as `tiers[1].price`), the rule's stable
 * snake_case code and a sentence for a human.
 */
export interface Violation {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** Renders a path of keys and indexes as `tiers[1].price`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}
