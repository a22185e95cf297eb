/**
 * Charges on the demo data set written straight through the Store port, at any instant (a past
 * month, to close it), with the agreements in force, and refunds of them; then a period closed as
 * `palier settle --close` would. For settlement tests that need a closed period beside a running
 * server.
 */
import { buildCharge } from '../../src/app/billing/build-charge.ts';
import type { Clock, Store } from '../../src/app/ports/index.ts';
import { refundCharge } from '../../src/app/sessions/refund-charge.ts';
import { settlePeriod } from '../../src/app/settlement/settle-period.ts';
import { type Charge, rate, type Refund } from '../../src/domain/index.ts';

export interface DemoCharge {
  readonly tag: string;
  readonly subscriberId: string;
  readonly offerId: string;
  /** When metering started; the charge is rated `seconds` later. */
  readonly startMs: number;
  readonly seconds: number;
}

/** Writes a rated charge `chg_<tag>` for session `ses_<tag>` (no session row: settlement reads charges). */
export async function writeDemoCharge(store: Store, input: DemoCharge): Promise<Charge> {
  const subscriber = await store.getSubscriber(input.subscriberId);
  const offer = await store.getOffer(input.offerId);
  if (subscriber === null || offer === null) throw new Error('unknown demo subscriber or offer');
  const merchant = await store.getMerchant(offer.merchantId);
  const tariff = await store.getTariff(offer.tariffHash);
  if (merchant === null || tariff === null) throw new Error('demo offer without merchant or tariff');
  const endMs = input.startMs + input.seconds * 1000;
  const carrierTerms = await store.carrierAgreementAt(subscriber.billingCarrierId, merchant.hostingCarrierId, endMs);
  const merchantTerms = await store.merchantAgreementAt(merchant.hostingCarrierId, merchant.id, endMs);
  if (carrierTerms === null || merchantTerms === null) throw new Error('no demo agreement');
  const { charge, journal } = buildCharge({
    chargeId: `chg_${input.tag}`, journalId: `jnl_${input.tag}`, sessionId: `ses_${input.tag}`, offerId: offer.id,
    parties: { subscriberId: subscriber.id, billingCarrierId: subscriber.billingCarrierId, hostingCarrierId: merchant.hostingCarrierId, merchantId: merchant.id },
    terms: { ...carrierTerms.terms, ...merchantTerms.terms }, rating: rate(tariff, input.startMs, input.seconds), meteringStartedAtMs: input.startMs, atMs: endMs,
  });
  return (await store.closeCharge({ charge, journal })).charge;
}

let refunds = 0;

/** Refunds `amountMinor` of a charge at `atMs`, as its merchant. */
export async function writeDemoRefund(store: Store, charge: Charge, amountMinor: bigint, atMs: number): Promise<Refund> {
  const ids = { newId: (prefix: string) => { refunds += 1; return `${prefix}_demo_${charge.id}_${refunds}`; } };
  const result = await refundCharge({ store, ids }, { chargeId: charge.id, amountMinor, reason: 'goodwill', by: `merchant:${charge.merchantId}`, atMs });
  if (!result.ok) throw new Error(`refund refused: ${result.error}`);
  return result.value;
}

/** Closes `period` (it must be over at `nowMs`); throws when the settlement refuses. */
export async function closeDemoPeriod(store: Store, period: string, nowMs: number): Promise<void> {
  const clock: Clock = { nowMs: () => nowMs };
  const closed = await settlePeriod({ store, clock }, { period, close: true });
  if (!closed.ok) throw new Error(`settle ${period}: ${closed.error.code} ${closed.error.detail}`);
}
