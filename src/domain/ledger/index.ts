/** The double-entry ledger: chart of accounts, balanced journals, reversals, the revenue-share waterfall. */
export { ACCOUNT_PATTERN, Accounts, isAccountName } from './accounts.ts';
export {
  assertBalanced, type Journal, type JournalDraft, type JournalKind, JOURNAL_KINDS, journalProblems, type Posting, reversalOf, sumsByCurrency,
} from './journal.ts';
export {
  type ChargeParties, chargePostings, refundPostings, refundWaterfall, revenueWaterfall, type ShareTerms, type Waterfall,
} from './revenue-share.ts';
