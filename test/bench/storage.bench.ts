/**
 * Issue 3 §7 benchmarks: closing a rated session through the Store port — one transaction writing
 * the charge, its balanced journal (7 postings) with the running balances, and posting the
 * session's hold — on SQLite and PostgreSQL, each against the same statements issued with the raw
 * driver in the same run and on the same database, and how long a storage call holds the event
 * loop.
 *
 * Method. Fresh databases (a temporary SQLite file, a PostgreSQL schema of its own, both removed
 * afterwards). Charges and journals are built and holds placed before each timed round. All
 * contenders of a database take turns over ROUNDS rounds on the same database; each round opens
 * with Palier and its raw baseline back to back (alternating which goes first), so the ratio is
 * the median of pairs that shared the machine's conditions, and the others follow in rotating
 * order. Each rate is the median round (the best round is printed too: this machine is shared).
 * Each worker closes one session after another, yielding to the event loop between two closes as
 * a server would, which is what lets a fresh event-loop delay histogram per round see each call
 * separately. After the run the database is checked against every close performed
 * (CloseWorkload.verify).
 *
 * Targets. The throughput target is met, or not, by Palier with IN_FLIGHT closes in flight: a
 * server closes sessions for many users at once, and that is what group commit (SQLite) and the
 * pool (PostgreSQL) are for; the one-at-a-time figure is printed beside it. The ratio pairs Palier
 * one at a time with the raw driver one at a time (the same statements, in the same order, on an
 * unpatched connection). The event-loop target holds for both. The other contenders (`info`)
 * measure what would move a missed target: SQLite's `synchronous`, fewer statements per close,
 * one round trip on PostgreSQL, its commit flush, and several connections.
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { CloseCharge, Store } from '../../src/app/ports/index.ts';
import { KyselyStore } from '../../src/adapters/store/kysely-store.ts';
import type { Database } from '../../src/adapters/store/tables.ts';
import { checkpointInWorker } from '../../src/adapters/store/sqlite-tuning.ts';
import { CloseWorkload, freshPostgres, freshSqlite, PG_URL, postgresProblem } from './close-workload.ts';
import { formatRate, report } from './harness.ts';
import { rawPostgresCloser, rawPostgresOneStatementCloser, rawPostgresPalierStatementCloser, rawSqliteCloser } from './raw-close.ts';

const ROUNDS = 7;
const SQLITE_CLOSES_PER_ROUND = 800;
const POSTGRES_CLOSES_PER_ROUND = 400;
/** Untimed closes per contender before the first round: JIT, statement caches, pool connections. */
const WARMUP_CLOSES = 300;
const SQLITE_TARGET_PER_S = 3000;
const POSTGRES_TARGET_PER_S = 1000;
const RATIO_TARGET = 0.4;
/** No storage call may hold the event loop longer than this. */
const EVENT_LOOP_BLOCK_MS_MAX = 20;
/** Connections of the concurrent raw PostgreSQL figures (the machine has 2 cores, shared with the server). */
const POSTGRES_CONNECTIONS = 4;
/** Palier's PostgreSQL pool, as the server opens it (openDatabase's default). */
const POSTGRES_POOL_SIZE = 10;
/** Closes in flight for the throughput target: a server ending sessions for many users at once. */
const IN_FLIGHT = 16;
/** Round trips timed for the PostgreSQL latency floor. */
const PING_COUNT = 2000;

/** One close; resolves when committed. Rejects when it wrote nothing (a replay would measure nothing). */
type Closer = (close: CloseCharge) => Promise<void>;

interface Contender {
  readonly name: string;
  /** One per worker: several for the concurrent figures. */
  readonly closers: readonly Closer[];
  /** Puts the connection in this contender's mode (e.g. the synchronous pragma) before each of its rounds, untimed. */
  readonly enter: () => void | Promise<void>;
  /** Undoes `enter` after each of its rounds, untimed. */
  readonly leave: () => void | Promise<void>;
  readonly rates: number[];
  readonly callMs: number[];
  readonly loopMaxMs: number[];
  readonly loopP99Ms: number[];
}

interface Modes {
  readonly enter?: () => void | Promise<void>;
  readonly leave?: () => void | Promise<void>;
}

