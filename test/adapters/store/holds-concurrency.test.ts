/**
 * Concurrent holds can never make posted + held exceed the monthly cap, on both databases, with
 * writers that really run at the same time. On SQLite they are child processes
 * (test/support/hold-writer.ts), because one connection serialises in-process calls and only
 * separate processes contend for the write lock (`BEGIN IMMEDIATE`, busy timeout 10 s); on
 * PostgreSQL they are separate connection pools with every request fired in parallel, contending
 * for the subscriber row lock. Amounts and follow-ups come from fast-check with a seed named in
 * every failure; PALIER_TEST_SEED replays one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { KyselyStore, type OpenDatabase, openDatabase } from '../../../src/adapters/store/index.ts';
import { asBigInt } from '../../../src/adapters/store/row-values.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { describeEachDatabase, type TestDatabase } from '../../support/databases.ts';
import {
  type HoldBudget, type HoldFollowUp, type HoldOutcome, type HoldRequest, type HoldStatusAfter,
  outcomeFromWire, runHoldRequest, toWire, type WriterContext, type WriterJob, type WriterSetup, WRITER_DONE_LINE, WRITER_READY_LINE,
} from '../../support/hold-writer.ts';
import { buildWorld, chargeFor, T0_MS, type World } from '../../support/world.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WRITER_PATH = fileURLToPath(new URL('../../support/hold-writer.ts', import.meta.url));
const SEED = Number(process.env['PALIER_TEST_SEED'] ?? Date.now() % 2_147_483_647);
/** 500.00 EUR: well under the plans' total demand, so every run both accepts and refuses. */
const CAP_MINOR = 50_000n;
const WRITERS = 4;
const REQUESTS_PER_WRITER = 120;
const AMOUNT_MINOR_MAX = 2_000n;
/** Connections per in-process PostgreSQL pool: 4 pools × 4 = 16 transactions in flight at once. */
const POOL_SIZE = 4;

/** A seeded choice of follow-up, turned into a valid one for a given hold by `followUpFor`. */
interface FollowUpChoice { readonly kind: HoldFollowUp['kind']; readonly permille: number; readonly seconds: number }

const choiceArb: fc.Arbitrary<FollowUpChoice> = fc.record({
  kind: fc.constantFrom<HoldFollowUp['kind']>('keep', 'void', 'post', 'close'),
  permille: fc.integer({ min: 0, max: 1000 }),
  seconds: fc.integer({ min: 1, max: 600 }),
});

function chargeMinor(world: World, seconds: number): bigint {
  return chargeFor(world, 'ses_probe', seconds).charge.amount.toMinorUnits();
}

/** A follow-up valid for a hold of `amountMinor`: a charge too big for the hold is posted instead. */
function followUpFor(world: World, amountMinor: bigint, choice: FollowUpChoice): HoldFollowUp {
  switch (choice.kind) {
    case 'keep': return { kind: 'keep' };
    case 'void': return { kind: 'void' };
    case 'post': return { kind: 'post', postedMinor: (amountMinor * BigInt(choice.permille)) / 1000n };
    case 'close':
      return chargeMinor(world, choice.seconds) <= amountMinor
        ? { kind: 'close', seconds: choice.seconds }
        : { kind: 'post', postedMinor: amountMinor };
  }
}

/** `WRITERS` plans of seeded requests; with follow-ups, a hold to be closed is raised to fit its charge. */
function holdPlans(world: World, options: { label: string; seed: number; followUps: boolean }): HoldRequest[][] {
  const requestArb = fc.record({ amountMinor: fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), choice: choiceArb });
  const [drawn] = fc.sample(fc.array(fc.array(requestArb, { minLength: REQUESTS_PER_WRITER, maxLength: REQUESTS_PER_WRITER }), {
    minLength: WRITERS, maxLength: WRITERS,
  }), { seed: options.seed, numRuns: 1 });
  assert.ok(drawn !== undefined);
  return drawn.map((requests, writer) => requests.map(({ amountMinor, choice }, index): HoldRequest => {
    const sessionId = `ses_${options.label}_w${writer}_${index}`;
    if (!options.followUps) return { op: 'place', sessionId, amountMinor, then: { kind: 'keep' } };
    const fitted = choice.kind === 'close' && chargeMinor(world, choice.seconds) > amountMinor ? chargeMinor(world, choice.seconds) : amountMinor;
    return { op: 'place', sessionId, amountMinor: fitted, then: followUpFor(world, fitted, choice) };
  }));
}

