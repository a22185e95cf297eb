/**
 * The session broker (DESIGN.md §1): runs every session from consent to rated charge. It keeps
 * the sessions it runs in memory, serialises all changes to one session, persists every
 * transition with its event before acting on it, schedules cap stops, warnings and 1 Hz ticks on
 * the one shared scheduler, and publishes to the live feed only what is committed.
 */
import {
  assert, billingCurve, changeMedium, closedSeconds, connect, type EndReason, err, hold, lastProofOfLifeMs, type Locale, maxCostBilled, type Medium, Money, nextChange, type NextChange, ok, priceChange,
  periodOf, type Refund, type Result, resume, seen, type Session, type SessionEvent, type SessionRating,
} from '../../domain/index.ts';
import { CHARGE_AMOUNTS_KEPT_MAX, LIVENESS_PERSIST_INTERVAL_MS, PRICE_NOTICE_LEAD_MS } from '../limits.ts';
import type { Clock, IdGenerator, LiveFeed, Scheduler, Secrets, Store } from '../ports/index.ts';
import type { BrokerError, ConsentError, Ineligible, NotFound, RefundError, SessionError } from './broker-errors.ts';
import { capPlan } from './cap-plan.ts';
import { consentToQuote, type ConsentInput } from './consent.ts';
import { endAndRate } from './end-and-rate.ts';
import type { LiveSession } from './live-session.ts';
import { TickTable } from './tick-table.ts';
import { refundCharge, type RefundInput } from './refund-charge.ts';
import {
  checkEligibility, type Eligibility, firstBillableStep, monthlyBudget, quoteOffer, type QuoteResult,
} from './quote-offer.ts';

export interface BrokerConfig {
  /** How long proof of life may stop before a session ends with `liveness_lost`. */
  readonly livenessGraceMs: number;
  /**
   * How ticks reach the scheduler: `per-phase` (default) one timer per millisecond of the second
   * in use, walking its sessions' rows; `per-session` one timer per session, the naive layout the
   * broker benchmark compares against.
   */
  readonly tickTimers?: 'per-phase' | 'per-session';
}

export interface BrokerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly ids: IdGenerator;
  readonly secrets: Secrets;
  readonly feed: LiveFeed;
  /** Runs work started by a timer; errors there are bugs, reported by the composition root. */
  readonly background: (work: Promise<unknown>) => void;
  readonly config: BrokerConfig;
}

/** A session as shown to clients: the state plus what it costs right now. */
export interface SessionView {
  readonly session: Session;
  readonly meteredSeconds: number;
  readonly billed: Money;
  readonly stopAtMs: number | null;
  /** The price now and next, and the next step of the amount, while metering; else null. */
  readonly price: NextChange | null;
}

/**
 * Whether `next`'s proof of life is to be written now: it moved LIVENESS_PERSIST_INTERVAL_MS past
 * the one last written (a crash then bills to at most that much before the last proof seen).
 */
function proofWriteDue(live: LiveSession, next: Session): boolean {
  return lastProofOfLifeMs(next) - live.persistedProofMs >= LIVENESS_PERSIST_INTERVAL_MS;
}

export class SessionBroker {
  private readonly running = new Map<string, LiveSession>();
  private readonly loading = new Map<string, Promise<LiveSession | null>>();
  /** Every running session's tick, and what it reads (mirrored from its LiveSession). */
  private readonly ticks: TickTable;
  /** The amounts of the charges this broker wrote last, by charge id (CHARGE_AMOUNTS_KEPT_MAX of them, oldest dropped). */
  private readonly chargeAmounts = new Map<string, Money>();
  private stopped = false;

  constructor(private readonly deps: BrokerDeps) {
    this.ticks = new TickTable(deps.scheduler, (row, dueMs) => { this.onTick(row, dueMs); }, deps.config.tickTimers ?? 'per-phase');
  }

