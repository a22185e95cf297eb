/**
 * The revenue-share waterfall of one charge (DESIGN.md §3): price tax included → VAT → net; the
 * billing carrier's collection fee, the hosting carrier's share and the merchant's share of the
 * net, split exactly with `allocate` so that the parts always sum to the net, to the cent.
 */
import { assert } from '../assert.ts';
import { allocateMinorUnits, type Currency, type Money, Rate } from '../money/index.ts';
import { Accounts } from './accounts.ts';
import type { Posting } from './journal.ts';

/**
 * The terms a charge is split by (issue 6): percentages of the net (price excluding VAT) and
 * per-minute amounts. `merchantShareRate` and `wholesalePerMinute` are exclusive: the merchant
 * gets a share of the net, or a price per billed minute.
 */
export interface ShareTerms {
  /** Kept by the billing carrier for collecting on its bill (none when it also hosts the merchant). */
  readonly collectionFeeRate: Rate;
  /** Kept by the billing carrier against unpaid bills (none when it also hosts the merchant). */
  readonly badDebtRate?: Rate;
  /** Paid by the hosting carrier to the billing carrier per billed minute, out of its share. */
  readonly interconnectPerMinute?: Money | null;
  /** The merchant's share of the net, or null when it is paid a wholesale price per minute. */
  readonly merchantShareRate: Rate | null;
  /** The merchant's price per billed minute, out of the hosting carrier's share. */
  readonly wholesalePerMinute?: Money | null;
}

export interface ChargeParties {
  readonly subscriberId: string;
  readonly billingCarrierId: string;
  readonly hostingCarrierId: string;
  readonly merchantId: string;
}

/**
 * Every amount of the waterfall, in minor units. gross = vat + net; net = billing carrier's fee +
 * hosting share + merchant share; the billing carrier's fee = collection fee + bad-debt allowance
 * + interconnect.
 */
export interface Waterfall {
  readonly currency: Currency;
  readonly grossMinor: bigint;
  readonly vatMinor: bigint;
  readonly netMinor: bigint;
  readonly billingCarrierFeeMinor: bigint;
  readonly collectionFeeMinor: bigint;
  readonly badDebtMinor: bigint;
  readonly interconnectMinor: bigint;
  readonly hostingCarrierShareMinor: bigint;
  readonly merchantShareMinor: bigint;
  /** False when the billing carrier also hosts the merchant: no inter-carrier leg. */
  readonly interCarrier: boolean;
}

/** A price per minute times billed seconds, rounded half-up to the minor unit. */
function perMinuteMinor(price: Money | null | undefined, billedSeconds: number): bigint {
  if (price === null || price === undefined) return 0n;
  return price.times(BigInt(billedSeconds)).dividedBy(Rate.of('60')).roundToMinorUnit('half-up').toMinorUnits();
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * Splits a charge (docs/settlement.md): VAT from the rating's split; the percentages of the net
 * allocated together by largest remainder (collection fee, bad-debt allowance, merchant share, the
 * rest); then the per-minute amounts out of the rest (interconnect, wholesale), never below zero;
 * the hosting carrier keeps what is left. A merchant share that would take the percentages past
 * 100 % is cut to what the billing carrier's terms leave.
 *
 * @example revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 600 }, terms, parties)
 */
