/**
 * Eligibility and quotes (DESIGN.md §1, step 1): may this subscriber buy this offer, what is the
 * largest cap allowed (offer cap, monthly budget left, the profile's legal ceilings, maxCost),
 * and the price announcement the user must read.
 */
import {
  announce, assert, err, type Locale, maxAffordableSeconds, maxCostBilled, Money, type Offer, ok, periodOf, PROFILES, type Quote, rate, type Result,
  sha256Hex, type Subscriber, type Tariff,
} from '../../domain/index.ts';
import { QUOTE_TTL_MS } from '../limits.ts';
import type { IdGenerator, Secrets, Store } from '../ports/index.ts';
import type { Ineligible, NotFound } from './broker-errors.ts';

export interface QuoteDeps {
  readonly store: Store;
  readonly ids: IdGenerator;
  readonly secrets: Secrets;
}

export interface Eligibility {
  readonly offer: Offer;
  readonly subscriber: Subscriber;
  readonly tariff: Tariff;
  readonly hostingCarrierId: string;
  /** Largest cap the user may choose (whole minor units). */
  readonly capAllowed: Money;
  /** What the first billable step costs: below it nothing can be bought. */
  readonly firstStep: Money;
}

/** What the first billable second costs (connection fee, minimum block, first increment included). */
export function firstBillableStep(tariff: Tariff, atMs: number): Money {
  return rate(tariff, atMs, Math.max(tariff.freeSeconds + 1, tariff.minimumSeconds)).billed;
}

/** The monthly budget: the subscriber's cap, and the profile's legal monthly ceiling if lower. */
export function monthlyBudget(subscriber: Subscriber, tariff: Tariff): Money {
  const legal = PROFILES[tariff.profile].monthlyAmountMax;
  return legal === null || legal.currency !== subscriber.monthlyCap.currency ? subscriber.monthlyCap : subscriber.monthlyCap.min(legal);
}

/** The monthly budget left: the monthly budget minus what is posted and held this month. */
export async function budgetLeft(store: Store, subscriber: Subscriber, tariff: Tariff, atMs: number): Promise<Money> {
  const carrier = await store.getCarrier(subscriber.billingCarrierId);
  assert(carrier !== null, 'a subscriber has a billing carrier');
  const usage = await store.budgetUsage(subscriber.id, periodOf(atMs, carrier.timeZone));
  const monthly = monthlyBudget(subscriber, tariff);
  const left = monthly.minus(Money.fromMinorUnits(usage.heldMinor + usage.postedMinor, monthly.currency));
  return left.isNegative() ? Money.zero(monthly.currency) : left;
}

/**
 * Checks, in this order: the offer exists and is active, the subscriber exists and is not barred,
 * currencies agree, both agreements are in force, and the budget left buys the first step.
 */
export async function checkEligibility(store: Store, offerId: string, subscriberId: string, atMs: number): Promise<Result<Eligibility, NotFound | Ineligible>> {
  const offer = await store.getOffer(offerId);
  if (offer === null) return err('offer_not_found');
  const subscriber = await store.getSubscriber(subscriberId);
  if (subscriber === null) return err('subscriber_not_found');
  if (offer.status !== 'active') return err('offer_retired');
  if (subscriber.status === 'barred') return err('subscriber_barred');
  const [merchant, tariff] = await Promise.all([store.getMerchant(offer.merchantId), store.getTariff(offer.tariffHash)]);
  assert(merchant !== null && tariff !== null, 'an offer has its merchant and tariff');
  if (tariff.currency !== subscriber.monthlyCap.currency) return err('currency_mismatch');
  const hostingCarrierId = merchant.hostingCarrierId;
  const carrierAgreement = subscriber.billingCarrierId === hostingCarrierId
    ? true : await store.carrierAgreementAt(subscriber.billingCarrierId, hostingCarrierId, atMs);
  const merchantAgreement = await store.merchantAgreementAt(hostingCarrierId, merchant.id, atMs);
  if (carrierAgreement === null || merchantAgreement === null) return err('no_agreement');
  const left = await budgetLeft(store, subscriber, tariff, atMs);
  // A session never bills more than the tariff's maxCost (`disconnect` stops it there, `free` stops
  // charging there), so a larger cap would only hold budget that can never be spent.
  const ceilings = [offer.defaultCap, left, PROFILES[tariff.profile].sessionAmountMax, maxCostBilled(tariff)];
  let capAllowed = left;
  for (const ceiling of ceilings) if (ceiling !== null && ceiling.currency === left.currency) capAllowed = capAllowed.min(ceiling);
  capAllowed = capAllowed.roundToMinorUnit('down');
  const firstStep = firstBillableStep(tariff, atMs);
  if (capAllowed.compare(firstStep) < 0 || capAllowed.isZero()) return err('budget_too_low');
  return ok({ offer, subscriber, tariff, hostingCarrierId, capAllowed, firstStep });
}

export interface QuoteResult {
  readonly quote: Quote;
  /** Bearer token that lets the user's widget consent to this quote; shown once. */
  readonly quoteToken: string;
  readonly eligibility: Eligibility;
}

/** Makes and stores a quote with its price announcement (and the announcement's hash). */
export async function quoteOffer(
  deps: QuoteDeps, input: { offerId: string; subscriberId: string; locale: Locale; atMs: number },
): Promise<Result<QuoteResult, NotFound | Ineligible>> {
  const eligible = await checkEligibility(deps.store, input.offerId, input.subscriberId, input.atMs);
  if (!eligible.ok) return eligible;
  const { tariff, capAllowed } = eligible.value;
  const announcement = announce(tariff, input.locale, capAllowed);
  const quoteToken = deps.secrets.newToken('qtk');
  const quote: Quote = {
    id: deps.ids.newId('quo'), offerId: input.offerId, subscriberId: input.subscriberId, tariffHash: tariff.hash, locale: input.locale,
    announcementText: announcement.text, announcementHash: announcement.hash, currency: tariff.currency,
    capAllowedMinor: capAllowed.toMinorUnits(), maxAffordableSeconds: maxAffordableSeconds(tariff, input.atMs, capAllowed).seconds,
    createdAtMs: input.atMs, expiresAtMs: input.atMs + QUOTE_TTL_MS, tokenHash: sha256Hex(quoteToken),
  };
  await deps.store.insertQuote(quote);
  return ok({ quote, quoteToken, eligibility: eligible.value });
}