  /** Sessions being run now (queued, active or on hold). */
  get runningCount(): number {
    return this.running.size;
  }

  /** A session being run now, as it stands (its state is saved before it changes here); null when it is not running: read the store. */
  runningSession(sessionId: string): Session | null {
    return this.running.get(sessionId)?.session ?? null;
  }

  eligibility(offerId: string, subscriberId: string): Promise<Result<Eligibility, NotFound | Ineligible>> {
    return checkEligibility(this.deps.store, offerId, subscriberId, this.deps.clock.nowMs());
  }

  quote(input: { offerId: string; subscriberId: string; locale: Locale }): Promise<Result<QuoteResult, NotFound | Ineligible>> {
    return quoteOffer(this.deps, { ...input, atMs: this.deps.clock.nowMs() });
  }

  /** The user accepts a quote: a queued session (waiting is free) and the user's session token. */
  async consent(input: ConsentInput): Promise<Result<{ session: Session; userToken: string }, NotFound | ConsentError>> {
    const result = await consentToQuote(this.deps, input, this.deps.clock.nowMs());
    if (!result.ok) return result;
    await this.adopt(result.value.session);
    return result;
  }

  /** The advisor connects: the cap is reserved on the monthly budget and metering starts. */
  connect(sessionId: string): Promise<Result<Session, NotFound | SessionError>> {
    return this.run(sessionId, async (live) => {
      const now = this.deps.clock.nowMs();
      const probe = connect(live.session, now, live.session.capMinor);
      if (!probe.ok) return probe;
      const subscriber = await this.deps.store.getSubscriber(live.session.subscriberId);
      assert(subscriber !== null, 'a session has its subscriber');
      // The hold is the cap, or what is left of the budget when it is placed (sized in its
      // transaction), and never more than the tariff's maxCost: no session bills more than that,
      // whatever its strategy (consent already keeps caps under it). Less than the first billable
      // step buys nothing: the session ends, budget exhausted.
      const ceiling = maxCostBilled(live.tariff);
      const ceilingMinor = ceiling === null ? null : ceiling.roundToMinorUnit('down').toMinorUnits();
      const wantedMinor = ceilingMinor === null || live.session.capMinor <= ceilingMinor ? live.session.capMinor : ceilingMinor;
      const firstStepMinor = firstBillableStep(live.tariff, now).roundToMinorUnit('up').toMinorUnits();
      const minimumMinor = firstStepMinor > 0n ? firstStepMinor : 1n;
      if (wantedMinor < minimumMinor) return this.finish(live, 'budget_exhausted', now);
      const placed = await this.commitBuilt(live, async (tx) => {
        const periodHold = await tx.placeHold({
          id: this.deps.ids.newId('hld'), subscriberId: subscriber.id, sessionId: live.session.id, period: periodOfLive(live, now),
          currency: live.tariff.currency, amountMinor: wantedMinor, minimumMinor, monthlyCapMinor: monthlyBudget(subscriber, live.tariff).toMinorUnits(),
          atMs: now,
        });
        if (!periodHold.ok) return false;
        const transition = connect(live.session, now, periodHold.value.amountMinor);
        assert(transition.ok, 'a queued session connects');
        return { next: transition.value.session, events: [transition.value.event] };
      });
      if (!placed) return this.finish(live, 'budget_exhausted', now);
      this.schedule(live);
      this.deps.feed.publish({ type: 'state', session: live.session, change: 'connected' });
      return ok(live.session);
    });
  }

  hold(sessionId: string): Promise<Result<Session, NotFound | SessionError>> {
    return this.transition(sessionId, (session, now) => hold(session, now));
  }

  resume(sessionId: string): Promise<Result<Session, NotFound | SessionError>> {
    return this.transition(sessionId, (session, now) => resume(session, now));
  }

