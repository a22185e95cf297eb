/**
 * Settlement worlds for tests: carriers, one subscriber per carrier, merchants with their offers,
 * and the agreements between them, from a plain description (the golden month's JSON uses the
 * same shape). Charges go through the real path — rate() of the offer's tariff, buildCharge with
 * the agreements in force when metering started (looked up in the store, as the broker does), then
 * store.closeCharge — and refunds through the refundCharge use case.
 */
import assert from 'node:assert/strict';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { KyselyStore, verifyLedger } from '../../src/adapters/store/index.ts';
import { buildCharge } from '../../src/app/billing/build-charge.ts';
import type { Store } from '../../src/app/ports/index.ts';
import { refundCharge } from '../../src/app/sessions/refund-charge.ts';
import {
  type Charge, type ChargeParties, type Currency, Money, type ProfileId, Rate, rate, type Refund, type ShareTerms,
} from '../../src/domain/index.ts';
import type { DatabaseSuite } from './databases.ts';
import { fixtureTariff } from './fixtures.ts';

export interface CarrierSpec {
  readonly id: string;
  readonly name: string;
  readonly country: string;
  readonly currency: Currency;
  readonly timeZone: string;
}

export interface OfferSpec {
  readonly id: string;
  /** A file of fixtures/tariffs/, without `.json`. */
  readonly tariff: string;
  readonly profile: ProfileId;
  readonly defaultCap: string;
}

export interface MerchantSpec {
  readonly id: string;
  readonly name: string;
  readonly hostingCarrier: string;
  readonly offers: readonly OfferSpec[];
}

export interface CarrierAgreementSpec {
  readonly billingCarrier: string;
  readonly hostingCarrier: string;
  readonly collectionFeeRate: string;
  readonly badDebtRate: string;
  readonly interconnectPerMinute: string | null;
}

export interface MerchantAgreementSpec {
  readonly merchant: string;
  readonly merchantShareRate: string | null;
  readonly wholesalePerMinute: string | null;
}

export interface SettlementWorldSpec {
  readonly carriers: readonly CarrierSpec[];
  readonly merchants: readonly MerchantSpec[];
  readonly carrierAgreements: readonly CarrierAgreementSpec[];
  readonly merchantAgreements: readonly MerchantAgreementSpec[];
}

/** The store of a database suite, given the SQLite file so that settlement reads run in a worker. */
export function settlementStore(suite: DatabaseSuite): KyselyStore {
  const config = suite.target().config();
  return new KyselyStore(suite.database().db, suite.database().dialect, false, config.dialect === 'sqlite' ? config.path : null);
}

/** The one subscriber of each carrier. */
export const subscriberOf = (carrierId: string): string => `sub_${carrierId}`;

/** Inserts the world; agreements are in force from `agreementsFromMs`. */
export async function seedSettlementWorld(store: Store, spec: SettlementWorldSpec, agreementsFromMs: number): Promise<void> {
  const at = agreementsFromMs;
  for (const carrier of spec.carriers) {
    await store.insertCarrier({ ...carrier, mccMncCodes: [] }, at);
    await store.insertSubscriber({
      id: subscriberOf(carrier.id), msisdnHmac: `hmac_${carrier.id}`, billingCarrierId: carrier.id, monthlyCap: Money.of('300.00', carrier.currency), status: 'active',
    }, at);
  }
  const currencyOf = new Map(spec.carriers.map((carrier) => [carrier.id, carrier.currency]));
  for (const merchant of spec.merchants) {
    const currency = currencyOf.get(merchant.hostingCarrier) ?? 'EUR';
    await store.insertMerchant({ id: merchant.id, name: merchant.name, hostingCarrierId: merchant.hostingCarrier, payoutDelayDays: 30, payoutMinimum: Money.of('15.00', currency) }, at);
    for (const offer of merchant.offers) {
      const tariff = fixtureTariff(offer.tariff);
      await store.publishTariff(tariff, at);
      await store.insertOffer({
        id: offer.id, merchantId: merchant.id, name: offer.id, tariffHash: tariff.hash, mediaAllowed: ['voice'], defaultCap: Money.of(offer.defaultCap, tariff.currency),
        holdBilled: false, profile: offer.profile, status: 'active',
      }, at);
    }
  }
  for (const [index, a] of spec.carrierAgreements.entries()) {
    const currency = currencyOf.get(a.hostingCarrier) ?? 'EUR';
    await store.insertAgreement({
      id: `agr_c_${a.billingCarrier}_${a.hostingCarrier}_${index}`, kind: 'carrier', billingCarrierId: a.billingCarrier, hostingCarrierId: a.hostingCarrier,
      effectiveFromMs: at, effectiveToMs: null,
      terms: {
        collectionFeeRate: Rate.of(a.collectionFeeRate), badDebtRate: Rate.of(a.badDebtRate),
        interconnectPerMinute: a.interconnectPerMinute === null ? null : Money.of(a.interconnectPerMinute, currency),
      },
    }, at);
  }
  const hostOf = new Map(spec.merchants.map((merchant) => [merchant.id, merchant.hostingCarrier]));
  for (const a of spec.merchantAgreements) {
    const host = hostOf.get(a.merchant);
    if (host === undefined) throw new Error(`merchant agreement for an unknown merchant ${a.merchant}`);
    await store.insertAgreement({
      id: `agr_m_${a.merchant}`, kind: 'merchant', hostingCarrierId: host, merchantId: a.merchant, effectiveFromMs: at, effectiveToMs: null,
      terms: {
        merchantShareRate: a.merchantShareRate === null ? null : Rate.of(a.merchantShareRate),
        wholesalePerMinute: a.wholesalePerMinute === null ? null : Money.of(a.wholesalePerMinute, currencyOf.get(host) ?? 'EUR'),
      },
    }, at);
  }
}