/** Fills the month with pending holds, one after the other (setup, not under test); returns the accepted ones. */
async function fillMonth(store: Store, budget: HoldBudget, seed: number): Promise<{ sessionId: string; amountMinor: bigint }[]> {
  const amounts = fc.sample(fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), { seed, numRuns: 2 * REQUESTS_PER_WRITER });
  const pending: { sessionId: string; amountMinor: bigint }[] = [];
  for (const [index, amountMinor] of amounts.entries()) {
    const sessionId = `ses_fill_${index}`;
    const placed = await store.placeHold({ id: `hld_${sessionId}`, ...budget, sessionId, currency: 'EUR', amountMinor, atMs: T0_MS });
    if (placed.ok) pending.push({ sessionId, amountMinor });
  }
  return pending;
}

/**
 * Each writer resolves its share of the pending holds (round robin, seeded follow-ups) and places
 * new holds in between, so resolutions in one writer race placements in the others.
 */
function racePlans(world: World, pending: readonly { sessionId: string; amountMinor: bigint }[], seed: number): HoldRequest[][] {
  const choices = fc.sample(choiceArb, { seed, numRuns: pending.length });
  const placements = holdPlans(world, { label: 'race', seed: seed + 1, followUps: true });
  return placements.map((placing, writer) => {
    const resolving = pending.flatMap((hold, index): HoldRequest[] => {
      const choice = choices[index];
      if (index % WRITERS !== writer || choice === undefined) return [];
      return [{ op: 'resolve', sessionId: hold.sessionId, amountMinor: hold.amountMinor, then: followUpFor(world, hold.amountMinor, { ...choice, kind: choice.kind === 'keep' ? 'void' : choice.kind }) }];
    });
    const length = Math.max(resolving.length, placing.length);
    return Array.from({ length }, (_, index) => [resolving[index], placing[index]]).flat().filter((r) => r !== undefined);
  });
}

/** What the database must hold for one accepted session at the end. */
interface ExpectedHold { readonly sessionId: string; readonly amountMinor: bigint; readonly status: HoldStatusAfter; readonly postedMinor: bigint | null }

function expectedHolds(outcomes: readonly HoldOutcome[]): ExpectedHold[] {
  return outcomes.flatMap((o) => (o.kind === 'accepted' || o.kind === 'resolved' ? [{ sessionId: o.sessionId, amountMinor: o.amountMinor, status: o.status, postedMinor: o.postedMinor }] : []));
}

function assertNoFailures(outcomes: readonly HoldOutcome[], seedNote: string): void {
  const failures = outcomes.flatMap((o) => (o.kind === 'failed' ? [`${o.sessionId}: ${o.error}`] : []));
  assert.deepEqual(failures, [], `no request may fail (${seedNote})`);
}

/**
 * The invariants: posted + held ≤ cap; the holds of the month are exactly the accepted ones (none
 * lost, no refused one written), each with its amount, status and posted amount; the usage the
 * database reports is their sum. With `growOnly` (no post or void ran), usage only grew, so every
 * refusal must still not fit at the end.
 */
