/**
 * Property test of the session broker (issue 4 §3): for random tariffs, caps and event timings,
 * the charge equals rate() of the metered intervals, never exceeds the cap, the metered seconds
 * are those the events imply, and the ledger verifies after every run.
 *
 * Each run is a full broker flow on a real database (quote, consent, connect, heartbeats, holds,
 * media changes, ends by either side, silences that lose liveness, running into the cap), driven
 * through a manual clock with millisecond delays. It runs at the broker level rather than over
 * HTTP: a run can span hours of simulated time with thousands of timer firings, and the HTTP layer
 * adds nothing to metering that scenarios.test.ts does not already cover.
 *
 * Runs: 150 on SQLite and 40 on PostgreSQL, each with one or two concurrent sessions. A run costs
 * about 30 ms on SQLite on average (up to a second when it chases a distant cap through hours of
 * heartbeats and ticks) and a few times that on PostgreSQL; the counts keep the file well under a
 * minute on a loaded machine and still put every end reason through many random tariffs (the end
 * reasons seen are reported as a test diagnostic).
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import { ulidGenerator } from '../../../src/adapters/ids.ts';
import { randomSecrets } from '../../../src/adapters/secrets/index.ts';
import { KyselyStore, type OpenDatabase, verifyLedger } from '../../../src/adapters/store/index.ts';
import { feedOf, SessionBroker, type Store } from '../../../src/app/index.ts';
import {
  type EndReason, maxCostBilled, type Medium, type MeteredInterval, Money, parseTariff, periodOf, rate, type Session, type Tariff,
} from '../../../src/domain/index.ts';
import { meteringStartMs, tariffJson } from '../../support/arbitraries.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { naiveRate } from '../../support/naive-rating.ts';
import { buildWorld, T0_MS, type World } from '../../support/world.ts';

const RUNS = { sqlite: 150, postgres: 40 } as const;
const GRACE_MS = 30_000;
/** How long a run keeps a session alive waiting for its cap before the operator ends it. */
const CAP_CHASE_MS_MAX = 2 * 3_600_000;
/** Above this many metered seconds the naive per-second cross-check is skipped (it is slow on purpose). */
const NAIVE_SECONDS_MAX = 4 * 3_600;

// ---------------------------------------------------------------------------------------------
// Generators

