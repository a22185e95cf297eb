/**
 * A small world for storage tests: two carriers (billing and hosting), a subscriber, a merchant,
 * a published tariff, an offer and the agreements between them. Built through the Store port.
 */
import type { Store } from '../../src/app/ports/index.ts';
import { type Charge, type JournalDraft, Money, Rate, rate, type Tariff } from '../../src/domain/index.ts';
import { buildCharge } from '../../src/app/billing/build-charge.ts';
import { fixtureTariff } from './fixtures.ts';

export interface World {
  readonly billingCarrierId: string;
  readonly hostingCarrierId: string;
  readonly subscriberId: string;
  readonly merchantId: string;
  readonly offerId: string;
  readonly tariff: Tariff;
}

export const T0_MS = Date.parse('2026-10-05T10:00:00Z');

/** Builds the world with ids suffixed by `tag`, so several worlds share one database. */
export async function buildWorld(store: Store, tag = 'a'): Promise<World> {
  const billingCarrierId = `car_bill_${tag}`;
  const hostingCarrierId = `car_host_${tag}`;
  await store.insertCarrier({ id: billingCarrierId, name: `Billing ${tag}`, country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris', mccMncCodes: [`208-9${tag.length}${tag.charCodeAt(0) % 10}`] }, T0_MS);
  await store.insertCarrier({ id: hostingCarrierId, name: `Hosting ${tag}`, country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris', mccMncCodes: [] }, T0_MS);
  const subscriberId = `sub_${tag}`;
  await store.insertSubscriber({ id: subscriberId, msisdnHmac: `hmac_${tag}`, billingCarrierId, monthlyCap: Money.of('300.00', 'EUR'), status: 'active' }, T0_MS);
  const merchantId = `mer_${tag}`;
  await store.insertMerchant({ id: merchantId, name: `Merchant ${tag}`, hostingCarrierId, payoutDelayDays: 30, payoutMinimum: Money.of('15.00', 'EUR') }, T0_MS);
  const tariff = fixtureTariff('kiosque-paliers');
  await store.publishTariff(tariff, T0_MS);
  const offerId = `off_${tag}`;
  await store.insertOffer({
    id: offerId, merchantId, name: 'Windows help desk', tariffHash: tariff.hash, mediaAllowed: ['voice', 'chat'], defaultCap: Money.of('30.00', 'EUR'),
    holdBilled: false, profile: 'minitel-kiosque', status: 'active',
  }, T0_MS);
  await store.insertAgreement({
    id: `agr_c_${tag}`, kind: 'carrier', billingCarrierId, hostingCarrierId, effectiveFromMs: 0, effectiveToMs: null,
    terms: { collectionFeeRate: Rate.of('0.15'), badDebtRate: Rate.of('0.02'), interconnectPerMinute: null },
  }, T0_MS);
  await store.insertAgreement({
    id: `agr_m_${tag}`, kind: 'merchant', hostingCarrierId, merchantId, effectiveFromMs: 0, effectiveToMs: null,
    terms: { merchantShareRate: Rate.of('0.70'), wholesalePerMinute: null },
  }, T0_MS);
  return { billingCarrierId, hostingCarrierId, subscriberId, merchantId, offerId, tariff };
}

/** A charge and its journal for `seconds` of the world's tariff. */
export function chargeFor(world: World, sessionId: string, seconds: number, atMs = T0_MS): { charge: Charge; journal: JournalDraft } {
  return buildCharge({
    chargeId: `chg_${sessionId}`, journalId: `jnl_${sessionId}`, sessionId, offerId: world.offerId,
    parties: { subscriberId: world.subscriberId, billingCarrierId: world.billingCarrierId, hostingCarrierId: world.hostingCarrierId, merchantId: world.merchantId },
    terms: { collectionFeeRate: Rate.of('0.15'), merchantShareRate: Rate.of('0.70') },
    rating: rate(world.tariff, atMs, seconds), meteringStartedAtMs: atMs, atMs: atMs + seconds * 1000,
  });
}