async function assertBudgetKept(
  context: { database: OpenDatabase; store: Store; budget: HoldBudget; seedNote: string },
  expected: readonly ExpectedHold[], refused: readonly HoldOutcome[], growOnly: boolean,
): Promise<void> {
  const { database, store, budget, seedNote } = context;
  const usage = await store.budgetUsage(budget.subscriberId, budget.period);
  const usedMinor = usage.heldMinor + usage.postedMinor;
  assert.ok(usedMinor <= budget.monthlyCapMinor, `posted ${usage.postedMinor} + held ${usage.heldMinor} > cap ${budget.monthlyCapMinor} (${seedNote})`);
  const rows = await database.db.selectFrom('holds').select(['session_id', 'amount_minor', 'status', 'posted_minor'])
    .where('subscriber_id', '=', budget.subscriberId).where('period', '=', budget.period).execute();
  const stored = rows.map((row) => ({
    sessionId: row.session_id, amountMinor: asBigInt(row.amount_minor), status: row.status, postedMinor: row.posted_minor === null ? null : asBigInt(row.posted_minor),
  })).sort((a, b) => a.sessionId.localeCompare(b.sessionId));
  assert.deepEqual(stored, [...expected].sort((a, b) => a.sessionId.localeCompare(b.sessionId)), `stored holds = accepted holds (${seedNote})`);
  const heldMinor = expected.reduce((sum, h) => (h.status === 'pending' ? sum + h.amountMinor : sum), 0n);
  const postedMinor = expected.reduce((sum, h) => (h.status === 'posted' ? sum + (h.postedMinor ?? 0n) : sum), 0n);
  assert.deepEqual(usage, { heldMinor, postedMinor }, `reported usage = sum of accepted holds (${seedNote})`);
  if (!growOnly) return;
  const fitting = refused.filter((r) => usedMinor + r.amountMinor <= budget.monthlyCapMinor).map((r) => `${r.sessionId} (${r.amountMinor})`);
  assert.deepEqual(fitting, [], `refused although it fits: usage ${usedMinor}, cap ${budget.monthlyCapMinor} (${seedNote})`);
}

interface RunningWriter {
  readonly send: (job: WriterJob) => void;
  readonly endInput: () => void;
  readonly kill: () => void;
  readonly lines: AsyncIterator<string>;
  readonly stderr: string[];
  readonly exit: Promise<string | number | null>;
}

function startWriter(setup: WriterSetup): RunningWriter {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER_PATH, toWire(setup)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr.push(chunk); });
  const exit = new Promise<string | number | null>((resolve) => {
    child.once('error', (error) => { resolve(error.message); });
    child.once('close', (code, signal) => { resolve(code ?? signal); });
  });
  return {
    send: (job) => { child.stdin.write(`${toWire(job)}\n`); },
    endInput: () => { child.stdin.end(); },
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill(); },
    lines: createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator](),
    stderr,
    exit,
  };
}

async function nextLine(writer: RunningWriter): Promise<string> {
  const line = await writer.lines.next();
  if (line.done === true) throw new Error(`a hold writer stopped (exit ${String(await writer.exit)}): ${writer.stderr.join('')}`);
  return line.value;
}

async function collectOutcomes(writer: RunningWriter): Promise<HoldOutcome[]> {
  const outcomes: HoldOutcome[] = [];
  for (let line = await nextLine(writer); line !== WRITER_DONE_LINE; line = await nextLine(writer)) outcomes.push(outcomeFromWire(line));
  return outcomes;
}

/**
 * Child writer processes on one database, started once per suite (a child costs about half a
 * second to start) and given one job each per test, all at the same moment.
 */
class WriterProcesses {
  private constructor(private readonly writers: readonly RunningWriter[]) {}

  /** Starts `count` writers and waits until every one has its database open. */
  static async start(setup: WriterSetup, count: number): Promise<WriterProcesses> {
    const processes = new WriterProcesses(Array.from({ length: count }, () => startWriter(setup)));
    try {
      for (const writer of processes.writers) assert.equal(await nextLine(writer), WRITER_READY_LINE);
    } catch (error) {
      processes.kill();
      throw error;
    }
    return processes;
  }

  /** Sends each writer its plan at once and collects every outcome, by writer. */
  run(budget: HoldBudget, plans: readonly (readonly HoldRequest[])[]): Promise<HoldOutcome[][]> {
    assert.equal(plans.length, this.writers.length, 'one plan per writer');
    this.writers.forEach((writer, index) => { writer.send({ budget, plan: plans[index] ?? [] }); });
    return Promise.all(this.writers.map(collectOutcomes));
  }

