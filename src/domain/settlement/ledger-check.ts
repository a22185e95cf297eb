/**
 * A settlement run's check against the ledger (docs/settlement.md): every figure of a statement
 * that the ledger also holds must equal the postings of the journals of the items it settles, to
 * the cent. The ledger holds, per charge journal (docs/ledger.md): the gross on the subscriber's
 * receivable, the VAT on the billing carrier's `vat_payable`, the billing carrier's fees
 * (collection fee + bad-debt allowance + interconnect, one posting) on its revenue, the hosting
 * share on the hosting carrier's revenue, the merchant share on its payable, and the amount due
 * between carriers on `owes` (mirrored by `due_from`). A refund journal posts the refund's parts,
 * negated. Net, minutes and counts are not in the ledger. Pure.
 */
import { Accounts } from '../ledger/index.ts';
import { addTotals, type Statement, type StatementKind, type Totals, ZERO_TOTALS } from './statement.ts';

/** The account under which the receivables of every subscriber are summed. */
export const SUBSCRIBER_RECEIVABLES = 'subscriber:*:receivable';

export type ItemType = 'charge' | 'refund';

/** The sum of the postings on one account of the journals of a pair's items of one type. */
export interface LedgerAccountSum {
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly itemType: ItemType;
  /** An account name, or {@link SUBSCRIBER_RECEIVABLES}. */
  readonly account: string;
  readonly postedMinor: bigint;
}

/** The figures the ledger can confirm, in a charge's sense: what the subscriber owes, and each party's part of it. */
interface Figures {
  grossMinor: bigint;
  vatMinor: bigint;
  billingFeesMinor: bigint;
  hostingShareMinor: bigint;
  merchantShareMinor: bigint;
  amountDueMinor: bigint;
}

const FIGURES = ['grossMinor', 'vatMinor', 'billingFeesMinor', 'hostingShareMinor', 'merchantShareMinor', 'amountDueMinor'] as const;

const VAT_PAYABLE = /^carrier:[^:]+:vat_payable$/;
const REVENUE = /^carrier:[^:]+:revenue$/;
const MERCHANT_PAYABLE = /^merchant:[^:]+:payable$/;
const INTER_CARRIER = /^carrier:[^:]+:(owes|due_from):[^:]+$/;

/** What a statement's items of one type say, in a charge's sense (refunds negated, as their journals are). */
function statementFigures(statement: Statement, itemType: ItemType): Figures {
  const parts = [statement.current, ...statement.adjustments];
  const t: Totals = parts.map((part) => (itemType === 'charge' ? part.charges : part.refunds)).reduce(addTotals, ZERO_TOTALS);
  const sign = itemType === 'charge' ? 1n : -1n;
  const due = statement.kind === 'carrier' ? t.hostingShareMinor + t.merchantShareMinor : t.merchantShareMinor;
  return {
    grossMinor: sign * t.grossMinor, vatMinor: sign * t.vatMinor, billingFeesMinor: sign * (t.collectionFeeMinor + t.badDebtMinor + t.interconnectMinor),
    hostingShareMinor: sign * t.hostingShareMinor, merchantShareMinor: sign * t.merchantShareMinor, amountDueMinor: sign * due,
  };
}

/** The accounts of a statement's parties, named once per statement. */
interface PartyAccounts {
  readonly kind: StatementKind;
  readonly hostingRevenue: string;
  /** Carrier statements: the billing carrier's VAT and revenue, its debt to the host and the host's mirror of it. */
  readonly billingVat: string;
  readonly billingRevenue: string;
  readonly owes: string;
  readonly dueFrom: string;
  /** Merchant statements: the merchant's payable. */
  readonly merchantPayable: string;
}

function partyAccounts(statement: Statement): PartyAccounts {
  const { kind, debtorId, creditorId } = statement;
  if (kind === 'carrier') {
    return {
      kind, hostingRevenue: Accounts.carrierRevenue(creditorId), billingVat: Accounts.carrierVatPayable(debtorId), billingRevenue: Accounts.carrierRevenue(debtorId),
      owes: Accounts.carrierOwes(debtorId, creditorId), dueFrom: Accounts.carrierDueFrom(creditorId, debtorId), merchantPayable: '',
    };
  }
  return { kind, hostingRevenue: Accounts.carrierRevenue(debtorId), billingVat: '', billingRevenue: '', owes: '', dueFrom: '', merchantPayable: Accounts.merchantPayable(creditorId) };
}

