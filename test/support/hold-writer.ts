/**
 * A hold writer for the concurrency tests: places budget holds for one subscriber and period,
 * resolves some of them, and reports every outcome as a value (a thrown error becomes a `failed`
 * outcome, so the test can name it precisely instead of losing it in a crashed writer).
 *
 * It runs in-process (one store per PostgreSQL pool) or as a child process, because SQLite
 * serialises in-process calls on its one connection and only separate processes really contend
 * for its write lock:
 *
 *   node --import tsx test/support/hold-writer.ts '<WriterSetup as JSON>'
 *
 * The child opens the database and prints `{"ready":true}`. Then, for each `WriterJob` line on
 * stdin (a budget and a plan: the start signal, so that idle children all begin together), it
 * prints one JSON line per request and `{"done":true}`. At the end of stdin it closes the
 * database and exits 0.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { type DatabaseConfig, KyselyStore, openDatabase } from '../../src/adapters/store/index.ts';
import type { Store } from '../../src/app/ports/index.ts';
import { chargeFor, type World } from './world.ts';

/** Who is charged: one subscriber's month, with the budget every hold is checked against. */
export interface HoldBudget {
  readonly subscriberId: string;
  readonly period: string;
  readonly monthlyCapMinor: bigint;
}

/**
 * What a writer does with a hold once it is accepted: leave it pending, post part of it, void it,
 * or close a charge of `seconds` on its session (which posts it at the charge's amount, so the
 * plan must hold at least that much).
 */
export type HoldFollowUp =
  | { readonly kind: 'keep' }
  | { readonly kind: 'void' }
  | { readonly kind: 'post'; readonly postedMinor: bigint }
  | { readonly kind: 'close'; readonly seconds: number };

/**
 * One step of a writer's plan: `place` a hold of `amountMinor` and follow it up, or `resolve` a
 * hold of `amountMinor` placed earlier (by anyone) with the follow-up alone.
 */
export interface HoldRequest {
  readonly op: 'place' | 'resolve';
  readonly sessionId: string;
  readonly amountMinor: bigint;
  readonly then: HoldFollowUp;
}

export type HoldStatusAfter = 'pending' | 'posted' | 'voided';

/**
 * One request's outcome: a hold placed (`accepted`, with its status after the follow-up), refused,
 * or resolved (a `resolve` step); `failed` when anything threw. The instants are wall-clock ms
 * around the whole request.
 */
export type HoldOutcome = { readonly sessionId: string; readonly amountMinor: bigint; readonly startedAtMs: number; readonly endedAtMs: number } & (
  | { readonly kind: 'accepted' | 'resolved'; readonly status: HoldStatusAfter; readonly postedMinor: bigint | null }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly error: string }
);

export interface WriterContext {
  readonly store: Store;
  readonly budget: HoldBudget;
  readonly world: World;
  readonly atMs: number;
}

/** Describes a thrown error with its driver code (SQLITE_BUSY, 40P01, …) when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
}

/** Resolves a pending hold as `then` says; returns its status and posted amount afterwards. */
export async function followUp(context: WriterContext, sessionId: string, then: HoldFollowUp): Promise<{ status: HoldStatusAfter; postedMinor: bigint | null }> {
  const { store, atMs } = context;
  switch (then.kind) {
    case 'keep':
      return { status: 'pending', postedMinor: null };
    case 'void':
      await store.voidHold(sessionId, atMs);
      return { status: 'voided', postedMinor: null };
    case 'post':
      await store.postHold(sessionId, then.postedMinor, `chg_${sessionId}`, atMs);
      return { status: 'posted', postedMinor: then.postedMinor };
    case 'close': {
      const close = chargeFor(context.world, sessionId, then.seconds, atMs);
      const closed = await store.closeCharge(close);
      return { status: 'posted', postedMinor: closed.charge.amount.toMinorUnits() };
    }
  }
}

/** Places one hold and, when accepted, follows it up (or only follows up, to resolve); never throws. */
export async function runHoldRequest(context: WriterContext, request: HoldRequest): Promise<HoldOutcome> {
  const { sessionId, amountMinor } = request;
  const startedAtMs = Date.now();
  try {
    if (request.op === 'resolve') {
      const after = await followUp(context, sessionId, request.then);
      return { sessionId, amountMinor, startedAtMs, endedAtMs: Date.now(), kind: 'resolved', ...after };
    }
    const placed = await context.store.placeHold({
      id: `hld_${sessionId}`, subscriberId: context.budget.subscriberId, sessionId, period: context.budget.period, currency: 'EUR',
      amountMinor, monthlyCapMinor: context.budget.monthlyCapMinor, atMs: context.atMs,
    });
    if (!placed.ok) return { sessionId, amountMinor, startedAtMs, endedAtMs: Date.now(), kind: 'refused' };
    const after = await followUp(context, sessionId, request.then);
    return { sessionId, amountMinor, startedAtMs, endedAtMs: Date.now(), kind: 'accepted', ...after };
  } catch (error) {
    return { sessionId, amountMinor, startedAtMs, endedAtMs: Date.now(), kind: 'failed', error: describeError(error) };
  }
}

