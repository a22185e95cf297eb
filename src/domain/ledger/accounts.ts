/**
 * The chart of accounts (docs/ledger.md). Accounts are named by colon-separated segments: the
 * party kind, its id, then what the account holds. A posting's amount is signed: positive is a
 * debit (what the party owns or is owed grows), negative a credit (what it owes grows).
 */
import { assert } from '../assert.ts';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function id(value: string): string {
  assert(ID_PATTERN.test(value), () => `account segment ${JSON.stringify(value)} is 1–64 characters of [A-Za-z0-9_-]`);
  return value;
}

export const Accounts = {
  /** What the subscriber owes its billing carrier (debit when charged). */
  subscriberReceivable: (subscriberId: string): string => `subscriber:${id(subscriberId)}:receivable`,
  /** VAT the billing carrier collected and owes the tax authority. */
  carrierVatPayable: (carrierId: string): string => `carrier:${id(carrierId)}:vat_payable`,
  /** A carrier's own income: the collection fee, the hosting share. */
  carrierRevenue: (carrierId: string): string => `carrier:${id(carrierId)}:revenue`,
  /** What the billing carrier `debtorId` owes the hosting carrier `creditorId`. */
  carrierOwes: (debtorId: string, creditorId: string): string => `carrier:${id(debtorId)}:owes:${id(creditorId)}`,
  /** The mirror of `carrierOwes`, in the creditor's books. */
  carrierDueFrom: (creditorId: string, debtorId: string): string => `carrier:${id(creditorId)}:due_from:${id(debtorId)}`,
  /** What the hosting carrier owes the merchant (the merchant's share). */
  merchantPayable: (merchantId: string): string => `merchant:${id(merchantId)}:payable`,
} as const;

/** Account names: `kind:id:what` or `kind:id:what:id`. */
export const ACCOUNT_PATTERN = /^(subscriber|carrier|merchant|operator):[A-Za-z0-9_-]{1,64}:[a-z_]{1,32}(:[A-Za-z0-9_-]{1,64})?$/;

export function isAccountName(value: string): boolean {
  return ACCOUNT_PATTERN.test(value);
}
