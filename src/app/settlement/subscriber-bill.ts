/**
 * The subscriber's bill (docs/settlement.md, "The subscriber's bill"): the lines as they appear on
 * the phone bill for a month in the billing carrier's time zone — each session rated in the month
 * (date and time of its start, merchant, service, billed duration, amount tax included), each
 * refund made in the month (negative) — with the totals, the VAT by rate and what is left of the
 * monthly cap. Labels in French (the default) or English.
 */
import { DateTime } from 'luxon';
import {
  assert, type Currency, err, formatMoney, type Locale, Money, ok, periodBounds, type Rate, type Result,
} from '../../domain/index.ts';
import type { BillCharge, BillRefund, Store } from '../ports/index.ts';

export type BillError = 'subscriber_not_found' | 'period_invalid';

export interface BillLine {
  readonly type: 'charge' | 'refund';
  /** The charge's or the refund's id. */
  readonly id: string;
  readonly chargeId: string;
  /** A charge: when metering started; a refund: when it was made. */
  readonly atMs: number;
  readonly merchant: string;
  readonly offer: string;
  /** Billed seconds of a charge; null on a refund line. */
  readonly billedSeconds: number | null;
  /** Tax included; negative on a refund line. */
  readonly amountMinor: bigint;
}

/** The VAT of one rate: net, VAT and gross of the month's charges less its refunds. */
export interface VatLine {
  readonly rate: Rate;
  readonly netMinor: bigint;
  readonly vatMinor: bigint;
  readonly grossMinor: bigint;
}

export interface SubscriberBill {
  readonly subscriberId: string;
  readonly billingCarrierId: string;
  readonly billingCarrierName: string;
  readonly period: string;
  readonly timeZone: string;
  readonly currency: Currency;
  readonly language: Locale;
  /** Charges and refunds, by date. */
  readonly lines: readonly BillLine[];
  readonly grossMinor: bigint;
  /** Refunds made in the month, as a positive amount. */
  readonly refundsMinor: bigint;
  /** What the subscriber pays: gross − refunds. */
  readonly netPayableMinor: bigint;
  readonly vat: readonly VatLine[];
  /** The monthly budget as the caps count it: posted sessions, sessions still holding a reservation. */
  readonly cap: { readonly capMinor: bigint; readonly postedMinor: bigint; readonly heldMinor: bigint; readonly leftMinor: bigint };
}

const PERIOD = /^(20[0-9]{2})-(0[1-9]|1[0-2])$/;

/** The labels of a bill, per language. */
export const BILL_LABELS = {
  'fr-FR': {
    title: 'Services d\'assistance facturés', date: 'Date', merchant: 'Commerçant', service: 'Service', duration: 'Durée', amount: 'Montant TTC',
    refund: 'Remboursement', gross: 'Total des services TTC', refunds: 'Remboursements', netPayable: 'Net à payer', vat: 'TVA', vatBase: 'Base HT',
    vatAmount: 'Montant TVA', cap: 'Plafond mensuel', capPosted: 'Consommé', capHeld: 'Réservé (sessions en cours)', capLeft: 'Disponible',
    noLines: 'Aucun service facturé ce mois-ci.',
  },
  en: {
    title: 'Assistance services billed', date: 'Date', merchant: 'Merchant', service: 'Service', duration: 'Duration', amount: 'Amount incl. VAT',
    refund: 'Refund', gross: 'Services total incl. VAT', refunds: 'Refunds', netPayable: 'Net payable', vat: 'VAT', vatBase: 'Net of VAT',
    vatAmount: 'VAT amount', cap: 'Monthly cap', capPosted: 'Used', capHeld: 'Reserved (sessions in progress)', capLeft: 'Left',
    noLines: 'No service billed this month.',
  },
} as const satisfies Record<Locale, Record<string, string>>;