  changeMedium(sessionId: string, medium: Medium): Promise<Result<Session, NotFound | SessionError>> {
    return this.run(sessionId, async (live) => {
      const offer = await this.deps.store.getOffer(live.session.offerId);
      if (offer !== null && !offer.mediaAllowed.includes(medium)) return err('medium_not_allowed');
      return this.applyTransition(live, changeMedium(live.session, medium, this.deps.clock.nowMs()));
    });
  }

  /**
   * Proof of presence applied at once, when that is all it takes: the session is running, nothing
   * of it is (no work on its chain, so no change can be lost under one in flight), and no write of
   * its proof of life is due. False when it must go through {@link heartbeat}, which does the same
   * in turn with its writes and errors. The live feed's pongs (one a watcher every ping interval,
   * 1,000 a second at 10,000 watchers) take this path: no promise, no turn of the chain.
   */
  heartbeatNow(sessionId: string, side: 'user' | 'advisor'): boolean {
    const live = this.running.get(sessionId);
    if (live === undefined || live.queued > 0 || isClosed(live.session)) return false;
    const next = seen(live.session, side, this.deps.clock.nowMs());
    if (proofWriteDue(live, next)) return false;
    live.session = next;
    if (live.tickRow !== null) this.ticks.writeProof(live.tickRow, live.session);
    return true;
  }

  /** Proof of presence from the user (widget) or the advisor side. */
  heartbeat(sessionId: string, side: 'user' | 'advisor'): Promise<Result<Session, NotFound | SessionError>> {
    return this.run(sessionId, async (live) => {
      if (isClosed(live.session)) return err('session_closed');
      const next = seen(live.session, side, this.deps.clock.nowMs());
      if (proofWriteDue(live, next)) {
        await this.commit(live, next, []);
        live.persistedProofMs = lastProofOfLifeMs(next);
      } else {
        live.session = next;
      }
      if (live.tickRow !== null) this.ticks.writeProof(live.tickRow, live.session);
      return ok(live.session);
    });
  }

  /**
   * Ends a session now, for `reason` (by the user, the advisor, an operator…), and rates it. Ending
   * a session that has already ended is a no-op returning it as it is, with its end reason and its
   * charge: a retried end (a lost response, both sides hanging up at once) writes nothing.
   */
  end(sessionId: string, reason: EndReason): Promise<Result<Session, NotFound | SessionError>> {
    return this.run(
      sessionId,
      async (live) => (isClosed(live.session) ? ok(live.session) : this.finish(live, reason, this.deps.clock.nowMs())),
      (closed) => ok(closed),
    );
  }

  /** The user rates an ended session, once. */
  async rateSession(sessionId: string, stars: number, comment: string): Promise<Result<SessionRating, NotFound | SessionError>> {
    const session = await this.deps.store.getSession(sessionId);
    if (session === null) return err('session_not_found');
    if (session.status !== 'rated') return err('session_not_ended');
    const rating: SessionRating = { sessionId, stars, comment, createdAtMs: this.deps.clock.nowMs() };
    const inserted = await this.deps.store.insertRating(rating);
    return inserted.ok ? ok(rating) : err(inserted.error);
  }

  /** Refunds a charge fully (amountMinor null) or partly, with a reason. */
  refund(input: Omit<RefundInput, 'atMs'>): Promise<Result<Refund, NotFound | RefundError>> {
    return refundCharge(this.deps, { ...input, atMs: this.deps.clock.nowMs() });
  }

