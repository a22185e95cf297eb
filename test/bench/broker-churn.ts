/**
 * Issue 4 §4, target 3: session churn over HTTP on SQLite — at least 500 full flows a second, a
 * flow being quote → consent → connect → end.
 *
 * Method. A real server (startServer: express, the broker on the real-time scheduler, a SQLite file
 * with the shipped settings — synchronous NORMAL, prepared-statement cache, WAL checkpoints on a
 * worker thread — and the server's logger, writing its request lines to /dev/null as it writes
 * them to stdout: asynchronously), seeded with the demo data set plus
 * 200 bench subscribers (300 € a month each: a flow costs 0.34 € to 0.53 €) and 12 more merchant
 * keys for the demo merchant (the per-key rate limit is 200 requests/s, and a flow makes two
 * merchant-key requests). The clients run in a worker thread (churn-clients.ts): 1,000 simulated
 * users over 64 keep-alive connections, each running flows back to back — quote with a merchant
 * key, consent with the quote token (cap 1.00 €), connect with the merchant key, 1.1 s of metering
 * (so that every session is billed), end with the user token; every POST with an Idempotency-Key.
 * The rate counts the flows completed in a 10 s window after a 3 s warm-up; the flows still running
 * then are finished before the check: as many rated sessions as flows, a charge per flow with the
 * amounts the clients were shown, every hold posted, and `verifyLedger` clean. A second round on
 * the same server runs with synchronous = FULL (PALIER_SQLITE_SYNCHRONOUS=FULL): a flow makes 8
 * commits (each POST's change, shared with others in the group commit, then its idempotency record
 * in a commit of its own; the claim in flight is held in memory on SQLite), and FULL waits for the
 * disk at each. Beside the wall-clock rate, the
 * server thread's own CPU per flow is read from /proc, which other processes do not inflate, and
 * set against this machine's floor, measured first in the same process (http-load.ts): what a
 * bare node:http server's thread spends on a request. "A flow costs N bare requests" compares
 * across machines where the rate and the milliseconds do not (a slower machine raises both).
 */
import { loadavg } from 'node:os';
import { verifyLedger } from '../../src/adapters/store/index.ts';
import { Money } from '../../src/domain/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { BENCH_OFFER_ID, type BenchWorld, benchLogger, seedBenchWorld, temporarySqlitePath } from './bench-world.ts';
import { type ChurnResult, runChurnClients } from './churn-clients.ts';
import { formatRate, info, report } from './harness.ts';
import { measureHttpFloor } from './http-load.ts';
import { mainThreadCpuMs } from './thread-cpu.ts';

const FLOWS_PER_S_MIN = 500;
const SUBSCRIBERS = 200;
const EXTRA_MERCHANT_KEYS = 12;
const USERS = 1_000;
const CONNECTIONS = 64;
const METERED_MS = 1_100;
const WARMUP_MS = 3_000;
const WINDOW_MS = 10_000;

const ms = ([p50, p99, max]: readonly [number, number, number]): string => `p50 ${p50.toFixed(1)}, p99 ${p99.toFixed(1)}, max ${max.toFixed(1)} ms`;

interface Totals {
  readonly completed: number;
  readonly charged: number;
  readonly billedMinor: bigint;
  readonly failures: Readonly<Record<string, number>>;
}

function add(a: Totals, b: ChurnResult): Totals {
  const failures: Record<string, number> = { ...a.failures };
  for (const [step, n] of Object.entries(b.failures)) failures[step] = (failures[step] ?? 0) + n;
  return { completed: a.completed + b.completed, charged: a.charged + b.charged, billedMinor: a.billedMinor + b.billedMinor, failures };
}

