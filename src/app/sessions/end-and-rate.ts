/**
 * Ending and rating, in one transaction (DESIGN.md §1, steps 5–6): the session ends at the given
 * instant (never after its cap stop), its metered intervals are rated against the consented
 * tariff version, and the charge, its balanced journal with the revenue share and the posting of
 * the budget hold are written with the session's final state. A session that cost nothing has no
 * charge and its hold is voided.
 */
import { assert, end, type EndReason, markRated, type Money, ok, rate, Rate, type Result, type Session, type ShareTerms } from '../../domain/index.ts';
import { buildCharge } from '../billing/build-charge.ts';
import type { Clock, IdGenerator, Store } from '../ports/index.ts';
import type { SessionError } from './broker-errors.ts';
import type { LiveSession } from './live-session.ts';

interface EndDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** `charged`: the amount of the session's charge as stored (null when it cost nothing). */
export async function endAndRate(deps: EndDeps, live: LiveSession, reason: EndReason, atMs: number): Promise<Result<{ billedMinor: bigint; charged: Money | null }, SessionError>> {
  // A session never runs past its planned stop (cap, maxCost, a day), whenever the stop is noticed.
  const capped = live.stopAtMs !== null && atMs > live.stopAtMs;
  const ended = end(live.session, capped ? live.stopReason : reason, capped ? (live.stopAtMs ?? atMs) : atMs);
  if (!ended.ok) return ended;
  const now = deps.clock.nowMs();
  const session = ended.value.session;
  const metered = session.intervals.reduce((sum, interval) => sum + interval.seconds, 0);
  const rating = metered > 0 && session.meteringStartedAtMs !== null ? rate(live.tariff, session.meteringStartedAtMs, session.intervals) : null;
  const billedMinor = rating === null ? 0n : rating.billed.toMinorUnits();
  assert(billedMinor <= session.capMinor, () => `session ${session.id}: billed ${billedMinor} within the consented cap ${session.capMinor}`);
  let chargeId: string | null = null;
  let charged: Money | null = null;
  const rated = await deps.store.transaction(async (tx) => {
    if (rating !== null && billedMinor > 0n) {
      chargeId = deps.ids.newId('chg');
      const meteringStartedAtMs = session.meteringStartedAtMs ?? now;
      const terms = await shareTerms(tx, live, meteringStartedAtMs);
      const { charge, journal } = buildCharge({
        chargeId, journalId: deps.ids.newId('jnl'), sessionId: session.id, offerId: session.offerId, rating, meteringStartedAtMs, atMs: now,
        parties: { subscriberId: session.subscriberId, billingCarrierId: live.billingCarrierId, hostingCarrierId: live.hostingCarrierId, merchantId: session.merchantId },
        terms,
      });
      const stored = (await tx.closeCharge({ charge, journal })).charge;
      chargeId = stored.id;
      charged = stored.amount;
    } else if ((await tx.getHoldForSession(session.id))?.status === 'pending') {
      await tx.voidHold(session.id, now);
    }
    const final = markRated(session, chargeId, now);
    const next: Session = { ...final.session, version: live.session.version + 1 };
    const saved = await tx.saveSession(next, live.session.version, [ended.value.event, final.event]);
    assert(saved === 'saved', `session ${session.id} has a single writer`);
    return next;
  });
  live.session = rated;
  return ok({ billedMinor, charged });
}

/** The shares in force when metering started (agreements are versioned by effective date). */
async function shareTerms(store: Store, live: LiveSession, atMs: number): Promise<ShareTerms> {
  const merchantAgreement = await store.merchantAgreementAt(live.hostingCarrierId, live.session.merchantId, atMs);
  assert(merchantAgreement !== null, 'a metered session has a merchant agreement');
  if (live.billingCarrierId === live.hostingCarrierId) {
    return { collectionFeeRate: Rate.of('0'), ...merchantAgreement.terms };
  }
  const carrierAgreement = await store.carrierAgreementAt(live.billingCarrierId, live.hostingCarrierId, atMs);
  assert(carrierAgreement !== null, 'a metered inter-carrier session has a carrier agreement');
  return {
    collectionFeeRate: carrierAgreement.terms.collectionFeeRate, badDebtRate: carrierAgreement.terms.badDebtRate,
    interconnectPerMinute: carrierAgreement.terms.interconnectPerMinute, ...merchantAgreement.terms,
  };
}