  /**
   * A session with its live metered time and amount: rate() of the metered time up to now, or up
   * to the last proof of life when that is older (what would be billed if it stopped now).
   * `closed`: the session as `end` returned it, which need not be read again.
   */
  async view(sessionId: string, closed?: Session): Promise<SessionView | null> {
    const live = this.running.get(sessionId);
    const session = live?.session ?? closed ?? (await this.deps.store.getSession(sessionId));
    if (session === null) return null;
    if (session.status === 'rated' || session.status === 'ended') {
      const { chargeId } = session;
      const billed = chargeId === null ? null : this.chargeAmounts.get(chargeId) ?? (await this.deps.store.getCharge(chargeId))?.amount;
      return { session, meteredSeconds: closedSeconds(session), billed: billed ?? Money.zero(session.currency), stopAtMs: null, price: null };
    }
    const tariff = live?.tariff ?? (await this.deps.store.getTariff(session.tariffHash));
    assert(tariff !== null, 'a session has its tariff');
    if (session.meteringStartedAtMs === null) return { session, meteredSeconds: 0, billed: Money.zero(session.currency), stopAtMs: null, price: null };
    const run = session.runStartedAtMs;
    const shownAtMs = run === null ? 0 : Math.min(this.deps.clock.nowMs(), Math.max(lastProofOfLifeMs(session), run), live?.stopAtMs ?? Number.POSITIVE_INFINITY);
    const metered = meteredAt(session, shownAtMs);
    const change = nextChange(tariff, session.meteringStartedAtMs, metered, { metered: session.intervals, ...(run === null ? {} : { continueAtMs: run }) });
    return { session, meteredSeconds: metered, billed: change.billed, stopAtMs: live?.stopAtMs ?? null, price: change };
  }

  /** Takes over every session not yet rated (after a restart), ending those whose proof of life is too old. */
  async start(): Promise<{ resumed: number; ended: number }> {
    let resumed = 0;
    let ended = 0;
    const open = await this.deps.store.listOpenSessions();
    // Thousands of sessions share a handful of merchants and carriers: read each once.
    const parties = partiesMemo(this.deps.store);
    for (const [index, session] of open.entries()) {
      // Let timers and requests through now and then: taking over many sessions is long work.
      if (index % RECOVERY_BATCH === RECOVERY_BATCH - 1) await new Promise<void>((resolve) => { setImmediate(resolve); });
      // Not scheduled yet: recover() decides whether the session goes on (and schedules it) or ends.
      const live = await this.adopt(session, { parties, schedule: false });
      if (live === null) continue;
      const outcome = await this.run(session.id, (l) => this.recover(l));
      if (outcome.ok && outcome.value === 'ended') ended += 1;
      else resumed += 1;
    }
    return { resumed, ended };
  }

  /** Graceful shutdown: timers stop; sessions stay in the database for the next start. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const live of this.running.values()) {
      this.cancelTimers(live);
      await live.chain;
    }
    for (const live of this.running.values()) {
      if (lastProofOfLifeMs(live.session) > live.persistedProofMs) await this.commit(live, live.session, []);
    }
  }

  private async recover(live: LiveSession): Promise<Result<'resumed' | 'ended', never>> {
    const now = this.deps.clock.nowMs();
    if (live.session.status === 'ended') {
      await this.finish(live, live.session.endReason ?? 'operator', live.session.endedAtMs ?? now);
      return ok('ended');
    }
    const proof = lastProofOfLifeMs(live.session);
    this.planStop(live);
    if (live.stopAtMs !== null && live.stopAtMs <= now && live.stopAtMs <= proof + this.deps.config.livenessGraceMs) {
      await this.finish(live, live.stopReason, live.stopAtMs);
      return ok('ended');
    }
    if (now - proof > this.deps.config.livenessGraceMs) {
      await this.finish(live, 'liveness_lost', proof);
      return ok('ended');
    }
    this.schedule(live);
    return ok('resumed');
  }

  private transition(
    sessionId: string, step: (session: Session, nowMs: number) => Result<{ session: Session; event: SessionEvent }, SessionError>,
  ): Promise<Result<Session, NotFound | SessionError>> {
    return this.run(sessionId, (live) => this.applyTransition(live, step(live.session, this.deps.clock.nowMs())));
  }

  private async applyTransition(live: LiveSession, transition: Result<{ session: Session; event: SessionEvent }, SessionError>): Promise<Result<Session, SessionError>> {
    if (!transition.ok) return transition;
    await this.commit(live, transition.value.session, [transition.value.event]);
    this.schedule(live);
    this.deps.feed.publish({ type: 'state', session: live.session, change: transition.value.event.type });
    return ok(live.session);
  }

  /** Ends and rates in one transaction; the live session is dropped. */
  private async finish(live: LiveSession, reason: EndReason, atMs: number): Promise<Result<Session, SessionError>> {
    this.cancelTimers(live);
    // Never billed further than the grace past the last proof of life: liveness is only checked on
    // the 1 Hz tick, so a cap stop or an end call can land after the proof went stale but before a
    // tick noticed; that session lost its liveness and is billed to the proof, as recover() does.
    const proof = lastProofOfLifeMs(live.session);
    const stale = live.session.status !== 'ended' && atMs - proof > this.deps.config.livenessGraceMs;
    const result = await endAndRate(this.deps, live, stale ? 'liveness_lost' : reason, stale ? proof : atMs);
    if (!result.ok) return result;
    const { chargeId } = live.session;
    if (chargeId !== null && result.value.charged !== null) {
      if (this.chargeAmounts.size >= CHARGE_AMOUNTS_KEPT_MAX) this.chargeAmounts.delete(this.chargeAmounts.keys().next().value as string);
      this.chargeAmounts.set(chargeId, result.value.charged);
    }
    this.running.delete(live.session.id);
    this.deps.feed.publish({ type: 'ended', session: live.session, reason: live.session.endReason ?? reason, billedMinor: result.value.billedMinor, chargeId: live.session.chargeId });
    return ok(live.session);
  }