/** A billed duration as minutes and seconds: 125 s is "02:05", 3725 s is "62:05". */
export function durationText(seconds: number): string {
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** VAT rates of the tariff versions used, read once each. */
async function vatRates(store: Store, hashes: Iterable<string>): Promise<Map<string, Rate>> {
  const rates = new Map<string, Rate>();
  for (const hash of new Set(hashes)) {
    const tariff = await store.getTariff(hash);
    assert(tariff !== null, `a charge's tariff version ${hash} is stored`);
    rates.set(hash, tariff.vatRate);
  }
  return rates;
}

/** Net, VAT and gross per rate: charges add, refunds take away (their own VAT part, from their waterfall). */
function vatByRate(charges: readonly BillCharge[], refunds: readonly BillRefund[], rates: ReadonlyMap<string, Rate>): VatLine[] {
  const byRate = new Map<string, { rate: Rate; netMinor: bigint; vatMinor: bigint; grossMinor: bigint }>();
  const add = (item: BillCharge | BillRefund, sign: bigint): void => {
    const rate = rates.get(item.tariffHash);
    assert(rate !== undefined, 'every tariff version has its rate');
    const line = byRate.get(rate.toString()) ?? { rate, netMinor: 0n, vatMinor: 0n, grossMinor: 0n };
    assert(item.netMinor + item.vatMinor === item.grossMinor, 'net + VAT = gross on every item');
    byRate.set(rate.toString(), { rate, netMinor: line.netMinor + sign * item.netMinor, vatMinor: line.vatMinor + sign * item.vatMinor, grossMinor: line.grossMinor + sign * item.grossMinor });
  };
  for (const charge of charges) add(charge, 1n);
  for (const refund of refunds) add(refund, -1n);
  return [...byRate.values()].sort((a, b) => a.rate.compare(b.rate));
}

function billLines(charges: readonly BillCharge[], refunds: readonly BillRefund[]): BillLine[] {
  const lines: BillLine[] = [
    ...charges.map((c): BillLine => ({
      type: 'charge', id: c.chargeId, chargeId: c.chargeId, atMs: c.startedAtMs, merchant: c.merchantName, offer: c.offerName, billedSeconds: c.billedSeconds, amountMinor: c.grossMinor,
    })),
    ...refunds.map((r): BillLine => ({
      type: 'refund', id: r.refundId, chargeId: r.chargeId, atMs: r.createdAtMs, merchant: r.merchantName, offer: r.offerName, billedSeconds: null, amountMinor: -r.grossMinor,
    })),
  ];
  return lines.sort((a, b) => a.atMs - b.atMs || (a.type === b.type ? (a.id < b.id ? -1 : 1) : a.type === 'charge' ? -1 : 1));
}

/**
 * The bill of `subscriberId` for `period` ("YYYY-MM" in its billing carrier's zone). A session
 * belongs to the month it was rated in (as in settlement); a refund to the month it was made in,
 * since the earlier bill has gone out.
 */
export async function subscriberBill(deps: { readonly store: Store }, input: { readonly subscriberId: string; readonly period: string; readonly language: Locale })
  : Promise<Result<SubscriberBill, BillError>> {
  if (!PERIOD.test(input.period)) return err('period_invalid');
  const subscriber = await deps.store.getSubscriber(input.subscriberId);
  if (subscriber === null) return err('subscriber_not_found');
  const carrier = await deps.store.getCarrier(subscriber.billingCarrierId);
  assert(carrier !== null, 'a subscriber\'s billing carrier exists');
  const { startMs, endMs } = periodBounds(input.period, carrier.timeZone);
  const { charges, refunds } = await deps.store.subscriberBillItems(subscriber.id, startMs, endMs);
  const currency = subscriber.monthlyCap.currency;
  for (const item of [...charges, ...refunds]) assert(item.currency === currency, 'a subscriber is billed in the currency of its cap');
  const vat = vatByRate(charges, refunds, await vatRates(deps.store, [...charges, ...refunds].map((item) => item.tariffHash)));
  const grossMinor = charges.reduce((sum, c) => sum + c.grossMinor, 0n);
  const refundsMinor = refunds.reduce((sum, r) => sum + r.grossMinor, 0n);
  const netPayableMinor = grossMinor - refundsMinor;
  assert(vat.reduce((sum, line) => sum + line.grossMinor, 0n) === netPayableMinor, 'the VAT lines add up to the net payable');
  const usage = await deps.store.budgetUsage(subscriber.id, input.period);
  const capMinor = subscriber.monthlyCap.toMinorUnits();
  const left = capMinor - usage.postedMinor - usage.heldMinor;
  return ok({
    subscriberId: subscriber.id, billingCarrierId: carrier.id, billingCarrierName: carrier.name, period: input.period, timeZone: carrier.timeZone, currency,
    language: input.language, lines: billLines(charges, refunds), grossMinor, refundsMinor, netPayableMinor, vat,
    cap: { capMinor, postedMinor: usage.postedMinor, heldMinor: usage.heldMinor, leftMinor: left > 0n ? left : 0n },
  });
}

function percentText(rate: Rate, language: Locale): string {
  // A decimal string keeps the rate exact, as in formatMoney.
  return new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 4 }).format(rate.toString() as unknown as number);
}

