/**
 * Publishing a new version of an agreement (issue 6 §1, docs/settlement.md): the terms are
 * checked (shares within 0–100 %, one way to pay the merchant), the version must follow the
 * pair's versions with no gap and no overlap, and it takes effect now or later — charges already
 * rated keep the split they were rated with, so a back-dated version would misstate the terms
 * that applied. The open version it follows is closed where it starts, and the new one is
 * inserted, in one transaction.
 */
import {
  type Agreement, err, Money, ok, planAgreementVersion, type Rate, type Result, type Violation,
} from '../../domain/index.ts';
import type { Clock, IdGenerator, Store } from '../ports/index.ts';

/** The terms of a new version, as given (amounts in the currency of the party that receives them). */
export type NewAgreement =
  | {
    readonly kind: 'carrier'; readonly billingCarrierId: string; readonly hostingCarrierId: string;
    readonly effectiveFromMs: number; readonly effectiveToMs: number | null;
    readonly collectionFeeRate: Rate; readonly badDebtRate: Rate;
    /** Decimal string in major units of the billing carrier's currency, or null. */
    readonly interconnectPerMinute: string | null;
  }
  | {
    readonly kind: 'merchant'; readonly merchantId: string; readonly effectiveFromMs: number; readonly effectiveToMs: number | null;
    readonly merchantShareRate: Rate | null;
    /** Decimal string in major units of the hosting carrier's currency, or null. */
    readonly wholesalePerMinute: string | null;
  };

/**
 * Refusals, in precedence order: a party that does not exist (`carrier_not_found`,
 * `merchant_not_found`); terms or dates that break a rule (`agreement_invalid`, with every
 * violation); another version published for the pair meanwhile (`agreement_conflict`: retry).
 */
export type AddAgreementError =
  | { readonly code: 'carrier_not_found' | 'merchant_not_found' | 'agreement_conflict'; readonly detail: string }
  | { readonly code: 'agreement_invalid'; readonly errors: readonly Violation[] };

export interface AddAgreementDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** The candidate version with its parties resolved, or the party that is missing. */
async function candidateOf(store: Store, input: NewAgreement, id: string): Promise<Result<Agreement, AddAgreementError>> {
  const dates = { effectiveFromMs: input.effectiveFromMs, effectiveToMs: input.effectiveToMs };
  if (input.kind === 'carrier') {
    const [billing, hosting] = await Promise.all([store.getCarrier(input.billingCarrierId), store.getCarrier(input.hostingCarrierId)]);
    if (billing === null || hosting === null) return err({ code: 'carrier_not_found', detail: `no carrier ${billing === null ? input.billingCarrierId : input.hostingCarrierId}` });
    return ok({
      id, kind: 'carrier', billingCarrierId: billing.id, hostingCarrierId: hosting.id, ...dates,
      terms: {
        collectionFeeRate: input.collectionFeeRate, badDebtRate: input.badDebtRate,
        interconnectPerMinute: input.interconnectPerMinute === null ? null : Money.of(input.interconnectPerMinute, billing.currency),
      },
    });
  }
  const merchant = await store.getMerchant(input.merchantId);
  if (merchant === null) return err({ code: 'merchant_not_found', detail: `no merchant ${input.merchantId}` });
  return ok({
    id, kind: 'merchant', merchantId: merchant.id, hostingCarrierId: merchant.hostingCarrierId, ...dates,
    terms: {
      merchantShareRate: input.merchantShareRate,
      wholesalePerMinute: input.wholesalePerMinute === null ? null : Money.of(input.wholesalePerMinute, merchant.payoutMinimum.currency),
    },
  });
}

/** The versions already stored for the candidate's pair. */
function pairVersions(store: Store, candidate: Agreement): Promise<Agreement[]> {
  return candidate.kind === 'carrier'
    ? store.listAgreements({ kind: 'carrier', billingCarrierId: candidate.billingCarrierId, hostingCarrierId: candidate.hostingCarrierId })
    : store.listAgreements({ kind: 'merchant', hostingCarrierId: candidate.hostingCarrierId, merchantId: candidate.merchantId });
}

/**
 * Adds a version of the agreement between two parties and returns it (with its id). The version
 * it follows, if open-ended, now ends where this one starts.
 *
 * @example await addAgreement(deps, { kind: 'merchant', merchantId: 'mer_depannage_pc', effectiveFromMs, effectiveToMs: null, merchantShareRate: Rate.of('0.72'), wholesalePerMinute: null })
 */
export async function addAgreement(deps: AddAgreementDeps, input: NewAgreement): Promise<Result<Agreement, AddAgreementError>> {
  const nowMs = deps.clock.nowMs();
  return deps.store.transaction(async (tx) => {
    const candidate = await candidateOf(tx, input, deps.ids.newId('agr'));
    if (!candidate.ok) return candidate;
    const agreement = candidate.value;
    const plan = planAgreementVersion(await pairVersions(tx, agreement), agreement);
    const problems: Violation[] = agreement.effectiveFromMs < nowMs
      ? [{ field: 'effectiveFrom', rule: 'not_retroactive', message: `must not be before now (${new Date(nowMs).toISOString()}): charges already rated keep their terms` }]
      : [];
    if (!plan.ok) problems.push(...plan.error);
    if (problems.length > 0 || !plan.ok) return err({ code: 'agreement_invalid', errors: problems });
    if (plan.value.closes !== null) {
      const closed = await tx.closeAgreement(plan.value.closes.id, plan.value.closes.effectiveToMs);
      if (closed !== 'closed') return err({ code: 'agreement_conflict', detail: 'another version of this agreement was published meanwhile: read the versions again and retry' });
    }
    await tx.insertAgreement(agreement, nowMs);
    return ok(agreement);
  });
}
