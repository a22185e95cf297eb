/**
 * Response bodies of the REST API: domain values rendered as JSON, amounts as decimal strings
 * with their currency, instants in ISO 8601. The zod schemas document them in /openapi.json.
 */
import { z } from 'zod';
import type { QuoteResult, SessionView } from '../../../app/index.ts';
import {
  type Charge, Money, type Offer, type Refund, type SessionRating, type Waterfall,
} from '../../../domain/index.ts';
import type { Eligibility } from '../../../app/sessions/quote-offer.ts';

const amount = z.string().meta({ description: 'Decimal string in major units', example: '1.23' });
const instant = z.string().meta({ description: 'ISO 8601 instant (UTC)', example: '2026-10-25T06:00:00.000Z' });

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const sessionJson = z.object({
  id: z.string(), status: z.string(), offerId: z.string(), merchantId: z.string(), subscriberId: z.string(), medium: z.string(),
  currency: z.string(), cap: amount, reserved: amount.nullable(), meteredSeconds: z.int(), amount, endReason: z.string().nullable(),
  chargeId: z.string().nullable(), createdAt: instant, meteringStartedAt: instant.nullable(), endedAt: instant.nullable(),
  stopAt: instant.nullable().meta({ description: 'When the cap will stop the session if it runs on' }),
}).meta({ id: 'Session' });

export function sessionView(view: SessionView): z.infer<typeof sessionJson> {
  const { session } = view;
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, session.currency).toString();
  return {
    id: session.id, status: session.status, offerId: session.offerId, merchantId: session.merchantId, subscriberId: session.subscriberId,
    medium: session.medium, currency: session.currency, cap: money(session.capMinor),
    reserved: session.reservedMinor === null ? null : money(session.reservedMinor), meteredSeconds: view.meteredSeconds,
    amount: view.billed.toString(), endReason: session.endReason, chargeId: session.chargeId, createdAt: new Date(session.createdAtMs).toISOString(),
    meteringStartedAt: iso(session.meteringStartedAtMs), endedAt: iso(session.endedAtMs), stopAt: iso(view.stopAtMs),
  };
}

export const quoteJson = z.object({
  id: z.string(), offerId: z.string(), subscriberId: z.string(), tariffHash: z.string(), locale: z.string(), currency: z.string(),
  capAllowed: amount, maxAffordableSeconds: z.int(),
  announcement: z.object({ text: z.string(), hash: z.string() }), expiresAt: instant,
  quoteToken: z.string().meta({ description: 'Bearer token the user\'s widget consents with (shown once)' }),
}).meta({ id: 'Quote' });

export function quoteView(result: QuoteResult): z.infer<typeof quoteJson> {
  const { quote } = result;
  return {
    id: quote.id, offerId: quote.offerId, subscriberId: quote.subscriberId, tariffHash: quote.tariffHash, locale: quote.locale, currency: quote.currency,
    capAllowed: Money.fromMinorUnits(quote.capAllowedMinor, quote.currency).toString(), maxAffordableSeconds: quote.maxAffordableSeconds,
    announcement: { text: quote.announcementText, hash: quote.announcementHash }, expiresAt: new Date(quote.expiresAtMs).toISOString(),
    quoteToken: result.quoteToken,
  };
}

/** An amount of the split, with what it is. */
const part = (what: string) => z.string().meta({ description: `Decimal string in major units: ${what}`, example: '0.12' });

const splitJson = z.object({
  gross: amount, vat: amount, net: amount,
  billingCarrierFee: part('what the billing carrier retains, collectionFee + badDebtAllowance + interconnect'),
  collectionFee: part('the billing carrier\'s collection fee, a share of the net'),
  badDebtAllowance: part('the billing carrier\'s bad-debt allowance, a share of the net'),
  interconnect: part('the interconnect fee per billed minute, paid by the hosting carrier to the billing carrier'),
  hostingCarrierShare: amount, merchantShare: amount, interCarrier: z.boolean(),
}).meta({ id: 'RevenueSplit', description: 'The revenue share waterfall (docs/settlement.md): vat + billingCarrierFee + hostingCarrierShare + merchantShare = gross' });