  /**
   * Persists `next` (version bumped) with its events, plus any extra writes, in one transaction;
   * `extra` returning false rolls everything back.
   */
  private commit(live: LiveSession, next: Session, events: readonly SessionEvent[], extra?: Parameters<Store['transaction']>[0]): Promise<boolean> {
    return this.commitBuilt(live, async (tx) => (extra !== undefined && (await extra(tx)) === false ? false : { next, events }));
  }

  /** As `commit`, the new state built in the transaction (from what it read there), or false to roll back. */
  private async commitBuilt(live: LiveSession, build: (tx: Store) => Promise<{ next: Session; events: readonly SessionEvent[] } | false>): Promise<boolean> {
    const committed = await this.deps.store.transaction(async (tx) => {
      const built = await build(tx);
      if (built === false) throw new RolledBack();
      const versioned: Session = { ...built.next, version: live.session.version + 1 };
      const saved = await tx.saveSession(versioned, live.session.version, built.events);
      assert(saved === 'saved', `session ${versioned.id} has a single writer`);
      return versioned;
    }).catch((error: unknown) => {
      if (error instanceof RolledBack) return null;
      throw error;
    });
    if (committed !== null) {
      live.session = committed;
      live.closedSeconds = closedSeconds(committed);
    }
    return committed !== null;
  }

  /**
   * Runs `work` on a session after every earlier change to it. A session already rated is not
   * run again: `onClosed` answers for it (`session_closed` by default).
   */
  private async run<T, E extends BrokerError>(
    sessionId: string, work: (live: LiveSession) => Promise<Result<T, E>>, onClosed?: (session: Session) => Result<T, E>,
  ): Promise<Result<T, E | NotFound | SessionError>> {
    const live = this.running.get(sessionId) ?? (await this.load(sessionId));
    if (live === null) return err('session_not_found');
    if ('closed' in live) return onClosed === undefined ? err('session_closed') : onClosed(live.closed);
    live.queued += 1;
    const next = live.chain.then(() => work(live));
    const settled = (): void => { live.queued -= 1; };
    live.chain = next.then(settled, settled);
    return next;
  }

  /** A stored session that is not running: taken over, unless it is already rated. */
  private async load(sessionId: string): Promise<{ readonly closed: Session } | null | LiveSession> {
    const session = await this.deps.store.getSession(sessionId);
    if (session === null) return null;
    if (session.status === 'rated') return { closed: session };
    return this.adopt(session);
  }