/** The share terms in force at `atMs`, read from the store's agreements the way the broker reads them. */
export async function termsAt(store: Store, parties: ChargeParties, atMs: number): Promise<ShareTerms> {
  const merchant = await store.merchantAgreementAt(parties.hostingCarrierId, parties.merchantId, atMs);
  if (merchant === null) throw new Error(`no merchant agreement ${parties.hostingCarrierId} → ${parties.merchantId}`);
  if (parties.billingCarrierId === parties.hostingCarrierId) return { collectionFeeRate: Rate.of('0'), ...merchant.terms };
  const carrier = await store.carrierAgreementAt(parties.billingCarrierId, parties.hostingCarrierId, atMs);
  if (carrier === null) throw new Error(`no carrier agreement ${parties.billingCarrierId} → ${parties.hostingCarrierId}`);
  return { ...carrier.terms, ...merchant.terms };
}

export interface SessionSpec {
  readonly sessionId: string;
  readonly billingCarrierId: string;
  readonly offerId: string;
  readonly meteringStartMs: number;
  readonly meteredSeconds: number;
}

/** Rates a session of the offer's tariff and closes its charge, rated when the session ended (start + metered seconds). */
export async function rateAndClose(store: Store, session: SessionSpec): Promise<Charge> {
  const offer = await store.getOffer(session.offerId);
  const merchant = offer === null ? null : await store.getMerchant(offer.merchantId);
  const tariff = offer === null ? null : await store.getTariff(offer.tariffHash);
  if (offer === null || merchant === null || tariff === null) throw new Error(`offer ${session.offerId} is not seeded`);
  const parties: ChargeParties = {
    subscriberId: subscriberOf(session.billingCarrierId), billingCarrierId: session.billingCarrierId, hostingCarrierId: merchant.hostingCarrierId, merchantId: merchant.id,
  };
  const { charge, journal } = buildCharge({
    chargeId: `chg_${session.sessionId}`, journalId: `jnl_${session.sessionId}`, sessionId: session.sessionId, offerId: offer.id, parties,
    terms: await termsAt(store, parties, session.meteringStartMs), rating: rate(tariff, session.meteringStartMs, session.meteredSeconds),
    meteringStartedAtMs: session.meteringStartMs, atMs: session.meteringStartMs + session.meteredSeconds * 1000,
  });
  const closed = await store.closeCharge({ charge, journal });
  if (!closed.created) throw new Error(`charge of ${session.sessionId} already closed`);
  return closed.charge;
}

const refundIds = ulidGenerator();

/** Refunds `amountMinor` (all that is left when null) of a charge at `atMs`, through the refund use case. */
export async function refundAt(store: Store, chargeId: string, amountMinor: bigint | null, atMs: number): Promise<Refund> {
  const refunded = await refundCharge({ store, ids: refundIds }, { chargeId, amountMinor, reason: 'test refund', by: 'operator:test', atMs });
  if (!refunded.ok) throw new Error(`refund of ${chargeId}: ${refunded.error}`);
  return refunded.value;
}

/** `palier ledger verify` on the suite's database finds nothing. */
export async function assertLedgerClean(suite: DatabaseSuite): Promise<void> {
  const report = await verifyLedger(suite.database().db, suite.database().dialect);
  assert.ok(report.ok, `palier ledger verify: ${JSON.stringify(report.breaches.slice(0, 3))}`);
}