/** Tariffs sessions accept: EUR (from the generator), rounding to whole cents or whole euros. */
const sessionTariff: fc.Arbitrary<Tariff> = tariffJson.map((json) => {
  const parsed = parseTariff({ ...json, rounding: { ...json.rounding, decimals: json.rounding.decimals === 0 ? 0 : 2 } });
  if (!parsed.ok) throw new Error(`generator produced an invalid tariff: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
});

type Beats = 'both' | 'user' | 'advisor' | 'none';
interface Wait { readonly kind: 'wait'; readonly ms: number; readonly everyMs: number; readonly beats: readonly Beats[] }
type Command =
  | Wait
  | { readonly kind: 'hold' | 'resume'; readonly target: number }
  | { readonly kind: 'media'; readonly target: number; readonly medium: Medium }
  | { readonly kind: 'end'; readonly target: number; readonly by: 'user' | 'advisor' };
type Final = 'end' | 'silence' | 'cap';

const beats = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Beats>('both') },
  { weight: 1, arbitrary: fc.constantFrom<Beats>('user', 'advisor', 'none') },
);
const wait: fc.Arbitrary<Wait> = fc.record({
  kind: fc.constant('wait' as const),
  ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 90_000 }), fc.integer({ min: 25_000, max: 40_000 })),
  // At most 14 s between heartbeats: with the partial step at the end of a wait, two waits in a row
  // still leave less than the 30 s grace between proofs, so only the silences generated lose liveness.
  everyMs: fc.integer({ min: 1_000, max: 14_000 }),
  beats: fc.tuple(beats, beats),
});
const target = fc.integer({ min: 0, max: 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: wait },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('hold' as const, 'resume' as const), target }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('media' as const), target, medium: fc.constantFrom<Medium>('voice', 'chat', 'video') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), target, by: fc.constantFrom('user' as const, 'advisor' as const) }) },
);

interface Plan {
  readonly tariff: Tariff;
  readonly startMs: number;
  readonly holdBilled: boolean;
  /** Offer cap and monthly budget, in cents. */
  readonly offerCapMinor: number;
  readonly budgetMinor: number;
  /** Where each session's cap sits between the first billable step and the cap allowed, in thousandths. */
  readonly capPermille: readonly number[];
  readonly preWaits: readonly Wait[];
  readonly commands: readonly Command[];
  readonly final: Final;
}

const plan: fc.Arbitrary<Plan> = fc.record({
  tariff: sessionTariff,
  startMs: fc.tuple(meteringStartMs, fc.integer({ min: 0, max: 999 })).map(([s, ms]) => s + ms),
  holdBilled: fc.boolean(),
  offerCapMinor: fc.integer({ min: 100, max: 10_000 }),
  budgetMinor: fc.integer({ min: 500, max: 30_000 }),
  capPermille: fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 2 }),
  preWaits: fc.tuple(wait, wait),
  commands: fc.array(command, { maxLength: 10 }),
  final: fc.constantFrom<Final>('end', 'silence', 'cap', 'cap', 'cap'),
});

// ---------------------------------------------------------------------------------------------
// The model: what the events imply, kept beside the broker from the calls it accepted.

interface Model {
  readonly id: string;
  readonly capMinor: bigint;
  lastUserMs: number;
  lastAdvisorMs: number | null;
  connectAtMs: number | null;
  /** Budget left just before the connect call (cents), and the budget's month then. */
  leftAtConnectMinor: bigint | null;
  period: string | null;
  closed: MeteredInterval[];
  runStartMs: number | null;
  lastRunStartMs: number | null;
  onHold: boolean;
  endCall: { atMs: number; by: EndReason } | null;
}

function closeRun(model: Model, atMs: number): void {
  if (model.runStartMs === null) return;
  const seconds = Math.floor((atMs - model.runStartMs) / 1000);
  if (seconds > 0) model.closed.push({ startMs: model.runStartMs, seconds });
  model.runStartMs = null;
}

/** The metered intervals the events imply for a session that ended at `endMs`: nothing after it is metered. */
function expectedIntervals(model: Model, endMs: number): MeteredInterval[] {
  const all = [...model.closed];
  if (model.runStartMs !== null) all.push({ startMs: model.runStartMs, seconds: Math.max(0, Math.floor((endMs - model.runStartMs) / 1000)) });
  return all
    .map((interval) => ({ startMs: interval.startMs, seconds: Math.min(interval.seconds, Math.max(0, Math.floor((endMs - interval.startMs) / 1000))) }))
    .filter((interval) => interval.seconds > 0);
}

/** The last proof of life: the older of the two sides' last heartbeats (the advisor's only once seen). */
function proofMs(model: Model): number {
  return model.lastAdvisorMs === null ? model.lastUserMs : Math.min(model.lastUserMs, model.lastAdvisorMs);
}

function firstStepMinor(tariff: Tariff, atMs: number): bigint {
  return rate(tariff, atMs, Math.max(tariff.freeSeconds + 1, tariff.minimumSeconds)).billed.toMinorUnits();
}

// ---------------------------------------------------------------------------------------------
// One run

interface Run {
  readonly store: Store;
  readonly clock: ManualClock;
  readonly broker: SessionBroker;
  readonly failures: unknown[];
}

function startBroker(database: OpenDatabase, startMs: number): Run {
  const clock = new ManualClock(startMs);
  const store = new KyselyStore(database.db, database.dialect);
  const failures: unknown[] = [];
  const broker = new SessionBroker({
    store, clock, scheduler: clock, ids: ulidGenerator(() => clock.nowMs()), secrets: randomSecrets, feed: feedOf(() => undefined),
    // Work started by timers (cap stops, liveness) must not fail silently: a failure is a bug.
    background: (work) => { clock.track(work.catch((error: unknown) => { failures.push(error); })); },
    config: { livenessGraceMs: GRACE_MS },
  });
  return { store, clock, broker, failures };
}

let runCounter = 0;

async function setUp(store: Store, world: World, p: Plan): Promise<{ offerId: string; subscriberId: string }> {
  runCounter += 1;
  const tag = `${process.pid}_${runCounter}`;
  await store.publishTariff(p.tariff, T0_MS);
  const subscriberId = `sub_p${tag}`;
  await store.insertSubscriber({
    id: subscriberId, msisdnHmac: `hmac_p${tag}`, billingCarrierId: world.billingCarrierId,
    monthlyCap: Money.fromMinorUnits(BigInt(p.budgetMinor), 'EUR'), status: 'active',
  }, T0_MS);
  const offerId = `off_p${tag}`;
  await store.insertOffer({
    id: offerId, merchantId: world.merchantId, name: `Property run ${tag}`, tariffHash: p.tariff.hash, mediaAllowed: ['voice', 'chat'],
    defaultCap: Money.fromMinorUnits(BigInt(p.offerCapMinor), 'EUR'), holdBilled: p.holdBilled, profile: 'minitel-kiosque', status: 'active',
  }, T0_MS);
  return { offerId, subscriberId };
}

/** Quotes and consents one session with a cap between the first billable step and the cap allowed; null when refused as too low. */
async function consented(run: Run, p: Plan, ids: { offerId: string; subscriberId: string }, permille: number): Promise<Model | null> {
  const quote = await run.broker.quote({ ...ids, locale: 'en' });
  if (!quote.ok) {
    assert.equal(quote.error, 'budget_too_low', 'the only refusal of a fresh subscriber is a budget below the first step');
    return null;
  }
  const allowed = quote.value.quote.capAllowedMinor;
  const first = firstStepMinor(p.tariff, run.clock.nowMs());
  assert.ok(first <= allowed, 'a quote is given only when the first step fits');
  const consentWith = (minor: bigint) => run.broker.consent({
    quoteId: quote.value.quote.id, announcementHash: quote.value.quote.announcementHash, cap: Money.fromMinorUnits(minor, 'EUR'),
    channel: 'web', clientIp: '192.0.2.7', userAgent: 'property',
  });
  let capMinor = first + ((allowed - first) * BigInt(permille)) / 1000n;
  if (capMinor === 0n) {
    // A free first step still needs a positive cap: zero buys nothing, and connect must reserve something.
    assert.deepEqual(await consentWith(0n), { ok: false, error: 'cap_below_first_step' });
    capMinor = 1n;
  }
  const consent = await consentWith(capMinor);
  assert.ok(consent.ok, consent.ok ? '' : consent.error);
  return {
    id: consent.value.session.id, capMinor, lastUserMs: run.clock.nowMs(), lastAdvisorMs: null, connectAtMs: null, leftAtConnectMinor: null, period: null,
    closed: [], runStartMs: null, lastRunStartMs: null, onHold: false, endCall: null,
  };
}

async function heartbeat(run: Run, model: Model, side: 'user' | 'advisor'): Promise<void> {
  const result = await run.broker.heartbeat(model.id, side);
  if (!result.ok) {
    assert.equal(result.error, 'session_closed');
    return;
  }
  if (side === 'user') model.lastUserMs = run.clock.nowMs();
  else model.lastAdvisorMs = run.clock.nowMs();
}

async function doWait(run: Run, models: readonly Model[], w: Wait): Promise<void> {
  const endMs = run.clock.nowMs() + w.ms;
  for (let at = run.clock.nowMs() + w.everyMs; at <= endMs; at += w.everyMs) {
    await run.clock.advanceTo(at);
    for (const [index, model] of models.entries()) {
      const mode = w.beats[index] ?? 'both';
      if (mode === 'both' || mode === 'user') await heartbeat(run, model, 'user');
      if (mode === 'both' || mode === 'advisor') await heartbeat(run, model, 'advisor');
    }
  }
  await run.clock.advanceTo(endMs);
}

async function doConnect(run: Run, model: Model, subscriberId: string, budgetMinor: bigint, period: string): Promise<void> {
  const usage = await run.store.budgetUsage(subscriberId, period);
  model.period = period;
  model.leftAtConnectMinor = budgetMinor - usage.heldMinor - usage.postedMinor;
  const result = await run.broker.connect(model.id);
  if (!result.ok) {
    assert.equal(result.error, 'session_closed', 'a queued session connects unless it already ended');
    return;
  }
  const now = run.clock.nowMs();
  model.connectAtMs = now;
  if (result.value.status !== 'active') return; // budget exhausted: checked from the stored session
  model.lastAdvisorMs = now;
  model.runStartMs = now;
  model.lastRunStartMs = now;
}

async function doCommand(run: Run, models: readonly Model[], p: Plan, c: Command): Promise<void> {
  if (c.kind === 'wait') return doWait(run, models, c);
  const model = models[c.target];
  if (model === undefined) return;
  const now = run.clock.nowMs();
  switch (c.kind) {
    case 'hold': {
      if ((await run.broker.hold(model.id)).ok) {
        model.onHold = true;
        // Hold time is billed when the offer or the tariff says so.
        if (!p.holdBilled && !p.tariff.holdBilled) closeRun(model, now);
      }
      return;
    }
    case 'resume': {
      if ((await run.broker.resume(model.id)).ok) {
        model.onHold = false;
        if (model.runStartMs === null) { model.runStartMs = now; model.lastRunStartMs = now; }
      }
      return;
    }
    case 'media': {
      const changed = await run.broker.changeMedium(model.id, c.medium);
      if (!changed.ok) assert.ok(['session_closed', 'medium_not_allowed'].includes(changed.error), changed.error);
      return;
    }
    case 'end': {
      const reason: EndReason = c.by;
      // Ending an ended session is a no-op that succeeds: only the first end call can have ended it.
      if ((await run.broker.end(model.id, reason)).ok && model.endCall === null) model.endCall = { atMs: now, by: reason };
      return;
    }
  }
}

/** Keeps every open session alive until its cap stops it (resuming a held one), for at most CAP_CHASE_MS_MAX. */
async function chaseCaps(run: Run, models: readonly Model[], p: Plan): Promise<void> {
  for (const model of models) if (model.onHold) await doCommand(run, models, p, { kind: 'resume', target: models.indexOf(model) });
  const untilMs = run.clock.nowMs() + CAP_CHASE_MS_MAX;
  for (;;) {
    const views = await Promise.all(models.map((m) => run.broker.view(m.id)));
    const stops = views.flatMap((v) => (v !== null && v.session.status !== 'rated' && v.stopAtMs !== null ? [v.stopAtMs] : []));
    const open = views.filter((v) => v !== null && v.session.status !== 'rated').length;
    if (open === 0 || stops.length === 0 || run.clock.nowMs() >= untilMs) return;
    const nextStop = Math.min(...stops);
    if (nextStop > untilMs) return;
    // Both sides prove presence at the end of every step, so the chase itself never loses liveness.
    const ms = Math.min(20_000, Math.max(1, nextStop + 1 - run.clock.nowMs()));
    await doWait(run, models, { kind: 'wait', ms, everyMs: ms, beats: ['both', 'both'] });
  }
}

async function finish(run: Run, models: readonly Model[], p: Plan): Promise<void> {
  if (p.final === 'cap') await chaseCaps(run, models, p);
  if (p.final === 'silence') await run.clock.advanceBy(GRACE_MS + 5_000);
  for (const model of models) {
    const now = run.clock.nowMs();
    const ended = await run.broker.end(model.id, p.final === 'end' ? 'user' : 'operator');
    if (ended.ok && model.endCall === null) model.endCall = { atMs: now, by: p.final === 'end' ? 'user' : 'operator' };
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

interface Outcome { readonly reason: EndReason; readonly billedMinor: bigint }

/** Checks one ended session against the model; returns why it ended and what it cost. */
async function checkSession(run: Run, p: Plan, model: Model): Promise<Outcome> {
  const session = await run.store.getSession(model.id);
  assert.ok(session !== null);
  assert.equal(session.status, 'rated', 'every session is rated at the end of a run');
  const endMs = session.endedAtMs;
  const reason = session.endReason;
  assert.ok(endMs !== null && reason !== null);
  const charge = await run.store.getChargeForSession(model.id);
  const hold = await run.store.getHoldForSession(model.id);
  // Never billed past the last proof of life by more than the grace period.
  assert.ok(endMs - proofAt(model, endMs) <= GRACE_MS, `${reason} at ${endMs}: last proof of life ${proofAt(model, endMs)} is older than the grace`);
  if (model.endCall !== null) assert.ok(endMs <= model.endCall.atMs, 'a session never ends after it was asked to');

  if (model.connectAtMs === null || reason === 'budget_exhausted' || session.meteringStartedAtMs === null) {
    assert.deepEqual(session.intervals, [], 'nothing is metered before connect');
    assert.equal(charge, null);
    if (reason === 'budget_exhausted') checkBudgetExhausted(p, model, endMs);
    return { reason, billedMinor: 0n };
  }
  assert.equal(session.meteringStartedAtMs, model.connectAtMs, 'metering starts at connect');
  const reservedMinor = session.reservedMinor ?? -1n;
  assert.equal(reservedMinor, model.capMinor < (model.leftAtConnectMinor ?? 0n) ? model.capMinor : model.leftAtConnectMinor, 'connect reserves the cap, or only what is left');
  assert.deepEqual(session.intervals, expectedIntervals(model, endMs), 'the metered intervals are those the events imply');
  const metered = session.intervals.reduce((sum, i) => sum + i.seconds, 0);
  const rating = metered > 0 ? rate(p.tariff, model.connectAtMs, session.intervals) : null;
  const billedMinor = rating?.billed.toMinorUnits() ?? 0n;
  if (billedMinor > 0n) {
    assert.ok(charge !== null, 'a session that cost something has a charge');
    assert.equal(charge.amount.toString(), rating?.billed.toString(), 'the charge is rate() of the metered intervals');
    assert.equal(charge.meteredSeconds, metered);
    assert.equal(charge.billedSeconds, rating?.billedSeconds);
    assert.ok(hold !== null);
    assert.equal(hold.status, 'posted');
    assert.equal(hold.postedMinor, billedMinor);
    if (metered <= NAIVE_SECONDS_MAX) {
      const naive = naiveRate(p.tariff, session.intervals);
      assert.ok(Money.of(naive.billed, 'EUR').equals(charge.amount), `an independent per-second rating agrees: ${naive.billed} vs ${charge.amount.toString()}`);
    }
  } else {
    assert.equal(charge, null, 'a session that cost nothing has no charge');
    assert.equal(hold?.status, 'voided');
  }
  assert.ok(billedMinor <= model.capMinor, 'never above the consented cap');
  assert.ok(billedMinor <= reservedMinor, 'never above what was reserved');
  const maxCostMinor = p.tariff.maxCost?.strategy === 'disconnect' ? (maxCostBilled(p.tariff)?.roundToMinorUnit('down').toMinorUnits() ?? null) : null;
  if (maxCostMinor !== null) assert.ok(billedMinor <= maxCostMinor, 'never above a disconnect maxCost');
  checkReason(p, model, { session, endMs, reason, reservedMinor, maxCostMinor });
  return { reason, billedMinor };
}

/** The last proof of life at or before `atMs` as the model saw it (later heartbeats came from the live side only). */
function proofAt(model: Model, atMs: number): number {
  return Math.min(proofMs(model), atMs);
}

function checkBudgetExhausted(p: Plan, model: Model, endMs: number): void {
  assert.equal(endMs, model.connectAtMs, 'budget_exhausted only at connect');
  const reserve = model.capMinor < (model.leftAtConnectMinor ?? 0n) ? model.capMinor : (model.leftAtConnectMinor ?? 0n);
  assert.ok(reserve <= 0n || reserve < firstStepMinor(p.tariff, endMs), 'refused only when what is left does not buy the first step');
}

function checkReason(
  p: Plan, model: Model, s: { session: Session; endMs: number; reason: EndReason; reservedMinor: bigint; maxCostMinor: bigint | null },
): void {
  const { endMs, reason } = s;
  switch (reason) {
    case 'user': case 'advisor': case 'operator':
      assert.deepEqual(model.endCall, { atMs: endMs, by: reason }, 'an explicit end is at the instant asked');
      return;
    case 'liveness_lost':
      assert.equal(endMs, proofMs(model), 'liveness lost: billed up to the last proof of life');
      return;
    case 'cap_reached': case 'max_cost': {
      const byMaxCost = s.maxCostMinor !== null && s.maxCostMinor <= s.reservedMinor;
      const capMinor = byMaxCost && s.maxCostMinor !== null ? s.maxCostMinor : s.reservedMinor;
      assert.equal(reason === 'max_cost', byMaxCost, 'max_cost when a disconnect maxCost is the limit (not above the reservation)');
      const lastRun = model.lastRunStartMs;
      assert.ok(lastRun !== null && (endMs - lastRun) % 1000 === 0, 'a cap stop falls on a whole metered second');
      // Maximal: one more metered second would bill more than the cap.
      const last = s.session.intervals[s.session.intervals.length - 1];
      const more = last !== undefined && last.startMs === lastRun
        ? [...s.session.intervals.slice(0, -1), { startMs: last.startMs, seconds: last.seconds + 1 }]
        : [...s.session.intervals, { startMs: lastRun, seconds: 1 }];
      assert.ok(rate(p.tariff, model.connectAtMs ?? endMs, more).billed.toMinorUnits() > capMinor, 'the cap stop is the last second that fits');
      return;
    }
    case 'duration_max':
      assert.equal(s.session.intervals.reduce((sum, i) => sum + i.seconds, 0), 86_400, 'the longest session: a day of metering');
      return;
    case 'budget_exhausted': case 'consent_withdrawn': case 'quote_expired':
      assert.fail(`unexpected end reason ${reason} for a connected session`);
  }
}

// ---------------------------------------------------------------------------------------------

describeEachDatabase('broker properties: random tariffs, caps and event timings', ({ database, target }) => {
  let world: World;
  before(async () => { world = await buildWorld(new KyselyStore(database().db, database().dialect), 'prop'); });

  it('the charge is rate() of the metered intervals the events imply, never above the cap or the reservation; the ledger verifies after every run', async (t) => {
    const reasons = new Map<EndReason, number>();
    await fc.assert(fc.asyncProperty(plan, async (p) => {
      const run = startBroker(database(), p.startMs);
      const ids = await setUp(run.store, world, p);
      const models: Model[] = [];
      for (const permille of p.capPermille) {
        const model = await consented(run, p, ids, permille);
        if (model !== null) models.push(model);
      }
      const subscriber = await run.store.getSubscriber(ids.subscriberId);
      const carrier = await run.store.getCarrier(world.billingCarrierId);
      assert.ok(subscriber !== null && carrier !== null);
      const budgetMinor = subscriber.monthlyCap.toMinorUnits();
      for (const [index, model] of models.entries()) {
        const preWait = p.preWaits[index];
        if (preWait !== undefined) await doWait(run, models, preWait);
        await doConnect(run, model, ids.subscriberId, budgetMinor, periodOf(run.clock.nowMs(), carrier.timeZone));
      }
      for (const c of p.commands) await doCommand(run, models, p, c);
      await finish(run, models, p);
      assert.deepEqual(run.failures, [], 'no work started by a timer failed');
      // Each connect reserved at most what was left (checked per session); so the charges of one month stay within the budget.
      const billedPerMonth = new Map<string, bigint>();
      for (const model of models) {
        const outcome = await checkSession(run, p, model);
        reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1);
        billedPerMonth.set(model.period ?? '', (billedPerMonth.get(model.period ?? '') ?? 0n) + outcome.billedMinor);
      }
      for (const billedMinor of billedPerMonth.values()) {
        assert.ok(billedMinor <= budgetMinor, 'sessions of one subscriber never jointly exceed the monthly budget');
      }
      const report = await verifyLedger(database().db, database().dialect);
      assert.deepEqual(report.breaches, [], 'the ledger verifies clean');
    }), { numRuns: RUNS[target().name], includeErrorInReport: true });
    t.diagnostic(`end reasons over ${RUNS[target().name]} runs: ${JSON.stringify(Object.fromEntries(reasons))}`);
  });
});