/**
 * Reads one account's postings into the figures of a statement between the parties of
 * `accounts`. Returns false for an account such journals never post to.
 */
function addPosting(figures: Figures, accounts: PartyAccounts, account: string, postedMinor: bigint): boolean {
  if (account === SUBSCRIBER_RECEIVABLES) figures.grossMinor += postedMinor;
  else if (account === accounts.hostingRevenue) figures.hostingShareMinor -= postedMinor;
  else if (accounts.kind === 'carrier') {
    if (account === accounts.billingVat) figures.vatMinor -= postedMinor;
    else if (account === accounts.billingRevenue) figures.billingFeesMinor -= postedMinor;
    else if (MERCHANT_PAYABLE.test(account)) figures.merchantShareMinor -= postedMinor;
    else if (account === accounts.owes) figures.amountDueMinor -= postedMinor;
    // The mirror in the creditor's books: checked by `ledger verify` (journals balance), not a figure.
    else if (account !== accounts.dueFrom) return false;
  } else if (VAT_PAYABLE.test(account)) figures.vatMinor -= postedMinor;
  else if (REVENUE.test(account)) figures.billingFeesMinor -= postedMinor;
  else if (account === accounts.merchantPayable) {
    figures.merchantShareMinor -= postedMinor;
    figures.amountDueMinor -= postedMinor;
  } else if (!INTER_CARRIER.test(account)) return false; // the carriers' leg belongs to the carrier statement
  return true;
}

const emptyFigures = (): Figures => ({ grossMinor: 0n, vatMinor: 0n, billingFeesMinor: 0n, hostingShareMinor: 0n, merchantShareMinor: 0n, amountDueMinor: 0n });

/**
 * Compares every statement with the ledger's postings of its items, figure by figure and item
 * type by item type: gross, VAT, the billing carrier's fees, the hosting and merchant shares and
 * the amount due. Returns one sentence per discrepancy (none: the statements agree with the
 * ledger), including postings to accounts such journals never use and postings of a pair that
 * has no statement.
 *
 * @example ledgerDiscrepancies(statements, sums) // ["stm_2026-10_carrier_a_h charges: hostingShareMinor 87 in the statement, 86 in the ledger"]
 */
export function ledgerDiscrepancies(statements: readonly Statement[], sums: readonly LedgerAccountSum[]): string[] {
  const byPair = new Map<string, LedgerAccountSum[]>();
  for (const sum of sums) {
    const key = `${sum.kind}|${sum.debtorId}|${sum.creditorId}`;
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [sum]);
    else list.push(sum);
  }
  const problems: string[] = [];
  for (const statement of statements) {
    const key = `${statement.kind}|${statement.debtorId}|${statement.creditorId}`;
    const pairSums = byPair.get(key) ?? [];
    byPair.delete(key);
    const accounts = partyAccounts(statement);
    for (const itemType of ['charge', 'refund'] as const) {
      const ledger = emptyFigures();
      for (const sum of pairSums) {
        if (sum.itemType !== itemType) continue;
        if (!addPosting(ledger, accounts, sum.account, sum.postedMinor)) problems.push(`${statement.id} ${itemType}s: ${sum.postedMinor} minor units posted to ${sum.account}`);
      }
      const expected = statementFigures(statement, itemType);
      for (const figure of FIGURES) {
        if (expected[figure] !== ledger[figure]) problems.push(`${statement.id} ${itemType}s: ${figure} ${expected[figure]} in the statement, ${ledger[figure]} in the ledger`);
      }
    }
  }
  for (const [key, pairSums] of byPair) {
    for (const sum of pairSums) if (sum.postedMinor !== 0n) problems.push(`${key}: ${sum.postedMinor} minor units posted to ${sum.account} without a statement`);
  }
  return problems;
}