  /** Starts running a stored session (once, even when asked twice at the same time). */
  private async adopt(session: Session, options: { parties?: Parties; schedule?: boolean } = {}): Promise<LiveSession | null> {
    const existing = this.running.get(session.id);
    if (existing !== undefined) return existing;
    let pending = this.loading.get(session.id);
    if (pending === undefined) {
      pending = this.buildLive(session, options.parties ?? this.deps.store);
      this.loading.set(session.id, pending);
    }
    const live = await pending;
    this.loading.delete(session.id);
    if (live !== null && !this.running.has(session.id)) {
      this.running.set(session.id, live);
      if (options.schedule !== false) this.schedule(live);
    }
    return live === null ? null : (this.running.get(session.id) ?? live);
  }

  private async buildLive(session: Session, parties: Parties): Promise<LiveSession | null> {
    const { store } = this.deps;
    const [tariff, merchant, subscriber] = await Promise.all([store.getTariff(session.tariffHash), parties.getMerchant(session.merchantId), store.getSubscriber(session.subscriberId)]);
    assert(tariff !== null && merchant !== null && subscriber !== null, 'a session has its tariff, merchant and subscriber');
    const carrier = await parties.getCarrier(subscriber.billingCarrierId);
    assert(carrier !== null, 'a subscriber has its carrier');
    return {
      session, tariff, billingCarrierId: carrier.id, billingTimeZone: carrier.timeZone, hostingCarrierId: merchant.hostingCarrierId,
      chain: Promise.resolve(), queued: 0, tickRow: null, timers: [], stopAtMs: null, stopReason: 'cap_reached',
      persistedProofMs: lastProofOfLifeMs(session), curve: null, closedSeconds: closedSeconds(session),
    };
  }

  private planStop(live: LiveSession): ReturnType<typeof capPlan> {
    const plan = capPlan(live.session, live.tariff);
    live.stopAtMs = plan.stopAtMs;
    live.stopReason = plan.stopReason;
    return plan;
  }

  /** (Re)schedules the session's timers from its current state. */
  private schedule(live: LiveSession): void {
    this.cancelTimers(live);
    const { session } = live;
    if (this.stopped || session.status === 'ended' || session.status === 'rated') return;
    // The timeline changed (connect, hold, resume): lay out the billing curve of the run in progress.
    live.curve = session.meteringStartedAtMs === null || session.runStartedAtMs === null ? null
      : billingCurve(live.tariff, session.meteringStartedAtMs, { metered: session.intervals, continueAtMs: session.runStartedAtMs });
    const { scheduler, clock } = this.deps;
    const now = clock.nowMs();
    const phaseMs = session.meteringStartedAtMs ?? session.createdAtMs;
    const firstTickMs = phaseMs + Math.max(1, Math.ceil((now - phaseMs) / 1000)) * 1000;
    const plan = this.planStop(live);
    live.tickRow = this.ticks.add(live, Math.min(firstTickMs, now + 1000), this.deps.feed.ticksOf(session));
    this.ticks.write(live.tickRow, live);
    if (plan.stopAtMs !== null) {
      live.timers.push(scheduler.at(plan.stopAtMs, (dueMs) => {
        this.deps.background(this.run(session.id, (l) => this.finish(l, l.stopReason, dueMs)));
      }));
    }
    this.schedulePriceNotice(live, now);
    for (const warning of plan.warnings) {
      if (warning.atMs <= now) continue;
      live.timers.push(scheduler.at(warning.atMs, (dueMs) => {
        this.deps.feed.publish({ type: 'notice', session: live.session, atMs: dueMs, notice: warning.kind });
      }));
    }
  }