/** The database after the runs agrees with what the clients saw, and the ledger is clean. */
async function verifyChurn(server: RunningServer, totals: Totals): Promise<string> {
  const sqlite = server.storage.database.raw.sqlite;
  if (sqlite === undefined) throw new Error('the SQLite database has no raw handle');
  const rows = sqlite.prepare(`select
      (select count(*) from sessions) as sessions,
      (select count(*) from sessions where status = 'rated' and end_reason = 'user') as rated,
      (select count(*) from charges) as charges,
      (select coalesce(sum(amount_minor), 0) from charges) as charged,
      (select count(*) from holds where status = 'posted') as posted,
      (select count(*) from holds where status = 'pending') as pending`).get() as Record<string, bigint>;
  const ledger = await verifyLedger(server.storage.database.db, 'sqlite');
  const completed = BigInt(totals.completed);
  const problems = [
    Object.keys(totals.failures).length > 0 ? `failed steps: ${JSON.stringify(totals.failures)}` : '',
    rows['sessions'] !== completed || rows['rated'] !== completed ? `${String(rows['sessions'])} sessions, ${String(rows['rated'])} rated, for ${totals.completed} flows` : '',
    rows['charges'] !== BigInt(totals.charged) || rows['charges'] !== completed ? `${String(rows['charges'])} charges, ${totals.charged} flows charged, ${totals.completed} flows` : '',
    rows['charged'] !== totals.billedMinor ? `charges sum to ${String(rows['charged'])}, the clients were shown ${totals.billedMinor}` : '',
    rows['posted'] !== completed || rows['pending'] !== 0n ? `${String(rows['posted'])} holds posted, ${String(rows['pending'])} pending` : '',
    server.broker.runningCount !== 0 ? `${server.broker.runningCount} sessions still running` : '',
    ledger.ok ? '' : `verifyLedger: ${ledger.breaches.length} breaches (${ledger.breaches.map((b) => b.check).join(', ')})`,
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new Error(`churn: ${problems.join('; ')}`);
  return `${totals.completed} flows → ${String(rows['sessions'])} sessions rated, ${String(rows['charges'])} charges totalling ${Money.fromMinorUnits(totals.billedMinor, 'EUR').toString()} EUR `
    + `(= the amounts the clients were shown), ${String(rows['posted'])} holds posted, none pending; verifyLedger clean (${ledger.checks.length} checks)`;
}

interface Round {
  readonly result: ChurnResult;
  readonly rate: number;
  readonly serverLoop: number;
  readonly cpuPerFlow: string;
  readonly cpuMsPerFlow: number | null;
}

/** A flow's server-thread CPU counted in bare node:http requests of this machine. */
const inFloors = (msPerFlow: number | null, floorUs: number): string => (msPerFlow === null ? '' : ` (as much as ${((msPerFlow * 1000) / floorUs).toFixed(0)} bare node:http requests)`);

async function round(server: RunningServer, world: BenchWorld, label: string): Promise<Round> {
  const eluBefore = performance.eventLoopUtilization();
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const cpuBeforeMs = mainThreadCpuMs();
  const result = await runChurnClients({
    url: server.url, offerId: BENCH_OFFER_ID, merchantKeys: world.merchantKeys, subscriberIds: world.subscriberIds, users: USERS,
    connections: CONNECTIONS, cap: '1.00', meteredMs: METERED_MS, warmupMs: WARMUP_MS, windowMs: WINDOW_MS,
  });
  const serverLoop = performance.eventLoopUtilization(eluBefore).utilization;
  const cpuAfterMs = mainThreadCpuMs();
  const cpuMsPerFlow = cpuBeforeMs === null || cpuAfterMs === null ? null : (cpuAfterMs - cpuBeforeMs) / result.completed;
  const cpuPerFlow = cpuMsPerFlow === null ? 'unknown' : `${cpuMsPerFlow.toFixed(2)} ms`;
  const rate = (result.completedInWindow * 1000) / result.windowMs;
  info(`churn, ${label}`, `${formatRate(rate)}: ${result.started} flows started, ${result.completed} completed (${result.completedInWindow} in the ${(result.windowMs / 1000).toFixed(1)} s window); `
    + `flow ${ms(result.flowMs)} (${METERED_MS} ms of it metered); requests: ${Object.entries(result.latencyMs).map(([step, l]) => `${step} ${ms(l)}`).join('; ')}; `
    + `server event loop busy ${(serverLoop * 100).toFixed(1)} %, its thread's CPU ${cpuPerFlow} per flow; load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? Number.NaN).toFixed(1)}`);
  return { result, rate, serverLoop, cpuPerFlow, cpuMsPerFlow };
}

export async function benchmarkChurn(): Promise<void> {
  const file = temporarySqlitePath();
  const seeded: { world: BenchWorld | null } = { world: null };
  const server = await startServer({
    database: { dialect: 'sqlite', path: file.path }, host: '127.0.0.1', port: 0,
    logger: benchLogger(),
    beforeStart: async ({ store }) => {
      seeded.world = await seedBenchWorld(store, Date.now() - 86_400_000, { subscribers: SUBSCRIBERS, merchantKeys: EXTRA_MERCHANT_KEYS });
    },
  });
  try {
    const world = seeded.world;
    const sqlite = server.storage.database.raw.sqlite;
    if (world === null || sqlite === undefined) throw new Error('churn: the SQLite database was not seeded');
    info('churn setup', `server at ${server.url} on ${file.path}; demo data set + ${world.subscriberIds.length} bench subscribers (300 € a month each; `
      + `cap 1.00 €, ${METERED_MS} ms metered: each flow is billed one 60 s increment) and ${world.merchantKeys.length} merchant keys for ${BENCH_OFFER_ID}'s merchant `
      + `(200 requests/s each); clients in a worker thread`);
    const floor = await measureHttpFloor();
    info('churn, this machine', `a bare node:http server answers a GET with ${floor.usPerRequest.toFixed(0)} µs of its thread (${formatRate(floor.requestsPerS)} over 32 connections)`);
    const shipped = await round(server, world, 'as shipped (synchronous = NORMAL)');
    let totals = add({ completed: 0, charged: 0, billedMinor: 0n, failures: {} }, shipped.result);
    info('churn verified', await verifyChurn(server, totals));
    const setting = String(sqlite.pragma('synchronous', { simple: true }));
    sqlite.pragma('synchronous = FULL');
    const full = await round(server, world, 'the same server with synchronous = FULL (PALIER_SQLITE_SYNCHRONOUS=FULL: commits survive a power loss too)');
    sqlite.pragma(`synchronous = ${setting}`);
    totals = add(totals, full.result);
    info('churn verified, both rounds', await verifyChurn(server, totals));
    report(`HTTP churn on SQLite: full flows (quote → consent → connect → end, each session billed), ${USERS} users over ${CONNECTIONS} keep-alive connections`,
      `${formatRate(shipped.rate)} (${shipped.result.completedInWindow} flows in ${(shipped.result.windowMs / 1000).toFixed(1)} s, ${formatRate(shipped.rate * 4)} requests; `
      + `server event loop busy ${(shipped.serverLoop * 100).toFixed(0)} %, ${shipped.cpuPerFlow} of its thread's CPU a flow${inFloors(shipped.cpuMsPerFlow, floor.usPerRequest)}; `
      + `with synchronous = FULL ${formatRate(full.rate)})`,
      `≥ ${formatRate(FLOWS_PER_S_MIN)}`, shipped.rate >= FLOWS_PER_S_MIN);
  } finally {
    await server.stop();
    file.remove();
  }
}