export function revenueWaterfall(
  amounts: { readonly currency: Currency; readonly grossMinor: bigint; readonly vatMinor: bigint; readonly billedSeconds: number },
  terms: ShareTerms,
  parties: ChargeParties,
): Waterfall {
  const { currency, grossMinor, vatMinor, billedSeconds } = amounts;
  assert(grossMinor >= 0n && vatMinor >= 0n && vatMinor <= grossMinor, 'waterfall: 0 ≤ VAT ≤ gross');
  const netMinor = grossMinor - vatMinor;
  const interCarrier = parties.billingCarrierId !== parties.hostingCarrierId;
  const zero = Rate.of('0');
  const fee = interCarrier ? terms.collectionFeeRate : zero;
  const badDebt = interCarrier ? (terms.badDebtRate ?? zero) : zero;
  const carrierLeft = Rate.of('1').minus(fee).minus(badDebt);
  assert(!carrierLeft.isNegative(), 'waterfall: collection fee + bad-debt allowance ≤ 100 % of the net');
  const share = terms.merchantShareRate === null ? zero : terms.merchantShareRate.compare(carrierLeft) > 0 ? carrierLeft : terms.merchantShareRate;
  const rest = carrierLeft.minus(share);
  const [collectionFeeMinor = 0n, badDebtMinor = 0n, percentMerchantMinor = 0n, restMinor = 0n] = netMinor === 0n
    ? [0n, 0n, 0n, 0n]
    : allocateMinorUnits(netMinor, fee.isZero() && badDebt.isZero() && share.isZero() && rest.isZero() ? [Rate.of('1')] : [fee, badDebt, share, rest]);
  const interconnectMinor = interCarrier ? min(restMinor, perMinuteMinor(terms.interconnectPerMinute, billedSeconds)) : 0n;
  const wholesaleMinor = terms.merchantShareRate === null ? min(restMinor - interconnectMinor, perMinuteMinor(terms.wholesalePerMinute, billedSeconds)) : 0n;
  const merchantShareMinor = percentMerchantMinor + wholesaleMinor;
  const hostingCarrierShareMinor = restMinor - interconnectMinor - wholesaleMinor;
  const billingCarrierFeeMinor = collectionFeeMinor + badDebtMinor + interconnectMinor;
  assert(vatMinor + billingCarrierFeeMinor + hostingCarrierShareMinor + merchantShareMinor === grossMinor, 'waterfall: the parts sum to the gross');
  assert(hostingCarrierShareMinor >= 0n && merchantShareMinor >= 0n, 'waterfall: no negative part');
  return {
    currency, grossMinor, vatMinor, netMinor, interCarrier, billingCarrierFeeMinor, collectionFeeMinor, badDebtMinor, interconnectMinor,
    hostingCarrierShareMinor, merchantShareMinor,
  };
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
  const pick: ((w: Waterfall) => bigint)[] = [
    (w) => w.vatMinor, (w) => w.collectionFeeMinor, (w) => w.badDebtMinor, (w) => w.interconnectMinor,
    (w) => w.hostingCarrierShareMinor, (w) => w.merchantShareMinor,
  ];
  const remaining = pick.map((part) => part(original) - refundedSoFar.reduce((total, w) => total + part(w), 0n));
  const remainingTotal = remaining.reduce((total, part) => total + part, 0n);
  assert(refundMinor > 0n && refundMinor <= remainingTotal, 'a refund is positive and at most what is left of the charge');
  const parts = allocateMinorUnits(refundMinor, remaining.map((part) => Rate.of(part)));
  parts.forEach((part, index) => { assert(part >= 0n && part <= (remaining[index] ?? 0n), 'refund part ≤ what is left of it'); });
  const [vatMinor = 0n, collectionFeeMinor = 0n, badDebtMinor = 0n, interconnectMinor = 0n, hostingMinor = 0n, merchantMinor = 0n] = parts;
  return {
    currency: original.currency, interCarrier: original.interCarrier, grossMinor: refundMinor, vatMinor, netMinor: refundMinor - vatMinor,
    billingCarrierFeeMinor: collectionFeeMinor + badDebtMinor + interconnectMinor, collectionFeeMinor, badDebtMinor, interconnectMinor,
    hostingCarrierShareMinor: hostingMinor, merchantShareMinor: merchantMinor,
  };
}

/** The postings of a refund journal: the charge's postings for the refund's parts, negated. */
export function refundPostings(parts: Waterfall, parties: ChargeParties): Posting[] {
  return chargePostings(parts, parties).map((posting) => ({ ...posting, amountMinor: -posting.amountMinor }));
}
