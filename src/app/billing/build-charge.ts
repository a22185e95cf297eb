/**
 * From a rating to a charge and its journal: the VAT split of the rating, the revenue-share
 * waterfall on the net, and the balanced postings. Pure given its inputs (ids and time come in).
 */
import {
  assert, type Charge, type ChargeParties, chargePostings, type JournalDraft, type Rating, revenueWaterfall, type ShareTerms,
} from '../../domain/index.ts';

export interface ChargeInput {
  readonly chargeId: string;
  readonly journalId: string;
  readonly sessionId: string;
  readonly offerId: string;
  readonly parties: ChargeParties;
  readonly terms: ShareTerms;
  readonly rating: Rating;
  readonly meteringStartedAtMs: number;
  readonly atMs: number;
}

/**
 * The charge and its journal for a rated session. The billed amount must be whole minor units
 * (tariffs used for sessions round to at most the currency's minor unit).
 */
export function buildCharge(input: ChargeInput): { charge: Charge; journal: JournalDraft } {
  const { rating, parties } = input;
  assert(rating.billed.isWholeMinorUnits(), 'a session tariff rounds to whole minor units');
  assert(rating.billed.isPositive(), 'a charge bills a positive amount (a session that cost nothing has no charge)');
  const split = revenueWaterfall(
    { currency: rating.currency, grossMinor: rating.billed.toMinorUnits(), vatMinor: rating.vat.vat.toMinorUnits(), billedSeconds: rating.billedSeconds }, input.terms, parties,
  );
  const charge: Charge = {
    id: input.chargeId, sessionId: input.sessionId, subscriberId: parties.subscriberId, merchantId: parties.merchantId, offerId: input.offerId,
    billingCarrierId: parties.billingCarrierId, hostingCarrierId: parties.hostingCarrierId, tariffHash: rating.tariffHash,
    currency: rating.currency, meteredSeconds: rating.meteredSeconds, billedSeconds: rating.billedSeconds,
    amount: rating.billed, precise: rating.precise, net: rating.vat.net, vat: rating.vat.vat, split,
    ratingJson: JSON.stringify({ lines: rating.lines, connectionFee: rating.connectionFee, flatPrice: rating.flatPrice, maxCostReached: rating.maxCostReached }),
    journalId: input.journalId, meteringStartedAtMs: input.meteringStartedAtMs, createdAtMs: input.atMs,
  };
  const journal: JournalDraft = {
    kind: 'charge', causeType: 'charge', causeId: input.chargeId, reversesJournalId: null,
    description: `session ${input.sessionId}: ${rating.billed.toString()} ${rating.currency} for ${rating.billedSeconds} s`,
    postings: chargePostings(split, parties),
  };
  return { charge, journal };
}
