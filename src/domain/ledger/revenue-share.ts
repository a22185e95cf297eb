/**
 * The revenue-share waterfall of one charge (DESIGN.md §3): price tax included → VAT → net; the
 * billing carrier's collection fee, the hosting carrier's share and the merchant's share of the
 * net, split exactly with `allocate` so that the parts always sum to the net, to the cent.
 */
import { assert } from '../assert.ts';
import { allocateMinorUnits, type Currency, Rate } from '../money/index.ts';
import { Accounts } from './accounts.ts';
import type { Posting } from './journal.ts';

/** Shares as fractions of the net (price excluding VAT). */
export interface ShareTerms {
  /** Kept by the billing carrier for collecting on its bill (ignored when it also hosts the merchant). */
  readonly collectionFeeRate: Rate;
  /** The merchant's share of the net. */
  readonly merchantShareRate: Rate;
}

export interface ChargeParties {
  readonly subscriberId: string;
  readonly billingCarrierId: string;
  readonly hostingCarrierId: string;
  readonly merchantId: string;
}

/** Every amount of the waterfall, in minor units. gross = vat + net; net = fee + hosting + merchant. */
export interface Waterfall {
  readonly currency: Currency;
  readonly grossMinor: bigint;
  readonly vatMinor: bigint;
  readonly netMinor: bigint;
  readonly billingCarrierFeeMinor: bigint;
  readonly hostingCarrierShareMinor: bigint;
  readonly merchantShareMinor: bigint;
  /** False when the billing carrier also hosts the merchant: no inter-carrier leg. */
  readonly interCarrier: boolean;
}

/**
 * Splits a charge. `vatMinor` comes from the rating's VAT split, so the waterfall starts from the
 * same figures as the bill.
 *
 * @example revenueWaterfall({ currency: 'EUR', grossMinor: 1000n, vatMinor: 167n }, terms, parties)
 */
export function revenueWaterfall(
  amounts: { readonly currency: Currency; readonly grossMinor: bigint; readonly vatMinor: bigint },
  terms: ShareTerms,
  parties: ChargeParties,
): Waterfall {
  const { currency, grossMinor, vatMinor } = amounts;
  assert(grossMinor >= 0n && vatMinor >= 0n && vatMinor <= grossMinor, 'waterfall: 0 ≤ VAT ≤ gross');
  const netMinor = grossMinor - vatMinor;
  const interCarrier = parties.billingCarrierId !== parties.hostingCarrierId;
  const fee = interCarrier ? terms.collectionFeeRate : Rate.of('0');
  const rest = Rate.of('1').minus(fee).minus(terms.merchantShareRate);
  assert(!rest.isNegative(), 'waterfall: collection fee + merchant share ≤ 100 % of the net');
  const [feeMinor = 0n, merchantMinor = 0n, hostingMinor = 0n] = netMinor === 0n
    ? [0n, 0n, 0n]
    : allocateMinorUnits(netMinor, [fee, terms.merchantShareRate, rest]);
  const waterfall: Waterfall = {
    currency, grossMinor, vatMinor, netMinor, interCarrier,
    billingCarrierFeeMinor: feeMinor, hostingCarrierShareMinor: hostingMinor, merchantShareMinor: merchantMinor,
  };
  assert(vatMinor + feeMinor + hostingMinor + merchantMinor === grossMinor, 'waterfall: the parts sum to the gross');
  return waterfall;
}

/**
 * The postings of a charge journal (docs/ledger.md): the subscriber's receivable against VAT, the
 * billing carrier's fee, the inter-carrier debt (and its mirror), the hosting share and the
 * merchant's share. Zero lines are left out.
 */
export function chargePostings(waterfall: Waterfall, parties: ChargeParties): Posting[] {
  const { currency } = waterfall;
  const line = (account: string, amountMinor: bigint): Posting => ({ account, currency, amountMinor });
  const hostingAndMerchant = waterfall.hostingCarrierShareMinor + waterfall.merchantShareMinor;
  const lines = [
    line(Accounts.subscriberReceivable(parties.subscriberId), waterfall.grossMinor),
    line(Accounts.carrierVatPayable(parties.billingCarrierId), -waterfall.vatMinor),
    line(Accounts.carrierRevenue(parties.billingCarrierId), -waterfall.billingCarrierFeeMinor),
    ...(waterfall.interCarrier ? [
      line(Accounts.carrierOwes(parties.billingCarrierId, parties.hostingCarrierId), -hostingAndMerchant),
      line(Accounts.carrierDueFrom(parties.hostingCarrierId, parties.billingCarrierId), hostingAndMerchant),
    ] : []),
    line(Accounts.carrierRevenue(parties.hostingCarrierId), -waterfall.hostingCarrierShareMinor),
    line(Accounts.merchantPayable(parties.merchantId), -waterfall.merchantShareMinor),
  ];
  return lines.filter((posting) => posting.amountMinor !== 0n);
}

/**
 * The parts of a refund of `refundMinor` (tax included) on a charge: allocated over what is left
 * of each part of the original waterfall, so that no part is ever refunded beyond what it
 * received and the refunds of a charge add up exactly to it when it is refunded in full.
 */
export function refundWaterfall(original: Waterfall, refundedSoFar: readonly Waterfall[], refundMinor: bigint): Waterfall {
  const sum = (pick: (w: Waterfall) => bigint): bigint => refundedSoFar.reduce((total, w) => total + pick(w), 0n);
  const remaining = [
    original.vatMinor - sum((w) => w.vatMinor),
    original.billingCarrierFeeMinor - sum((w) => w.billingCarrierFeeMinor),
    original.hostingCarrierShareMinor - sum((w) => w.hostingCarrierShareMinor),
    original.merchantShareMinor - sum((w) => w.merchantShareMinor),
  ];
  const remainingTotal = remaining.reduce((total, part) => total + part, 0n);
  assert(refundMinor > 0n && refundMinor <= remainingTotal, 'a refund is positive and at most what is left of the charge');
  const [vatMinor = 0n, feeMinor = 0n, hostingMinor = 0n, merchantMinor = 0n] =
    allocateMinorUnits(refundMinor, remaining.map((part) => Rate.of(part)));
  [vatMinor, feeMinor, hostingMinor, merchantMinor].forEach((part, index) => {
    assert(part >= 0n && part <= (remaining[index] ?? 0n), 'refund part ≤ what is left of it');
  });
  return {
    currency: original.currency, interCarrier: original.interCarrier, grossMinor: refundMinor, vatMinor, netMinor: refundMinor - vatMinor,
    billingCarrierFeeMinor: feeMinor, hostingCarrierShareMinor: hostingMinor, merchantShareMinor: merchantMinor,
  };
}

/** The postings of a refund journal: the charge's postings for the refund's parts, negated. */
export function refundPostings(parts: Waterfall, parties: ChargeParties): Posting[] {
  return chargePostings(parts, parties).map((posting) => ({ ...posting, amountMinor: -posting.amountMinor }));
}
