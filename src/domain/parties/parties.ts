/**
 * The parties of a session and their terms: carriers, subscribers, merchants, offers,
 * agreements, API keys. Plain immutable values; storage maps rows to them.
 */
import type { Currency, Money, Rate } from '../money/index.ts';
import type { ProfileId } from '../tariff/index.ts';

export interface Carrier {
  readonly id: string;
  readonly name: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  readonly currency: Currency;
  /** IANA zone of the carrier's billing calendar (months, bills, settlement periods). */
  readonly timeZone: string;
  /** ITU-T E.212 MCC-MNC codes, e.g. "208-01". */
  readonly mccMncCodes: readonly string[];
}

export const SUBSCRIBER_STATUSES = ['active', 'barred'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export interface Subscriber {
  readonly id: string;
  /** Keyed HMAC of the E.164 number: the raw number is never stored. */
  readonly msisdnHmac: string;
  readonly billingCarrierId: string;
  readonly monthlyCap: Money;
  readonly status: SubscriberStatus;
}

export interface Merchant {
  readonly id: string;
  readonly name: string;
  readonly hostingCarrierId: string;
  /** Payout terms: paid this many days after the period closes, once at least this much is owed. */
  readonly payoutDelayDays: number;
  readonly payoutMinimum: Money;
}

export const MEDIA = ['voice', 'chat', 'video', 'cobrowse'] as const;
export type Medium = (typeof MEDIA)[number];

export interface Offer {
  readonly id: string;
  readonly merchantId: string;
  readonly name: string;
  readonly tariffHash: string;
  readonly mediaAllowed: readonly Medium[];
  readonly defaultCap: Money;
  readonly holdBilled: boolean;
  readonly profile: ProfileId;
  readonly status: 'active' | 'retired';
}

/** Billing carrier ↔ hosting carrier terms. */
export interface CarrierAgreementTerms {
  readonly collectionFeeRate: Rate;
  readonly badDebtRate: Rate;
  /** Optional interconnect fee per billed minute. */
  readonly interconnectPerMinute: Money | null;
}

/** Hosting carrier ↔ merchant terms: a share of the net, or a wholesale price per billed minute (exactly one). */
export interface MerchantAgreementTerms {
  readonly merchantShareRate: Rate | null;
  readonly wholesalePerMinute: Money | null;
}

interface AgreementBase {
  readonly id: string;
  readonly hostingCarrierId: string;
  readonly effectiveFromMs: number;
  /** Exclusive end, or null while in force. */
  readonly effectiveToMs: number | null;
}

export type Agreement =
  | (AgreementBase & { readonly kind: 'carrier'; readonly billingCarrierId: string; readonly terms: CarrierAgreementTerms })
  | (AgreementBase & { readonly kind: 'merchant'; readonly merchantId: string; readonly terms: MerchantAgreementTerms });

export const API_KEY_ROLES = ['operator', 'merchant'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export interface ApiKey {
  readonly id: string;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  readonly keyHash: string;
  readonly role: ApiKeyRole;
  /** The carrier (operator) or merchant the key acts for. */
  readonly scopeId: string;
  readonly label: string;
  readonly revokedAtMs: number | null;
}