// The wire format between the test and its child writers: JSON, with bigints as decimal strings.

const minorWire = z.string().regex(/^-?[0-9]+$/).transform((text) => BigInt(text));

const followUpWire = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keep') }),
  z.object({ kind: z.literal('void') }),
  z.object({ kind: z.literal('post'), postedMinor: minorWire }),
  z.object({ kind: z.literal('close'), seconds: z.number().int().positive() }),
]);

const jobWire = z.object({
  budget: z.object({ subscriberId: z.string(), period: z.string(), monthlyCapMinor: minorWire }),
  plan: z.array(z.object({ op: z.enum(['place', 'resolve']), sessionId: z.string(), amountMinor: minorWire, then: followUpWire })),
});

const outcomeWire = z.intersection(
  z.object({ sessionId: z.string(), amountMinor: minorWire, startedAtMs: z.number(), endedAtMs: z.number() }),
  z.discriminatedUnion('kind', [
    z.object({ kind: z.enum(['accepted', 'resolved']), status: z.enum(['pending', 'posted', 'voided']), postedMinor: minorWire.nullable() }),
    z.object({ kind: z.literal('refused') }),
    z.object({ kind: z.literal('failed'), error: z.string() }),
  ]),
);

/** Everything a child writer needs besides its jobs. */
export interface WriterSetup {
  readonly config: DatabaseConfig;
  /** The world without its tariff, which the child reads back from the database by hash. */
  readonly world: Omit<World, 'tariff'> & { readonly tariffHash: string };
  readonly atMs: number;
}

/** One line of a child's stdin: a plan for one subscriber's month. */
export interface WriterJob {
  readonly budget: HoldBudget;
  readonly plan: readonly HoldRequest[];
}

/** The lines a child prints around its outcomes. */
export const WRITER_READY_LINE = '{"ready":true}';
export const WRITER_DONE_LINE = '{"done":true}';

const setupWire = z.object({
  config: z.union([
    z.object({ dialect: z.literal('sqlite'), path: z.string() }),
    z.object({ dialect: z.literal('postgres'), url: z.string(), searchPath: z.string().optional(), poolSize: z.number().int().optional() }),
  ]),
  world: z.object({ billingCarrierId: z.string(), hostingCarrierId: z.string(), subscriberId: z.string(), merchantId: z.string(), offerId: z.string(), tariffHash: z.string() }),
  atMs: z.number(),
});

/** JSON.stringify with bigints as decimal strings. */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field));
}

export function outcomeFromWire(line: string): HoldOutcome {
  return outcomeWire.parse(JSON.parse(line));
}

/** The child's database config, dropping an absent search path (exact optional properties). */
function configFromWire(config: z.infer<typeof setupWire>['config']): DatabaseConfig {
  if (config.dialect === 'sqlite') return config;
  return {
    dialect: 'postgres', url: config.url,
    ...(config.searchPath === undefined ? {} : { searchPath: config.searchPath }),
    ...(config.poolSize === undefined ? {} : { poolSize: config.poolSize }),
  };
}

async function main(): Promise<void> {
  const setup = setupWire.parse(JSON.parse(process.argv[2] ?? 'null'));
  const database = openDatabase(configFromWire(setup.config));
  try {
    const store = new KyselyStore(database.db, database.dialect);
    const tariff = await store.getTariff(setup.world.tariffHash);
    if (tariff === null) throw new Error(`tariff ${setup.world.tariffHash} is not in the database`);
    const { tariffHash: _tariffHash, ...ids } = setup.world;
    process.stdout.write(`${WRITER_READY_LINE}\n`);
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const job = jobWire.parse(JSON.parse(line));
      const context: WriterContext = { store, budget: job.budget, world: { ...ids, tariff }, atMs: setup.atMs };
      // One request after the other: this process is one writer; the concurrency is between processes.
      for (const request of job.plan) process.stdout.write(`${toWire(await runHoldRequest(context, request))}\n`);
      process.stdout.write(`${WRITER_DONE_LINE}\n`);
    }
  } finally {
    await database.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
