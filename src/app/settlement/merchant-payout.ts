/**
 * The merchant's payout (docs/settlement.md, "The merchant's payout"): what the hosting carrier
 * owes a merchant for a period, per offer — sessions, billed minutes, gross, the merchant's share,
 * the refunds deducted, the ratings' average — and when it is paid under the payout terms.
 *
 * A closed period is read from its merchant statement (the items it settled, late adjustments
 * included), and the total owed is asserted equal to the statement's amount due. An open period
 * is provisional: what closing it now would settle for the merchant — its charges rated in the
 * period, their refunds so far, and late refunds of charges an earlier period settled.
 */
import { DateTime } from 'luxon';
import {
  assert, type Currency, decimalRounding, err, Money, ok, periodBounds, type Result, statementId, toDec,
} from '../../domain/index.ts';
import type { PayoutOfferRow, PayoutSource, Store } from '../ports/index.ts';

export type PayoutError = 'merchant_not_found' | 'period_invalid';

export interface PayoutLine extends PayoutOfferRow {
  /** Merchant share − the merchant's part of the refunds. */
  readonly owedMinor: bigint;
}

export interface MerchantPayout {
  readonly merchantId: string;
  readonly merchantName: string;
  readonly hostingCarrierId: string;
  readonly period: string;
  readonly timeZone: string;
  readonly currency: Currency;
  /** `closed`: settled by the statement `statementId`; `open`: provisional. */
  readonly status: 'closed' | 'open';
  readonly statementId: string | null;
  readonly offers: readonly PayoutLine[];
  readonly totals: Omit<PayoutLine, 'offerId' | 'offerName' | 'currency'>;
  readonly terms: { readonly delayDays: number; readonly minimumMinor: bigint; readonly payableOn: string; readonly carriedOver: boolean };
}

const PERIOD = /^(20[0-9]{2})-(0[1-9]|1[0-2])$/;

function sumLines(lines: readonly PayoutLine[]): MerchantPayout['totals'] {
  const zero: MerchantPayout['totals'] = {
    sessions: 0, billedSeconds: 0n, grossMinor: 0n, merchantShareMinor: 0n, refunds: 0, refundedMinor: 0n, refundedShareMinor: 0n, ratings: 0, starsSum: 0, owedMinor: 0n,
  };
  return lines.reduce((t, l) => ({
    sessions: t.sessions + l.sessions, billedSeconds: t.billedSeconds + l.billedSeconds, grossMinor: t.grossMinor + l.grossMinor,
    merchantShareMinor: t.merchantShareMinor + l.merchantShareMinor, refunds: t.refunds + l.refunds, refundedMinor: t.refundedMinor + l.refundedMinor,
    refundedShareMinor: t.refundedShareMinor + l.refundedShareMinor, ratings: t.ratings + l.ratings, starsSum: t.starsSum + l.starsSum, owedMinor: t.owedMinor + l.owedMinor,
  }), zero);
}

/** The payout of `merchantId` for `period` ("YYYY-MM" in its hosting carrier's zone). */
export async function merchantPayout(deps: { readonly store: Store }, input: { readonly merchantId: string; readonly period: string })
  : Promise<Result<MerchantPayout, PayoutError>> {
  if (!PERIOD.test(input.period)) return err('period_invalid');
  const merchant = await deps.store.getMerchant(input.merchantId);
  if (merchant === null) return err('merchant_not_found');
  const carrier = await deps.store.getCarrier(merchant.hostingCarrierId);
  assert(carrier !== null, 'a merchant\'s hosting carrier exists');
  const bounds = periodBounds(input.period, carrier.timeZone);
  const closed = (await deps.store.getSettlementRun({ period: input.period })) !== null;
  const id = statementId(input.period, 'merchant', carrier.id, merchant.id);
  const source: PayoutSource = closed ? { kind: 'statement', statementId: id } : { kind: 'period', merchantId: merchant.id, ...bounds };
  const currency = merchant.payoutMinimum.currency;
  const offers = (await deps.store.payoutByOffer(source)).map((row): PayoutLine => {
    assert(row.currency === currency, 'a merchant is paid in the currency of its payout terms');
    return { ...row, owedMinor: row.merchantShareMinor - row.refundedShareMinor };
  });
  const totals = sumLines(offers);
  if (closed) {
    const statement = await deps.store.getStatement(id);
    assert((statement?.amountDueMinor ?? 0n) === totals.owedMinor, `the payout of ${merchant.id} equals its statement ${id}`);
  }
  const minimumMinor = merchant.payoutMinimum.toMinorUnits();
  const payableOn = DateTime.fromMillis(bounds.endMs, { zone: carrier.timeZone }).plus({ days: merchant.payoutDelayDays }).toFormat('yyyy-MM-dd');
  return ok({
    merchantId: merchant.id, merchantName: merchant.name, hostingCarrierId: carrier.id, period: input.period, timeZone: carrier.timeZone, currency,
    status: closed ? 'closed' : 'open', statementId: closed ? id : null, offers, totals,
    terms: { delayDays: merchant.payoutDelayDays, minimumMinor, payableOn, carriedOver: totals.owedMinor < minimumMinor },
  });
}

/** An average of stars to two decimals (half-up), or null without ratings. */
function averageStars(ratings: number, starsSum: number): string | null {
  if (ratings === 0) return null;
  return toDec(BigInt(starsSum)).div(toDec(BigInt(ratings))).toDecimalPlaces(2, decimalRounding('half-up')).toFixed(2); // ok: exact at two places
}

function minutes(seconds: bigint): string {
  return toDec(seconds).div(60).toDecimalPlaces(2, decimalRounding('half-up')).toFixed(2); // ok: minutes, exact decimal
}

/** The payout as JSON: amounts as decimal strings in the merchant's currency. */
export function payoutJson(payout: MerchantPayout): Record<string, unknown> {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, payout.currency).toString();
  const figures = (line: MerchantPayout['totals']) => ({
    sessions: line.sessions, billedSeconds: line.billedSeconds.toString(), billedMinutes: minutes(line.billedSeconds), gross: money(line.grossMinor),
    merchantShare: money(line.merchantShareMinor), refunds: line.refunds, refunded: money(line.refundedMinor), refundsDeducted: money(line.refundedShareMinor),
    ratings: { count: line.ratings, average: averageStars(line.ratings, line.starsSum) }, owed: money(line.owedMinor),
  });
  const { terms } = payout;
  const minimum = money(terms.minimumMinor);
  return {
    merchantId: payout.merchantId, merchantName: payout.merchantName, hostingCarrierId: payout.hostingCarrierId, period: payout.period, timeZone: payout.timeZone,
    currency: payout.currency, status: payout.status, statementId: payout.statementId,
    offers: payout.offers.map((line) => ({ offerId: line.offerId, offerName: line.offerName, ...figures(line) })),
    totals: figures(payout.totals),
    payout: {
      delayDays: terms.delayDays, minimum, payableOn: terms.carriedOver ? null : terms.payableOn, carriedOver: terms.carriedOver,
      note: terms.carriedOver
        ? `${money(payout.totals.owedMinor)} ${payout.currency} is below the payout minimum of ${minimum} ${payout.currency}: carried over to the next payout`
        : `${money(payout.totals.owedMinor)} ${payout.currency} is paid on ${terms.payableOn}, ${terms.delayDays} days after the period ends`,
    },
  };
}