function contender(name: string, closers: Closer | readonly Closer[], modes: Modes = {}): Contender {
  return {
    name, closers: Array.isArray(closers) ? closers : [closers], enter: modes.enter ?? (() => undefined), leave: modes.leave ?? (() => undefined),
    rates: [], callMs: [], loopMaxMs: [], loopP99Ms: [],
  };
}

function palierCloser(store: Store, workload: CloseWorkload): Closer {
  return async (close) => {
    const { created } = await store.closeCharge(close);
    if (!created) throw new Error(`closeCharge wrote nothing for ${close.charge.sessionId}`);
    workload.closed(close);
  };
}

function syncCloser(close: (close: CloseCharge) => boolean, workload: CloseWorkload): Closer {
  return (item) => {
    if (!close(item)) return Promise.reject(new Error(`raw close wrote nothing for ${item.charge.sessionId}`));
    workload.closed(item);
    return Promise.resolve();
  };
}

function asyncCloser(close: (close: CloseCharge) => Promise<boolean>, workload: CloseWorkload): Closer {
  return async (item) => {
    if (!(await close(item))) throw new Error(`raw close wrote nothing for ${item.charge.sessionId}`);
    workload.closed(item);
  };
}

/**
 * Closes every item, one worker per closer (each closing one item after another), yielding to the
 * event loop between two closes. Records the rate, every call's duration and, from a histogram of
 * its own, the event-loop delay of this round.
 */
async function timeRound(closes: readonly CloseCharge[], side: Contender, record: boolean): Promise<void> {
  const callMs: number[] = [];
  let next = 0;
  const worker = async (close: Closer): Promise<void> => {
    for (let item = closes[next++]; item !== undefined; item = closes[next++]) {
      const startMs = performance.now();
      await close(item);
      callMs.push(performance.now() - startMs);
      await yieldToEventLoop();
    }
  };
  await side.enter();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const startMs = performance.now();
  await Promise.all(side.closers.map(worker));
  const elapsedMs = performance.now() - startMs;
  loopDelay.disable();
  await side.leave();
  if (!record) return;
  side.rates.push((closes.length * 1000) / elapsedMs);
  side.callMs.push(...callMs);
  side.loopMaxMs.push(loopDelay.max / 1e6);
  side.loopP99Ms.push(loopDelay.percentile(99) / 1e6);
}

/**
 * A warm-up, then ROUNDS rounds of `perRound` fresh closes per contender. Each round starts with
 * the first two contenders (Palier and its raw baseline) back to back, alternating which goes
 * first, so that each pair of their rounds shares the machine's conditions; the others follow,
 * their order rotating.
 */
