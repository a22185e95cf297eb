/** Quotes (the price announced for one offer and subscriber) and consents (the user's acceptance, kept as evidence). */
import type { Currency, Locale } from '../money/index.ts';

export interface Quote {
  readonly id: string;
  readonly offerId: string;
  readonly subscriberId: string;
  readonly tariffHash: string;
  readonly locale: Locale;
  readonly announcementText: string;
  readonly announcementHash: string;
  readonly currency: Currency;
  /** The largest cap the user may choose: offer cap, budget left and legal ceiling. */
  readonly capAllowedMinor: bigint;
  /** Metered seconds that cap affords. */
  readonly maxAffordableSeconds: number;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** SHA-256 of the quote's bearer token (lets the user's widget consent without an API key). */
  readonly tokenHash: string;
}

/** What a user accepted, when and from where: the evidence that a charge was consented to. */
export interface Consent {
  readonly id: string;
  readonly quoteId: string;
  readonly sessionId: string;
  readonly tariffHash: string;
  readonly announcementText: string;
  readonly announcementHash: string;
  readonly capMinor: bigint;
  readonly currency: Currency;
  readonly channel: string;
  readonly clientIp: string;
  readonly userAgent: string;
  readonly acceptedAtMs: number;
}

export interface SessionRating {
  readonly sessionId: string;
  /** 1 to 5. */
  readonly stars: number;
  readonly comment: string;
  readonly createdAtMs: number;
}
