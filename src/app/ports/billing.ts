/**
 * The storage port of reconciliation, the subscriber's bill and the merchant's payout: reads
 * only, in domain types (STYLE.md rule 15).
 */
import type { Currency, OurCharge } from '../../domain/index.ts';

/** A charge as it appears on the subscriber's bill. */
export interface BillCharge {
  readonly chargeId: string;
  readonly sessionId: string;
  readonly merchantName: string;
  readonly offerName: string;
  /** Its tariff version: the VAT rate comes from there. */
  readonly tariffHash: string;
  readonly currency: Currency;
  /** When metering started: the date and time printed on the line. */
  readonly startedAtMs: number;
  readonly billedSeconds: number;
  /** Tax included, excluding tax and VAT, in minor units (gross = net + VAT). */
  readonly grossMinor: bigint;
  readonly netMinor: bigint;
  readonly vatMinor: bigint;
}

/** A refund as it appears on the bill of the month it was made. */
export interface BillRefund {
  readonly refundId: string;
  readonly chargeId: string;
  readonly merchantName: string;
  readonly offerName: string;
  readonly tariffHash: string;
  readonly currency: Currency;
  readonly createdAtMs: number;
  /** Given back, tax included, and its VAT part (from the refund's waterfall), in minor units. */
  readonly grossMinor: bigint;
  readonly netMinor: bigint;
  readonly vatMinor: bigint;
}

/**
 * The items a payout covers: those a closed merchant statement settled, or for an open period what
 * closing it now would settle for the merchant — its unsettled charges rated in the period, and
 * the unsettled refunds made before the period's end of those charges or of charges an earlier
 * closed period settled (late refunds, settled as adjustments).
 */
export type PayoutSource =
  | { readonly kind: 'statement'; readonly statementId: string }
  | { readonly kind: 'period'; readonly merchantId: string; readonly startMs: number; readonly endMs: number };

/** What a payout covers of one offer. */
export interface PayoutOfferRow {
  readonly offerId: string;
  readonly offerName: string;
  readonly currency: Currency;
  readonly sessions: number;
  readonly billedSeconds: bigint;
  readonly grossMinor: bigint;
  readonly merchantShareMinor: bigint;
  readonly refunds: number;
  readonly refundedMinor: bigint;
  /** The merchant's part of the refunds: deducted from what it is owed. */
  readonly refundedShareMinor: bigint;
  /** Ratings of the sessions of these charges: how many, and the sum of their stars. */
  readonly ratings: number;
  readonly starsSum: number;
}

export interface BillingStore {
  /**
   * Calls `onBatch` with the charges a statement settled, a batch at a time, all read from one
   * snapshot (and on SQLite in a worker thread, so the event loop is never held). Resolves to how
   * many there were. Refunds are not included: a declaration lists charges.
   */
  eachStatementCharge(statementId: string, onBatch: (charges: readonly OurCharge[]) => void): Promise<number>;
  /** A subscriber's charges rated in [startMs, endMs) and refunds of their charges made in it, oldest first. */
  subscriberBillItems(subscriberId: string, startMs: number, endMs: number): Promise<{ charges: BillCharge[]; refunds: BillRefund[] }>;
  /** A payout's items aggregated per offer, by offer id. */
  payoutByOffer(source: PayoutSource): Promise<PayoutOfferRow[]>;
}