async function race(workload: CloseWorkload, perRound: number, contenders: readonly Contender[]): Promise<CloseCharge[]> {
  const sample: CloseCharge[] = [];
  const [first, second, ...rest] = contenders;
  if (first === undefined || second === undefined) throw new Error('a race needs Palier and its baseline');
  for (const side of contenders) await timeRound(await workload.prepare(WARMUP_CLOSES), side, false);
  for (let round = 0; round < ROUNDS; round += 1) {
    const shift = rest.length === 0 ? 0 : round % rest.length;
    const order = [...(round % 2 === 0 ? [first, second] : [second, first]), ...rest.slice(shift), ...rest.slice(0, shift)];
    for (const side of order) {
      const closes = await workload.prepare(perRound);
      await timeRound(closes, side, true);
      sample.push(closes[round] as CloseCharge);
    }
  }
  return sample;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function max(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const roundsOf = (side: Contender): string => side.rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ');

function info(label: string, value: string): void {
  process.stdout.write(`info  ${label}: ${value}\n`);
}

/** Prints every contender's median rate and its ratio to `reference`. */
function infoAll(dbLabel: string, contenders: readonly Contender[], reference: Contender): void {
  for (const side of contenders) {
    info(`${dbLabel}, ${side.name}`, `${formatRate(median(side.rates))} (best ${formatRate(max(side.rates))}) = ${(median(side.rates) / median(reference.rates)).toFixed(2)}× the raw baseline (rounds ${roundsOf(side)}; `
      + `per call median ${ms(median(side.callMs))}, p99 ${ms(percentile(side.callMs, 99))}, max ${ms(max(side.callMs))}; `
      + `event-loop delay p99 ${ms(max(side.loopP99Ms))}, max ${ms(max(side.loopMaxMs))})`);
  }
}

interface RaceVerdict {
  readonly dbLabel: string;
  readonly target: number;
  /** Palier one close at a time, paired with `raw` for the ratio. */
  readonly palier: Contender;
  readonly raw: Contender;
  /** Palier with IN_FLIGHT closes in flight, for the throughput target. */
  readonly inFlight: Contender;
  /** True when the driver is synchronous, so that a call's duration is how long it held the event loop. */
  readonly callHoldsLoop: boolean;
}

function reportRace({ dbLabel, target, palier, raw, inFlight, callHoldsLoop }: RaceVerdict): void {
  const inFlightRate = median(inFlight.rates);
  report(`${dbLabel}: close a rated session (charge + 7-posting journal + running balances + hold posted, atomic), ${String(IN_FLIGHT)} closes in flight`,
    `${formatRate(inFlightRate)} (median of ${String(ROUNDS)} rounds of ${String(inFlight.callMs.length / ROUNDS)}; best ${formatRate(max(inFlight.rates))}; rounds ${roundsOf(inFlight)}; `
    + `one close at a time: ${formatRate(median(palier.rates))})`,
    `≥ ${formatRate(target)}`, inFlightRate >= target);
  // Each round of Palier ran right beside one of the raw driver's: the ratio is the median of those pairs.
  const ratio = median(palier.rates.map((rate, round) => rate / (raw.rates[round] ?? Number.NaN)));
  report(`${dbLabel}: Palier / the same statements with ${raw.name}, same run and database`,
    `${ratio.toFixed(2)}× (median of paired rounds; raw median ${formatRate(median(raw.rates))}, best ${formatRate(max(raw.rates))}, rounds ${roundsOf(raw)})`,
    `≥ ${String(RATIO_TARGET)}×`, ratio >= RATIO_TARGET);
  const loopMaxMs = Math.max(max(palier.loopMaxMs), max(inFlight.loopMaxMs));
  const callMaxMs = max(palier.callMs);
  // In flight, a call's duration includes its wait in the queue: only the delay histogram tells what held the loop.
  const perCall = `one at a time, per call${callHoldsLoop ? ' (synchronous driver: the whole call holds the loop)' : ' (wall time, mostly awaiting the server)'}`
    + ` median ${ms(median(palier.callMs))}, p99 ${ms(percentile(palier.callMs, 99))}, max ${ms(callMaxMs)}`;
  report(`${dbLabel}: event loop held by Palier closes, one at a time and ${String(IN_FLIGHT)} in flight (monitorEventLoopDelay, 1 ms resolution, timed rounds)`,
    `max ${ms(loopMaxMs)}, p99 ${ms(Math.max(max(palier.loopP99Ms), max(inFlight.loopP99Ms)))} (worst round); ${perCall}`, `≤ ${String(EVENT_LOOP_BLOCK_MS_MAX)} ms`,
    loopMaxMs <= EVENT_LOOP_BLOCK_MS_MAX && (!callHoldsLoop || callMaxMs <= EVENT_LOOP_BLOCK_MS_MAX));
}

function sqliteContenders(sqlite: SqliteDatabase.Database, store: Store, workload: CloseWorkload): Contender[] {
  let stopWorker: (() => Promise<void>) | null = null;
  // As the server runs it: NORMAL, and the WAL checkpointed on a worker thread (src/adapters/store/sqlite-tuning.ts).
  const shipped: Modes = {
    enter: async () => {
      sqlite.pragma('synchronous = NORMAL');
      stopWorker = await checkpointInWorker(sqlite, sqlite.name);
    },
    leave: async () => {
      await stopWorker?.();
      stopWorker = null;
    },
  };
  // PALIER_SQLITE_SYNCHRONOUS=FULL: a commit also survives a power loss; checkpoints inside commits (a CLI, no worker).
  const full: Modes = { enter: () => { sqlite.pragma('synchronous = FULL'); sqlite.pragma('wal_autocheckpoint = 1000'); } };
  const raw = syncCloser(rawSqliteCloser(sqlite), workload);
  return [
    contender('Palier KyselyStore.closeCharge as the server runs it (NORMAL, statement cache, checkpoints in a worker), one close at a time', palierCloser(store, workload), shipped),
    contender('raw better-sqlite3 prepared statements in BEGIN IMMEDIATE…COMMIT, same settings', raw, shipped),
    contender(`Palier as the server runs it, ${String(IN_FLIGHT)} closes in flight (group commit: those waiting share one COMMIT)`,
      Array.from({ length: IN_FLIGHT }, () => palierCloser(store, workload)), shipped),
    contender('Palier with PALIER_SQLITE_SYNCHRONOUS=FULL, checkpoints inside commits', palierCloser(store, workload), full),
    contender('raw same statements, FULL, checkpoints inside commits', raw, full),
  ];
}

/** Pages a close appends to the WAL (what its commit writes, and with FULL fsyncs), checkpoints paused meanwhile. */
async function walFramesPerClose(sqlite: SqliteDatabase.Database, store: Store, workload: CloseWorkload): Promise<number> {
  const closes = await workload.prepare(WARMUP_CLOSES);
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.pragma('wal_autocheckpoint = 0');
  try {
    const close = palierCloser(store, workload);
    for (const item of closes) await close(item);
    // PASSIVE reports the frames in the WAL (TRUNCATE would report the emptied log).
    const [result] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: bigint | number }[];
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return Number(result?.log ?? Number.NaN) / closes.length;
  } finally {
    sqlite.pragma('wal_autocheckpoint = 1000');
  }
}

async function sqliteBenchmarks(): Promise<void> {
  const fresh = await freshSqlite();
  try {
    const { database } = fresh;
    const sqlite = database.raw.sqlite;
    if (sqlite === undefined) throw new Error('the SQLite database has no raw handle');
    const store = new KyselyStore(database.db, 'sqlite');
    const workload = await CloseWorkload.create(store);
    info('SQLite', `${String(sqlite.prepare('select sqlite_version()').pluck().get())} via better-sqlite3, WAL, opened by src (NORMAL by default), ${fresh.where}`);
    const contenders = sqliteContenders(sqlite, store, workload);
    const [palier, raw, inFlight] = contenders as [Contender, Contender, Contender];
    const sample = await race(workload, SQLITE_CLOSES_PER_ROUND, contenders);
    sqlite.pragma('wal_autocheckpoint = 1000');
    reportRace({ dbLabel: 'SQLite', target: SQLITE_TARGET_PER_S, palier, raw, inFlight, callHoldsLoop: true });
    infoAll('SQLite', contenders, raw);
    info('SQLite WAL frames (4 KiB pages) written per close, Palier as shipped', (await walFramesPerClose(sqlite, store, workload)).toFixed(1));
    info('SQLite verified', await workload.verify(database.db, sample));
    for (const note of workload.notes) info('SQLite finding', note);
  } finally {
    await fresh.dispose();
  }
}

/** Median microseconds of a `select 1` round trip: the floor under each of a close's statements. */
async function roundTripUs(client: pg.ClientBase): Promise<number> {
  const us: number[] = [];
  for (let i = 0; i < PING_COUNT; i += 1) {
    const startMs = performance.now();
    await client.query('select 1');
    us.push((performance.now() - startMs) * 1000);
  }
  return median(us);
}

async function postgresContenders(pool: pg.Pool, clients: pg.PoolClient[], store: Store, db: Kysely<Database>, workload: CloseWorkload): Promise<Contender[]> {
  while (clients.length < POSTGRES_CONNECTIONS + 2) clients.push(await pool.connect());
  const [first, unflushed, ...others] = clients as [pg.PoolClient, pg.PoolClient, ...pg.PoolClient[]];
  // This connection only: commit returns before its WAL record reaches the disk (a crash may lose the last commits).
  await unflushed.query('set synchronous_commit = off');
  const parallel = `${String(POSTGRES_CONNECTIONS)} connections in parallel (same hot carrier/merchant balance rows)`;
  return [
    contender('Palier KyselyStore.closeCharge as shipped (one statement, named), one close at a time', palierCloser(store, workload)),
    contender('raw pg client: BEGIN, Palier\'s statement (unnamed), COMMIT, one connection', asyncCloser(rawPostgresPalierStatementCloser(first, db), workload)),
    contender(`Palier, ${String(IN_FLIGHT)} closes in flight over its pool (same hot carrier/merchant balance rows)`,
      Array.from({ length: IN_FLIGHT }, () => palierCloser(store, workload))),
    contender('raw pg client, the SQLite path\'s 8 statements in BEGIN…COMMIT, one connection', asyncCloser(rawPostgresCloser(first), workload)),
    contender('raw the same 8 statements as named (server-side prepared) statements, one connection', asyncCloser(rawPostgresCloser(first, { named: true }), workload)),
    contender('raw one statement in autocommit (1 round trip, no BEGIN/COMMIT), one connection', asyncCloser(rawPostgresOneStatementCloser(first), workload)),
    contender('raw the 8 statements, synchronous_commit = off, one connection', asyncCloser(rawPostgresCloser(unflushed), workload)),
    contender(`raw the 8 statements, ${parallel}`, others.map((client) => asyncCloser(rawPostgresCloser(client), workload))),
  ];
}

async function postgresBenchmarks(): Promise<void> {
  const problem = await postgresProblem();
  if (problem !== null) {
    report('PostgreSQL: close a rated session', `not measured: ${PG_URL} unreachable (${problem})`, `≥ ${formatRate(POSTGRES_TARGET_PER_S)}`, false);
    return;
  }
  // Palier's pool as the server sizes it; the raw baselines on a pool of their own, whose connections send unnamed statements.
  const fresh = await freshPostgres(POSTGRES_POOL_SIZE);
  const { database } = fresh;
  if (database.config.dialect !== 'postgres') throw new Error('a PostgreSQL database');
  const pool = new pg.Pool({ connectionString: PG_URL, max: POSTGRES_CONNECTIONS + 2, options: `-c search_path=${database.config.searchPath ?? 'public'}` });
  const clients: pg.PoolClient[] = [];
  try {
    const store = new KyselyStore(database.db, 'postgres');
    const workload = await CloseWorkload.create(store);
    const contenders = await postgresContenders(pool, clients, store, database.db, workload);
    const [palier, raw, inFlight] = contenders as [Contender, Contender, Contender];
    const first = clients[0] as pg.PoolClient;
    const settings = await first.query<{ v: string; sc: string }>('select version() as v, current_setting(\'synchronous_commit\') as sc');
    info('PostgreSQL', `${settings.rows[0]?.v.split(' on ')[0] ?? '?'} at ${PG_URL}, synchronous_commit = ${settings.rows[0]?.sc ?? '?'}, ${fresh.where}`);
    info('PostgreSQL round trip (select 1, median)', `${(await roundTripUs(first)).toFixed(0)} µs before the run`);
    const sample = await race(workload, POSTGRES_CLOSES_PER_ROUND, contenders);
    info('PostgreSQL round trip (select 1, median)', `${(await roundTripUs(first)).toFixed(0)} µs after the run`);
    reportRace({ dbLabel: 'PostgreSQL', target: POSTGRES_TARGET_PER_S, palier, raw, inFlight, callHoldsLoop: false });
    infoAll('PostgreSQL', contenders, raw);
    info('PostgreSQL verified', await workload.verify(database.db, sample));
    for (const note of workload.notes) info('PostgreSQL finding', note);
  } finally {
    for (const client of clients) client.release();
    await pool.end();
    await fresh.dispose();
  }
}

/** The machine's load: these figures move with what else runs on it (the server included). */
function infoLoad(when: string): void {
  info(`load average ${when}`, `${loadavg().map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min) on ${String(cpus().length)} cores`);
}

export async function runStorageBenchmarks(): Promise<void> {
  infoLoad('before SQLite');
  await sqliteBenchmarks();
  infoLoad('before PostgreSQL');
  await postgresBenchmarks();
  infoLoad('at the end');
}
