/**
 * Refunds (full or partial) by an operator or the merchant: a refund journal that gives back each
 * part of the charge's waterfall in proportion to what is left of it, with the reason recorded.
 * Serialised per charge so that two refunds can never together exceed it.
 */
import { err, ok, type Refund, refundPostings, refundWaterfall, type Result } from '../../domain/index.ts';
import type { IdGenerator, Store } from '../ports/index.ts';
import type { NotFound, RefundError } from './broker-errors.ts';

interface RefundDeps {
  readonly store: Store;
  readonly ids: IdGenerator;
}

export interface RefundInput {
  readonly chargeId: string;
  /** Amount to give back, tax included, in minor units (the whole remainder when null). */
  readonly amountMinor: bigint | null;
  readonly reason: string;
  /** `operator:<carrier id>` or `merchant:<merchant id>`. */
  readonly by: string;
  readonly atMs: number;
}

export async function refundCharge(deps: RefundDeps, input: RefundInput): Promise<Result<Refund, NotFound | RefundError>> {
  return deps.store.transaction(async (tx) => {
    const charge = await tx.lockCharge(input.chargeId);
    if (charge === null) return err('charge_not_found');
    const earlier = await tx.listRefunds(charge.id);
    const refundedMinor = earlier.reduce((sum, refund) => sum + refund.amountMinor, 0n);
    const leftMinor = charge.amount.toMinorUnits() - refundedMinor;
    const amountMinor = input.amountMinor ?? leftMinor;
    if (amountMinor <= 0n || amountMinor > leftMinor) return err('refund_exceeds_charge');
    const split = refundWaterfall(charge.split, earlier.map((refund) => refund.split), amountMinor);
    const refund: Refund = {
      id: deps.ids.newId('ref'), chargeId: charge.id, amountMinor, currency: charge.currency, reason: input.reason, split,
      journalId: deps.ids.newId('jnl'), createdBy: input.by, createdAtMs: input.atMs,
    };
    const parties = { subscriberId: charge.subscriberId, billingCarrierId: charge.billingCarrierId, hostingCarrierId: charge.hostingCarrierId, merchantId: charge.merchantId };
    await tx.insertRefund(refund, {
      kind: 'refund', causeType: 'refund', causeId: refund.id, reversesJournalId: charge.journalId,
      description: `refund of ${amountMinor} minor units on charge ${charge.id}: ${input.reason}`, postings: refundPostings(split, parties),
    });
    return ok(refund);
  });
}