  /** Ends the writers' input and waits for them to exit 0; kills them if they do not within 10 s. */
  async close(): Promise<void> {
    const killer = setTimeout(() => { this.kill(); }, 10_000);
    killer.unref();
    for (const writer of this.writers) writer.endInput();
    const exits = await Promise.all(this.writers.map((writer) => writer.exit));
    clearTimeout(killer);
    const failed = exits.flatMap((exit, index) => (exit === 0 ? [] : [`writer ${index} exited with ${String(exit)}: ${this.writers[index]?.stderr.join('') ?? ''}`]));
    assert.deepEqual(failed, [], 'every writer process exits cleanly');
  }

  kill(): void {
    for (const writer of this.writers) writer.kill();
  }
}

/**
 * Runs one plan per writer, all at once: on SQLite by the child processes (one connection each,
 * contending for the write lock); on PostgreSQL over one connection pool per writer, every request
 * of a plan fired in parallel.
 */
async function runConcurrently(
  writers: { target: TestDatabase; processes: () => Promise<WriterProcesses> },
  job: { budget: HoldBudget; world: World; plans: readonly (readonly HoldRequest[])[] },
): Promise<HoldOutcome[][]> {
  const config = writers.target.config();
  if (config.dialect === 'sqlite') return (await writers.processes()).run(job.budget, job.plans);
  const pools = job.plans.map(() => openDatabase({ ...config, poolSize: POOL_SIZE }));
  try {
    return await Promise.all(job.plans.map((plan, writer) => {
      const pool = pools[writer];
      assert.ok(pool !== undefined);
      const context: WriterContext = { store: new KyselyStore(pool.db, pool.dialect), budget: job.budget, world: job.world, atMs: T0_MS };
      return Promise.all(plan.map((request) => runHoldRequest(context, request)));
    }));
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** The wall-clock windows of the writers overlap: each was still busy when the last one began. */
function assertWritersOverlapped(outcomesByWriter: readonly (readonly HoldOutcome[])[]): void {
  const firstStartMs = Math.max(...outcomesByWriter.map((outcomes) => Math.min(...outcomes.map((o) => o.startedAtMs))));
  const lastEndMs = Math.min(...outcomesByWriter.map((outcomes) => Math.max(...outcomes.map((o) => o.endedAtMs))));
  assert.ok(firstStartMs < lastEndMs, `writers ran one after the other (last start ${firstStartMs}, first finish ${lastEndMs})`);
}

/** How often consecutive completions (by end instant) come from different writers: interleaving, for diagnostics. */
function writerSwitches(outcomesByWriter: readonly (readonly HoldOutcome[])[]): number {
  const tagged = outcomesByWriter.flatMap((outcomes, writer) => outcomes.map((o) => ({ writer, endedAtMs: o.endedAtMs })));
  tagged.sort((a, b) => a.endedAtMs - b.endedAtMs);
  return tagged.reduce((switches, entry, index) => (index > 0 && tagged[index - 1]?.writer !== entry.writer ? switches + 1 : switches), 0);
}

/** Each writer's busy window relative to the first start, e.g. `w0 0–812 ms`, for diagnostics. */
function writerWindows(outcomesByWriter: readonly (readonly HoldOutcome[])[]): string {
  const originMs = Math.min(...outcomesByWriter.flat().map((o) => o.startedAtMs));
  return outcomesByWriter.map((outcomes, writer) => {
    const startMs = Math.min(...outcomes.map((o) => o.startedAtMs)) - originMs;
    const endMs = Math.max(...outcomes.map((o) => o.endedAtMs)) - originMs;
    return `w${writer} ${startMs}–${endMs} ms`;
  }).join(', ');
}

describeEachDatabase('holds: concurrent writers (processes on SQLite, connection pools on PostgreSQL) never exceed the monthly cap', ({ database, target }) => {
  let store: Store;
  let world: World;
  const seedNote = `seed ${SEED}, replay with PALIER_TEST_SEED=${SEED}`;
  const budgetFor = (period: string): HoldBudget => ({ subscriberId: world.subscriberId, period, monthlyCapMinor: CAP_MINOR });
  let processes: WriterProcesses | undefined;
  /** The suite's writer processes (SQLite only), started at first use and stopped after the suite. */
  const writerProcesses = async (): Promise<WriterProcesses> => {
    processes = processes ?? await WriterProcesses.start({
      config: target().config(), atMs: T0_MS,
      world: { billingCarrierId: world.billingCarrierId, hostingCarrierId: world.hostingCarrierId, subscriberId: world.subscriberId, merchantId: world.merchantId, offerId: world.offerId, tariffHash: world.tariff.hash },
    }, WRITERS);
    return processes;
  };

  before(async () => {
    store = new KyselyStore(database().db, database().dialect);
    world = await buildWorld(store);
  });
  after(async () => { await processes?.close(); });

  it(`holds: ${WRITERS} concurrent writers placing ${WRITERS * REQUESTS_PER_WRITER} holds never exceed the monthly cap, lose no hold, and refuse only what does not fit`, { timeout: 30_000 }, async (t) => {
    const budget = budgetFor('2027-01');
    const plans = holdPlans(world, { label: 'place', seed: SEED, followUps: false });
    const byWriter = await runConcurrently({ target: target(), processes: writerProcesses }, { budget, world, plans });
    const outcomes = byWriter.flat();
    assert.equal(outcomes.length, WRITERS * REQUESTS_PER_WRITER, 'every request has an outcome');
    assertNoFailures(outcomes, seedNote);
    assertWritersOverlapped(byWriter);
    await assertBudgetKept({ database: database(), store, budget, seedNote }, expectedHolds(outcomes), outcomes.filter((o) => o.kind === 'refused'), true);
    const accepted = outcomes.filter((o) => o.kind === 'accepted').length;
    assert.ok(accepted > 0 && accepted < outcomes.length, `the plan both accepts and refuses (${seedNote})`);
    t.diagnostic(`${seedNote}: ${accepted} accepted, ${outcomes.length - accepted} refused, ${writerSwitches(byWriter)} writer switches (${writerWindows(byWriter)})`);
  });

  it(`holds: ${WRITERS} concurrent writers posting, voiding and closing pending holds while placing, posting, voiding and closing new ones never exceed the monthly cap and account for every hold`, { timeout: 30_000 }, async (t) => {
    const budget = budgetFor('2027-02');
    const pending = await fillMonth(store, budget, SEED + 1);
    const plans = racePlans(world, pending, SEED + 2);
    const byWriter = await runConcurrently({ target: target(), processes: writerProcesses }, { budget, world, plans });
    const outcomes = byWriter.flat();
    assert.equal(outcomes.length, plans.flat().length, 'every request has an outcome');
    assertNoFailures(outcomes, seedNote);
    assertWritersOverlapped(byWriter);
    const resolvedIds = new Set(outcomes.filter((o) => o.kind === 'resolved').map((o) => o.sessionId));
    const untouched = pending.filter((hold) => !resolvedIds.has(hold.sessionId));
    assert.deepEqual(untouched, [], 'every pending hold was resolved by a writer');
    await assertBudgetKept({ database: database(), store, budget, seedNote }, expectedHolds(outcomes), [], false);
    const closed = plans.flat().filter((r) => r.then.kind === 'close' && expectedHolds(outcomes).some((h) => h.sessionId === r.sessionId));
    for (const request of closed) assert.ok((await store.getChargeForSession(request.sessionId)) !== null, `charge of ${request.sessionId}`);
    const placed = outcomes.filter((o) => o.kind === 'accepted').length;
    t.diagnostic(`${seedNote}: ${pending.length} pending holds resolved while ${placed} of ${outcomes.length - pending.length} new ones were accepted, ${closed.length} closed, ${writerSwitches(byWriter)} writer switches (${writerWindows(byWriter)})`);
  });
});