function splitView(split: Waterfall): z.infer<typeof splitJson> {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, split.currency).toString();
  return {
    gross: money(split.grossMinor), vat: money(split.vatMinor), net: money(split.netMinor), billingCarrierFee: money(split.billingCarrierFeeMinor),
    collectionFee: money(split.collectionFeeMinor), badDebtAllowance: money(split.badDebtMinor), interconnect: money(split.interconnectMinor),
    hostingCarrierShare: money(split.hostingCarrierShareMinor), merchantShare: money(split.merchantShareMinor), interCarrier: split.interCarrier,
  };
}

export const refundJson = z.object({
  id: z.string(), chargeId: z.string(), amount, currency: z.string(), reason: z.string(), split: splitJson, createdBy: z.string(), createdAt: instant,
}).meta({ id: 'Refund' });

export function refundView(refund: Refund): z.infer<typeof refundJson> {
  return {
    id: refund.id, chargeId: refund.chargeId, amount: Money.fromMinorUnits(refund.amountMinor, refund.currency).toString(), currency: refund.currency,
    reason: refund.reason, split: splitView(refund.split), createdBy: refund.createdBy, createdAt: new Date(refund.createdAtMs).toISOString(),
  };
}

export const chargeJson = z.object({
  id: z.string(), sessionId: z.string(), offerId: z.string(), merchantId: z.string(), subscriberId: z.string(), tariffHash: z.string(),
  currency: z.string(), meteredSeconds: z.int(), billedSeconds: z.int(), amount, precise: amount, net: amount, vat: amount, split: splitJson,
  refunded: amount, refunds: z.array(refundJson), rating: z.unknown().meta({ description: 'The rating breakdown: one line per span' }),
  meteringStartedAt: instant, createdAt: instant,
}).meta({ id: 'Charge' });

export function chargeView(charge: Charge, refunds: readonly Refund[]): z.infer<typeof chargeJson> {
  const refundedMinor = refunds.reduce((sum, refund) => sum + refund.amountMinor, 0n);
  return {
    id: charge.id, sessionId: charge.sessionId, offerId: charge.offerId, merchantId: charge.merchantId, subscriberId: charge.subscriberId,
    tariffHash: charge.tariffHash, currency: charge.currency, meteredSeconds: charge.meteredSeconds, billedSeconds: charge.billedSeconds,
    amount: charge.amount.toString(), precise: charge.precise.toString(), net: charge.net.toString(), vat: charge.vat.toString(),
    split: splitView(charge.split), refunded: Money.fromMinorUnits(refundedMinor, charge.currency).toString(), refunds: refunds.map(refundView),
    rating: JSON.parse(charge.ratingJson) as unknown, meteringStartedAt: new Date(charge.meteringStartedAtMs).toISOString(),
    createdAt: new Date(charge.createdAtMs).toISOString(),
  };
}

export const offerJson = z.object({
  id: z.string(), merchantId: z.string(), name: z.string(), tariffHash: z.string(), mediaAllowed: z.array(z.string()), defaultCap: amount,
  currency: z.string(), holdBilled: z.boolean(), profile: z.string(), status: z.string(),
}).meta({ id: 'Offer' });

export function offerView(offer: Offer): z.infer<typeof offerJson> {
  return {
    id: offer.id, merchantId: offer.merchantId, name: offer.name, tariffHash: offer.tariffHash, mediaAllowed: [...offer.mediaAllowed],
    defaultCap: offer.defaultCap.toString(), currency: offer.defaultCap.currency, holdBilled: offer.holdBilled, profile: offer.profile, status: offer.status,
  };
}

export const eligibilityJson = z.object({
  eligible: z.boolean(), reason: z.string().nullable().meta({ description: 'Why not, as a problem code' }),
  capAllowed: amount.nullable(), currency: z.string().nullable(),
}).meta({ id: 'Eligibility' });

export function eligibilityView(result: { ok: true; value: Eligibility } | { ok: false; error: string }): z.infer<typeof eligibilityJson> {
  return result.ok
    ? { eligible: true, reason: null, capAllowed: result.value.capAllowed.toString(), currency: result.value.capAllowed.currency }
    : { eligible: false, reason: result.error, capAllowed: null, currency: null };
}

export const ratingJson = z.object({ sessionId: z.string(), stars: z.int(), comment: z.string(), createdAt: instant }).meta({ id: 'Rating' });

export function ratingView(rating: SessionRating): z.infer<typeof ratingJson> {
  return { sessionId: rating.sessionId, stars: rating.stars, comment: rating.comment, createdAt: new Date(rating.createdAtMs).toISOString() };
}

export function pageJson<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id: name });
}