function local(bill: SubscriberBill, atMs: number): DateTime {
  return DateTime.fromMillis(atMs, { zone: bill.timeZone }).setLocale(bill.language);
}

/** The bill as JSON: raw values (decimal strings, local date and time in the carrier's zone) and the same as displayed, in the bill's language. */
export function billJson(bill: SubscriberBill): Record<string, unknown> {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, bill.currency).toString();
  const shown = (minor: bigint): string => formatMoney(Money.fromMinorUnits(minor, bill.currency), bill.language);
  const labels = BILL_LABELS[bill.language];
  return {
    subscriberId: bill.subscriberId, billingCarrierId: bill.billingCarrierId, billingCarrierName: bill.billingCarrierName, period: bill.period,
    periodLabel: local(bill, periodBounds(bill.period, bill.timeZone).startMs).toFormat('LLLL yyyy'), timeZone: bill.timeZone, currency: bill.currency,
    lang: bill.language, labels,
    lines: bill.lines.map((line) => {
      const at = local(bill, line.atMs);
      return {
        type: line.type, id: line.id, chargeId: line.chargeId, date: at.toFormat('yyyy-MM-dd'), time: at.toFormat('HH:mm'), merchant: line.merchant, offer: line.offer,
        billedSeconds: line.billedSeconds, duration: line.billedSeconds === null ? null : durationText(line.billedSeconds), amount: money(line.amountMinor),
        display: {
          date: at.toFormat(bill.language === 'fr-FR' ? 'dd/MM/yyyy HH:mm' : 'dd LLL yyyy HH:mm'), service: line.type === 'refund' ? `${labels.refund} — ${line.offer}` : line.offer,
          amount: shown(line.amountMinor),
        },
      };
    }),
    totals: {
      gross: money(bill.grossMinor), refunds: money(-bill.refundsMinor), netPayable: money(bill.netPayableMinor),
      vat: bill.vat.map((line) => ({ rate: line.rate.toString(), rateLabel: percentText(line.rate, bill.language), net: money(line.netMinor), vat: money(line.vatMinor), gross: money(line.grossMinor) })),
      display: { gross: shown(bill.grossMinor), refunds: shown(-bill.refundsMinor), netPayable: shown(bill.netPayableMinor) },
    },
    cap: {
      monthlyCap: money(bill.cap.capMinor), posted: money(bill.cap.postedMinor), held: money(bill.cap.heldMinor), left: money(bill.cap.leftMinor),
      display: { monthlyCap: shown(bill.cap.capMinor), posted: shown(bill.cap.postedMinor), held: shown(bill.cap.heldMinor), left: shown(bill.cap.leftMinor) },
    },
  };
}

/** The bill as text, as a phone bill prints it: a header, one row per line, the totals, the VAT and the cap. */
export function billText(bill: SubscriberBill): string {
  const labels = BILL_LABELS[bill.language];
  const shown = (minor: bigint): string => formatMoney(Money.fromMinorUnits(minor, bill.currency), bill.language);
  const json = billJson(bill) as { periodLabel: string; lines: { display: { date: string; service: string; amount: string }; merchant: string; duration: string | null }[] };
  const rows = json.lines.map((line) => [line.display.date, line.merchant, line.display.service, line.duration ?? '', line.display.amount]);
  const header = [labels.date, labels.merchant, labels.service, labels.duration, labels.amount];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (row: readonly string[]): string => row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [`${labels.title} — ${bill.billingCarrierName} — ${json.periodLabel}`, ''];
  out.push(...(rows.length === 0 ? [labels.noLines] : [format(header), ...rows.map(format)]), '');
  out.push(`${labels.gross}: ${shown(bill.grossMinor)}`, `${labels.refunds}: ${shown(-bill.refundsMinor)}`, `${labels.netPayable}: ${shown(bill.netPayableMinor)}`);
  for (const line of bill.vat) {
    out.push(`${labels.vat} ${percentText(line.rate, bill.language)}: ${labels.vatBase} ${shown(line.netMinor)}, ${labels.vatAmount} ${shown(line.vatMinor)}`);
  }
  out.push('', `${labels.cap}: ${shown(bill.cap.capMinor)} — ${labels.capPosted} ${shown(bill.cap.postedMinor)}, ${labels.capHeld} ${shown(bill.cap.heldMinor)}, ${labels.capLeft} ${shown(bill.cap.leftMinor)}`);
  return `${out.join('\n')}\n`;
}
