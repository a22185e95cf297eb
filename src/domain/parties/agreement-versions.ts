/**
 * Agreements are versioned by effective date (issue 6): the versions of one pair of parties follow
 * each other with no gap and no overlap. A new version starts at or after the current one; the
 * current open-ended version is closed where the new one starts.
 */
import { err, ok, type Result, type Violation } from '../result.ts';
import { Rate } from '../money/index.ts';
import type { Agreement } from './parties.ts';

/** What adding a version changes: the version it closes, if any. */
export interface AgreementPlan {
  readonly closes: { readonly id: string; readonly effectiveToMs: number } | null;
}

const ONE = Rate.of('1');

function rateProblems(field: string, rate: Rate): Violation[] {
  return rate.isNegative() || rate.compare(ONE) > 0 ? [{ field, rule: 'share_range', message: 'must be between 0 and 1 (0 % to 100 %)' }] : [];
}

/** Problems with the terms themselves: shares within 0–100 %, exactly one way to pay the merchant. */
export function agreementTermsProblems(agreement: Agreement): Violation[] {
  if (agreement.kind === 'carrier') {
    const { collectionFeeRate, badDebtRate, interconnectPerMinute } = agreement.terms;
    const out = [...rateProblems('collectionFeeRate', collectionFeeRate), ...rateProblems('badDebtRate', badDebtRate)];
    if (collectionFeeRate.plus(badDebtRate).compare(ONE) > 0) out.push({ field: 'badDebtRate', rule: 'share_range', message: 'collection fee + bad-debt allowance must not exceed 100 %' });
    if (interconnectPerMinute?.isNegative() === true) out.push({ field: 'interconnectPerMinute', rule: 'min', message: 'must not be negative' });
    return out;
  }
  const { merchantShareRate, wholesalePerMinute } = agreement.terms;
  if ((merchantShareRate === null) === (wholesalePerMinute === null)) {
    return [{ field: 'merchantShareRate', rule: 'one_of', message: 'give either merchantShareRate or wholesalePerMinute' }];
  }
  if (merchantShareRate !== null) return rateProblems('merchantShareRate', merchantShareRate);
  return wholesalePerMinute?.isNegative() === true ? [{ field: 'wholesalePerMinute', rule: 'min', message: 'must not be negative' }] : [];
}

/**
 * Checks `candidate` against the versions already stored for the same pair (any order) and says
 * which version it closes. Refused: a start before the latest version's start (overlap), or after
 * the end of a closed latest version (gap).
 */
export function planAgreementVersion(existing: readonly Agreement[], candidate: Agreement): Result<AgreementPlan, Violation[]> {
  const problems = agreementTermsProblems(candidate);
  if (candidate.effectiveToMs !== null && candidate.effectiveToMs <= candidate.effectiveFromMs) {
    problems.push({ field: 'effectiveTo', rule: 'order', message: 'must be after effectiveFrom' });
  }
  const latest = [...existing].sort((a, b) => b.effectiveFromMs - a.effectiveFromMs)[0];
  let closes: AgreementPlan['closes'] = null;
  if (latest !== undefined) {
    if (candidate.effectiveFromMs <= latest.effectiveFromMs) {
      problems.push({ field: 'effectiveFrom', rule: 'overlap', message: 'must be after the start of the version in force' });
    } else if (latest.effectiveToMs === null) {
      closes = { id: latest.id, effectiveToMs: candidate.effectiveFromMs };
    } else if (candidate.effectiveFromMs > latest.effectiveToMs) {
      problems.push({ field: 'effectiveFrom', rule: 'gap', message: 'must start where the previous version ends' });
    } else if (candidate.effectiveFromMs < latest.effectiveToMs) {
      problems.push({ field: 'effectiveFrom', rule: 'overlap', message: 'must start where the previous version ends' });
    }
  }
  return problems.length > 0 ? err(problems) : ok({ closes });
}
