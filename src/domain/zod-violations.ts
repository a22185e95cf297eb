/**
 * Turns zod issues into `Violation`s with stable rule codes, so that every input error in Palier,
 * from a tariff file or an HTTP body, names the field and the rule the same way.
 */
import type { z } from 'zod';
import { fieldPath, type Violation } from './result.ts';

/** Rule code of a zod issue: `required`, `type`, `unknown_field`, `min`, `max`, `format`, `enum`, … */
function ruleOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': return valueAt(input, issue.path) === undefined ? 'required' : 'type';
    case 'too_small': return 'min';
    case 'too_big': return 'max';
    case 'invalid_format': return 'format';
    // zod reports a missing enum or literal as a wrong value; a missing field is `required` whatever its type.
    case 'invalid_value': return valueAt(input, issue.path) === undefined ? 'required' : 'enum';
    case 'unrecognized_keys': return 'unknown_field';
    case 'not_multiple_of': return 'multiple_of';
    case 'custom': {
      const rule: unknown = issue.params?.['rule'];
      return typeof rule === 'string' ? rule : 'invalid';
    }
    case 'invalid_union': case 'invalid_key': case 'invalid_element': return 'invalid';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One violation per zod issue (one per unknown key), in the order zod reports them. */
export function zodViolations(error: z.ZodError, input: unknown): Violation[] {
  const out: Violation[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: fieldPath([...issue.path, key]), rule: 'unknown_field', message: 'is not a known field' });
      }
      continue;
    }
    const rule = ruleOf(issue, input);
    const message = rule === 'required' ? 'is required' : issue.message;
    out.push({ field: fieldPath(issue.path), rule, message });
  }
  return out;
}