  private cancelTimers(live: LiveSession): void {
    if (live.tickRow !== null) this.ticks.remove(live.tickRow);
    for (const timer of live.timers) this.deps.scheduler.cancel(timer);
    live.tickRow = null;
    live.timers = [];
  }

  /**
   * Every second: liveness, and the live amount while metering (none while waiting or on a free
   * hold). The amount shown is rate() of the metered time up to the last proof of life, never
   * beyond: a session that loses its proof of life is billed to it, so no tick ever shows more
   * than the final charge. Reads only the session's row of the tick table (the billing curve only
   * when the amount steps laid out there are used up).
   */
  private onTick(row: number, dueMs: number): void {
    const { ticks } = this;
    const proof = ticks.proofMs(row);
    if (dueMs - proof > this.deps.config.livenessGraceMs) {
      const live = ticks.lives[row];
      if (live === null || live === undefined) return;
      this.cancelTimers(live);
      this.deps.background(this.run(live.session.id, (l) => this.finish(l, 'liveness_lost', lastProofOfLifeMs(l.session))));
      return;
    }
    const metered = ticks.meteredAt(row, dueMs);
    if (Number.isNaN(metered)) return;
    ticks.sinks[row]?.tick(dueMs, metered, ticks.amountAt(row, metered));
  }

  /** Schedules a notice when the price next changes (free window ending, tier or band change), then the next. */
  private schedulePriceNotice(live: LiveSession, nowMs: number): void {
    const { session } = live;
    if (session.meteringStartedAtMs === null || session.runStartedAtMs === null) return;
    const metered = live.closedSeconds + Math.max(0, Math.floor((nowMs - session.runStartedAtMs) / 1000));
    const change = priceChange(live.tariff, session.meteringStartedAtMs, metered, { metered: session.intervals, continueAtMs: session.runStartedAtMs });
    if (change.next === null) return;
    const atMs = session.runStartedAtMs + (change.next.fromSecond - live.closedSeconds) * 1000;
    if (live.stopAtMs !== null && atMs >= live.stopAtMs) return;
    const notice = change.current.kind === 'free' ? 'free_window_ending' : 'price_change';
    // Announced just before it happens, so the display can say "from now on".
    live.timers.push(this.deps.scheduler.at(Math.max(nowMs, atMs - PRICE_NOTICE_LEAD_MS), (dueMs) => {
      this.deps.feed.publish({ type: 'notice', session: live.session, atMs: dueMs, notice, price: change.next });
      this.schedulePriceNotice(live, atMs);
    }));
  }
}

class RolledBack extends Error {}

/** Ended or rated: nothing more happens to the session. */
function isClosed(session: Session): boolean {
  return session.status === 'ended' || session.status === 'rated';
}

/** Sessions taken over between two yields to the event loop at start. */
const RECOVERY_BATCH = 200;

/** Where a live session's merchant and billing carrier are read from. */
type Parties = Pick<Store, 'getMerchant' | 'getCarrier'>;

/** The store's merchants and carriers, each read once (for the length of a take-over). */
function partiesMemo(store: Store): Parties {
  const merchants = new Map<string, ReturnType<Store['getMerchant']>>();
  const carriers = new Map<string, ReturnType<Store['getCarrier']>>();
  const memo = <T>(cache: Map<string, T>, id: string, read: () => T): T => {
    let found = cache.get(id);
    if (found === undefined) {
      found = read();
      cache.set(id, found);
    }
    return found;
  };
  return {
    getMerchant: (id) => memo(merchants, id, () => store.getMerchant(id)),
    getCarrier: (id) => memo(carriers, id, () => store.getCarrier(id)),
  };
}

function meteredAt(session: Session, atMs: number): number {
  return closedSeconds(session) + (session.runStartedAtMs === null ? 0 : Math.max(0, Math.floor((atMs - session.runStartedAtMs) / 1000)));
}

function periodOfLive(live: LiveSession, atMs: number): string {
  return periodOf(atMs, live.billingTimeZone);
}

