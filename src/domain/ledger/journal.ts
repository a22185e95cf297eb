/**
 * Journals: sets of postings that sum to zero per currency, append-only. A correction is a
 * reversal journal pointing at the original, never an edit (STYLE.md rule 11).
 */
import { assert } from '../assert.ts';
import type { Currency } from '../money/index.ts';
import { isAccountName } from './accounts.ts';

export const JOURNAL_KINDS = ['charge', 'refund', 'reversal', 'adjustment', 'settlement'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

/** One line of a journal. `amountMinor` is signed: positive = debit, negative = credit. */
export interface Posting {
  readonly account: string;
  readonly currency: Currency;
  readonly amountMinor: bigint;
}

export interface JournalDraft {
  readonly kind: JournalKind;
  /** What caused the journal, e.g. `charge` / its id. */
  readonly causeType: string;
  readonly causeId: string;
  readonly description: string;
  readonly reversesJournalId: string | null;
  readonly postings: readonly Posting[];
}

export interface Journal extends JournalDraft {
  readonly id: string;
  readonly createdAtMs: number;
}

/** Sum of postings per currency (a balanced journal has every sum at zero). */
export function sumsByCurrency(postings: readonly Posting[]): Map<Currency, bigint> {
  const sums = new Map<Currency, bigint>();
  for (const posting of postings) sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
  return sums;
}

/** Why a journal draft is not acceptable, or an empty list. */
export function journalProblems(draft: JournalDraft): string[] {
  const problems: string[] = [];
  if (draft.postings.length < 2) problems.push('a journal has at least two postings');
  for (const posting of draft.postings) {
    if (!isAccountName(posting.account)) problems.push(`account ${posting.account} is not a chart-of-accounts name`);
    if (typeof posting.amountMinor !== 'bigint') problems.push('amounts are bigint minor units');
  }
  for (const [currency, sum] of sumsByCurrency(draft.postings)) {
    if (sum !== 0n) problems.push(`postings in ${currency} sum to ${sum}, not 0`);
  }
  return problems;
}

/** Asserts the journal is balanced and well-formed: writing an unbalanced journal is a bug. */
export function assertBalanced(draft: JournalDraft): void {
  const problems = journalProblems(draft);
  assert(problems.length === 0, () => `unbalanced journal: ${problems.join('; ')}`);
}

/** The reversal of `original`: the same postings negated, pointing back at it. */
export function reversalOf(original: Journal, cause: { causeType: string; causeId: string; description: string }): JournalDraft {
  return {
    kind: 'reversal',
    causeType: cause.causeType,
    causeId: cause.causeId,
    description: cause.description,
    reversesJournalId: original.id,
    postings: original.postings.map((posting) => ({ ...posting, amountMinor: -posting.amountMinor })),
  };
}
