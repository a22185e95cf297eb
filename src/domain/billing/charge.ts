/**
 * The rated record of a session: what was metered, what was billed, how it splits, and the
 * journal that moved the money. Written once, in the same transaction as its journal.
 */
import type { Currency, Money } from '../money/index.ts';
import type { Waterfall } from '../ledger/index.ts';

export interface Charge {
  readonly id: string;
  readonly sessionId: string;
  readonly subscriberId: string;
  readonly merchantId: string;
  readonly offerId: string;
  readonly billingCarrierId: string;
  readonly hostingCarrierId: string;
  readonly tariffHash: string;
  readonly currency: Currency;
  readonly meteredSeconds: number;
  readonly billedSeconds: number;
  /** Billed amount, tax included, rounded (whole minor units). */
  readonly amount: Money;
  /** The same before rounding. */
  readonly precise: Money;
  readonly net: Money;
  readonly vat: Money;
  readonly split: Waterfall;
  /** The rating breakdown as JSON (lines per span), kept as evidence. */
  readonly ratingJson: string;
  readonly journalId: string;
  readonly meteringStartedAtMs: number;
  readonly createdAtMs: number;
}

export const HOLD_STATUSES = ['pending', 'posted', 'voided'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/**
 * A reservation of a session's cap against the subscriber's monthly budget (two-phase, as
 * TigerBeetle's pending transfers): pending at connect, then posted with the actual amount (the
 * rest released) or voided.
 */
export interface Hold {
  readonly id: string;
  readonly subscriberId: string;
  readonly sessionId: string;
  /** Calendar month in the billing carrier's time zone, "YYYY-MM". */
  readonly period: string;
  readonly currency: Currency;
  readonly amountMinor: bigint;
  readonly status: HoldStatus;
  readonly postedMinor: bigint | null;
  readonly chargeId: string | null;
  readonly createdAtMs: number;
  readonly resolvedAtMs: number | null;
}

/** A full or partial refund of a charge, with the parts of the waterfall it gives back. */
export interface Refund {
  readonly id: string;
  readonly chargeId: string;
  readonly amountMinor: bigint;
  readonly currency: Currency;
  readonly reason: string;
  readonly split: Waterfall;
  readonly journalId: string;
  /** Who refunded: `operator:<carrier>` or `merchant:<id>`. */
  readonly createdBy: string;
  readonly createdAtMs: number;
}
