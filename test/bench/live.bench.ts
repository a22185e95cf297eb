/**
 * Issue 5 benchmarks: the live feed at 10,000 watchers on 10,000 active sessions, ticking at 1 Hz.
 *
 * The server is the real one (`startServer`: SQLite, the session broker on the shared real-time
 * scheduler, LiveHub, the ws endpoint with its authentication and pings), in this process; the
 * watchers are real ws clients in a child process (live-clients.ts), so that `process.cpuUsage()`
 * here is the server's CPU alone. The 10,000 sessions are written through the Store in one
 * transaction as already connected (metering started up to 20 minutes ago, spread over every
 * millisecond of the second, so a quarter are in the per-second tier and every tick re-rates), and
 * the broker takes them over at start as after a restart: each tick is the broker's real work
 * (liveness, metered time, the amount, serialised once, sent to its watcher). Their proof of life
 * is set an hour ahead, standing for heartbeats that keep coming: REST heartbeats are not the
 * feed's cost, and the ticks then show every metered second, which dates each tick exactly.
 *
 * Baseline, same run, same clients: a bare `ws` server sending the same messages (same shape and
 * size, one per session per second at the same instants, the same pings) with nothing else, in a
 * child process of its own (live-bare-server.ts), whose CPU it reports. The two take turns: the
 * 10,000 watchers connect to one, warm up, one 10-second window is measured, they close and go to
 * the other; five windows each, so that a drift of the machine during the run falls on both. Before
 * each warm-up the server about to be measured collects its garbage (measureBoth says why). The CPU
 * figure is each server's median window; the ratio is the median of the five turns' ratios
 * (Palier's window over the bare server's right after it). Lateness is measured by the clients on
 * every tick (see live-clients.ts) and pooled.
 *
 * Memory per idle watcher: the server's heapUsed + external after forced GCs, before and after
 * 2,000 watchers connect to 2,000 queued sessions (no ticks while waiting), divided by 2,000; RSS
 * is reported beside it (it also counts allocator slack, so it is noisier). It runs on a server
 * of its own, in a process of its own, before the feed's (fresh-process.ts): the feed's process
 * has run neither its forced collections nor its 2,000 connections.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { LIVE_PING_INTERVAL_MS } from '../../src/adapters/live/limits.ts';
import { newApiSecret } from '../../src/adapters/secrets/index.ts';
import type { Store } from '../../src/app/index.ts';
import { ensureSeeded } from '../../src/app/seed/index.ts';
import { sha256Hex, type Session } from '../../src/domain/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { inFreshProcess } from './fresh-process.ts';
import { exposedGc, report, settledMemory } from './harness.ts';
import type { BareCommand, BareReport } from './live-bare-server.ts';
import { type ClientCommand, type ClientReport, LATENESS_MS_MAX, type Measured } from './live-clients.ts';

const WATCHERS = 10_000;
const IDLE_WATCHERS = 2_000;
/** Metering started up to this long ago: past the 15-minute tier of kiosque-paliers for a quarter of them. */
const METERED_SPREAD_MS = 20 * 60_000;
const WARM_UP_MS = 3_000;
/** One ping round of either server falls in every window. */
const WINDOW_MS = LIVE_PING_INTERVAL_MS;
/**
 * Windows per server: the median of five resists a neighbour's burst on a shared machine (with
 * three, the ratio of two runs of the same code differed by up to 30 %).
 */
const WINDOWS = 5;
const CONNECT_CONCURRENCY = 200;
const CAP_MINOR = 3_000n;

interface BenchSession { readonly id: string; readonly token: string; readonly meteringStartedAtMs: number | null }

/** Writes the sessions (with their quotes and consents) in one transaction, as the broker would have left them. */
async function writeSessions(store: Store, sessions: readonly BenchSession[], subscriberId: string, nowMs: number): Promise<void> {
  const offer = await store.getOffer('off_windows_help');
  assert.ok(offer !== null, 'the demo offer');
  await store.transaction(async (tx) => {
    for (const [i, bench] of sessions.entries()) {
      const quoteId = `quo_bench_${i}`;
      await tx.insertQuote({
        id: quoteId, offerId: offer.id, subscriberId, tariffHash: offer.tariffHash, locale: 'fr-FR', announcementText: 'bench',
        announcementHash: 'bench', currency: 'EUR', capAllowedMinor: CAP_MINOR, maxAffordableSeconds: 0, createdAtMs: nowMs - 60_000,
        expiresAtMs: nowMs + 240_000, tokenHash: sha256Hex(`qtk_bench_${i}`),
      });
      const started = bench.meteringStartedAtMs;
      const session: Session = {
        id: bench.id, offerId: offer.id, merchantId: offer.merchantId, subscriberId, quoteId, tariffHash: offer.tariffHash, currency: 'EUR',
        capMinor: CAP_MINOR, reservedMinor: started === null ? null : CAP_MINOR, holdBilled: false, status: started === null ? 'queued' : 'active',
        medium: 'voice', createdAtMs: (started ?? nowMs) - 30_000, meteringStartedAtMs: started, intervals: [], runStartedAtMs: started,
        // Proof of life an hour ahead: heartbeats that keep coming (see the file comment).
        lastUserSeenAtMs: nowMs + 3_600_000, lastAdvisorSeenAtMs: started === null ? null : nowMs + 3_600_000,
        endedAtMs: null, endReason: null, chargeId: null, version: 1,
      };
      const created = await tx.createSession({
        id: `con_bench_${i}`, quoteId, sessionId: bench.id, tariffHash: offer.tariffHash, announcementText: 'bench', announcementHash: 'bench',
        capMinor: CAP_MINOR, currency: 'EUR', channel: 'bench', clientIp: '127.0.0.1', userAgent: 'bench', acceptedAtMs: session.createdAtMs,
      }, session, sha256Hex(bench.token), { type: 'consented', atMs: session.createdAtMs, data: {} });
      assert.ok(created.ok);
    }
  });
}

/** A child process spoken to over IPC, one command and its answer at a time. */
interface Child<C, R> {
  /** Sends the process a command and waits for its answer. */
  readonly ask: (command: C) => Promise<R>;
  /** Sends the last command and waits for the process to exit. */
  readonly stop: (last: C) => Promise<void>;
}

async function startChild<C, R extends { readonly type: string }>(file: string): Promise<Child<C, R>> {
  const child = fork(new URL(file, import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { resolve: (report: R) => void; reject: (error: Error) => void } | null = null;
  child.on('message', (message) => { waiting?.resolve(message as R); });
  child.on('exit', (code) => { waiting?.reject(new Error(`${file} exited (${code ?? 'signal'})`)); });
  const next = (): Promise<R> => new Promise((resolve, reject) => { waiting = { resolve, reject }; });
  assert.equal((await next()).type, 'ready');
  return {
    ask: (command) => {
      const answer = next();
      child.send(command as object);
      return answer;
    },
    stop: async (last) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send(last as object);
      await exited;
    },
  };
}

type Clients = Child<ClientCommand, ClientReport>;

/** The CPU time and worst event-loop delay of one server between `begin` and `end`. */
interface Probe {
  /** Collects the server's garbage (full collections): a window then measures the feed, not the collection of what its watchers' connecting left. */
  settle(): Promise<void>;
  begin(): Promise<void>;
  end(): Promise<{ readonly userUs: number; readonly systemUs: number; readonly loopDelayMaxMs: number }>;
}

/** Palier's server runs in this process: its own CPU. */
function thisProcess(): Probe {
  let started: { cpu: NodeJS.CpuUsage; delay: ReturnType<typeof monitorEventLoopDelay> } | null = null;
  const gc = exposedGc();
  return {
    settle: async () => { await settledMemory(gc); },
    begin: () => {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      started = { cpu: process.cpuUsage(), delay };
      return Promise.resolve();
    },
    end: () => {
      assert.ok(started !== null);
      const cpu = process.cpuUsage(started.cpu);
      started.delay.disable();
      const loopDelayMaxMs = started.delay.max / 1e6;
      started = null;
      return Promise.resolve({ userUs: cpu.user, systemUs: cpu.system, loopDelayMaxMs });
    },
  };
}

/** The bare ws server, in its own process (live-bare-server.ts). */
async function startBare(sessions: readonly BenchSession[]): Promise<{ url: string; probe: Probe; stop: () => Promise<void> }> {
  const child = await startChild<BareCommand, BareReport>('./live-bare-server.ts');
  const started = await child.ask({ type: 'start', sessions: sessions.map(({ id, meteringStartedAtMs }) => ({ id, meteringStartedAtMs })) });
  assert.ok(started.type === 'started');
  return {
    url: started.url,
    probe: {
      settle: async () => { assert.equal((await child.ask({ type: 'settle' })).type, 'settled'); },
      begin: async () => { assert.equal((await child.ask({ type: 'probe-begin' })).type, 'probed'); },
      end: async () => {
        const probed = await child.ask({ type: 'probe-end' });
        assert.ok(probed.type === 'probed');
        return probed;
      },
    },
    stop: () => child.stop({ type: 'stop' }),
  };
}

/** `cpuCore` = `userCore` + `systemCore`: the kernel's share is mostly the sockets' (writev, and loopback delivering to the clients). */
interface Window { readonly cpuCore: number; readonly userCore: number; readonly systemCore: number; readonly measured: Measured; readonly loopDelayMaxMs: number }

/** The CPU of the server `probe` watches over one measuring window of the clients, as a fraction of one core, with its event loop's worst delay. */
async function measureWindow(ask: Clients['ask'], probe: Probe): Promise<Window> {
  await probe.begin();
  const startedMs = performance.now();
  const measured = await ask({ type: 'measure', durationMs: WINDOW_MS });
  const cpu = await probe.end();
  const elapsedMs = performance.now() - startedMs;
  assert.ok(measured.type === 'measured');
  const userCore = cpu.userUs / 1000 / elapsedMs;
  const systemCore = cpu.systemUs / 1000 / elapsedMs;
  return { cpuCore: userCore + systemCore, userCore, systemCore, measured, loopDelayMaxMs: cpu.loopDelayMaxMs };
}

/** The windows of one server: the median CPU, and the lateness of every tick of all of them. */
function summary(windows: readonly Window[]): { cpuCore: number; windows: readonly Window[]; lateness: Lateness } {
  return { cpuCore: median(windows.map((w) => w.cpuCore)), windows, lateness: pooledLateness(windows.map((w) => w.measured)) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Lateness { readonly ticks: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number }

function pooledLateness(measured: readonly Measured[]): Lateness {
  const counts = new Array<number>(LATENESS_MS_MAX + 1).fill(0);
  for (const m of measured) m.latenessCounts.forEach((count, ms) => { counts[ms] = (counts[ms] ?? 0) + count; });
  const ticks = counts.reduce((a, b) => a + b, 0);
  const quantile = (q: number): number => {
    let seen = 0;
    for (const [ms, count] of counts.entries()) {
      seen += count;
      if (seen >= q * ticks) return ms;
    }
    return LATENESS_MS_MAX;
  };
  return { ticks, p50Ms: quantile(0.5), p99Ms: quantile(0.99), maxMs: counts.findLastIndex((c) => c > 0) };
}

function latenessText(lateness: Lateness): string {
  return `p99 ${lateness.p99Ms} ms (p50 ${lateness.p50Ms}, max ${lateness.maxMs}; ${lateness.ticks.toLocaleString('en-US')} ticks)`;
}

/**
 * The same clients on the live server and on the bare one, a window of each in turn, WINDOWS times:
 * a drift of the machine during the run falls on both. Each turn connects the 10,000 watchers anew,
 * collects the server's garbage (10,000 connections authenticated and given their snapshot leave
 * tens of megabytes, whose major collection otherwise lands in a window now and then: 587 samples
 * of V8's helper threads in one second of one window, profiled) and lets them warm up before its
 * window.
 */
async function measureBoth(server: RunningServer, sessions: readonly BenchSession[], clients: Clients): Promise<{ palier: Measurement; bare: Measurement }> {
  const bare = await startBare(sessions);
  const palierProbe = thisProcess();
  const palierWindows: Window[] = [];
  const bareWindows: Window[] = [];
  try {
    const skippedBefore = server.hub.stats.ticksSkipped;
    for (let turn = 0; turn < WINDOWS; turn += 1) {
      for (const side of ['palier', 'bare'] as const) {
        const urls = side === 'palier' ? sessions.map((session) => liveUrl(server, session)) : sessions.map((_, i) => `${bare.url}?i=${i}`);
        const opened = await clients.ask({ type: 'connect', urls, concurrency: CONNECT_CONCURRENCY });
        assert.ok(opened.type === 'connected' && opened.open === WATCHERS, `${side} watchers: ${JSON.stringify(opened)}`);
        if (side === 'palier' && turn === 0) {
          process.stdout.write(`live: ${WATCHERS.toLocaleString('en-US')} watchers authenticated and given their snapshot in ${(opened.elapsedMs / 1000).toFixed(1)} s\n`);
        }
        const probe = side === 'palier' ? palierProbe : bare.probe;
        await probe.settle();
        await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
        const window = await measureWindow(clients.ask, probe);
        (side === 'palier' ? palierWindows : bareWindows).push(window);
        await clients.ask({ type: 'close' });
      }
    }
    assert.equal(server.hub.stats.ticksSkipped, skippedBefore, 'no tick skipped');
  } finally {
    await bare.stop();
  }
  return { palier: summary(palierWindows), bare: summary(bareWindows) };
}

function liveUrl(server: RunningServer, session: BenchSession): string {
  return `${server.url.replace('http', 'ws')}/v1/live?access_token=${session.token}`;
}

/**
 * Memory per idle watcher: the server's heap + external after GC, before and after IDLE_WATCHERS
 * connect to queued sessions (no ticks while waiting).
 */
async function idleWatcherBytes(server: RunningServer, idle: readonly BenchSession[], clients: Clients): Promise<{ heap: number; rss: number }> {
  const gc = exposedGc();
  const before = await settledMemory(gc);
  const opened = await clients.ask({ type: 'connect', urls: idle.map((session) => liveUrl(server, session)), concurrency: CONNECT_CONCURRENCY });
  assert.ok(opened.type === 'connected' && opened.open === IDLE_WATCHERS, `idle watchers: ${JSON.stringify(opened)}`);
  const after = await settledMemory(gc);
  await clients.ask({ type: 'close' });
  return {
    heap: (after.heapUsed + after.external - before.heapUsed - before.external) / IDLE_WATCHERS,
    rss: (after.rss - before.rss) / IDLE_WATCHERS,
  };
}

/** A real server with `sessions` (and their quotes and consents) taken over by its broker, and the watchers' child process. */
async function withLiveServer(sessions: readonly BenchSession[], nowMs: number, run: (server: RunningServer, clients: Clients) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'palier-live-bench-'));
  const setupStartedMs = performance.now();
  const server = await startServer({
    database: { dialect: 'sqlite', path: join(dir, 'palier.sqlite') }, host: '127.0.0.1', port: 0, livenessGraceMs: 3_600_000, logger: pino({ level: 'silent' }),
    beforeStart: async ({ store }) => {
      const seed = await ensureSeeded(store, { nowMs, ids: ulidGenerator(() => Date.now()), msisdnKey: new Uint8Array(32).fill(7), newApiSecret: () => newApiSecret() });
      const subscriber = seed?.subscribers.find((s) => s.label.startsWith('Alice'));
      assert.ok(subscriber !== undefined, 'the demo subscriber');
      await writeSessions(store, sessions, subscriber.id, nowMs);
    },
  });
  const clients: Clients = await startChild<ClientCommand, ClientReport>('./live-clients.ts');
  try {
    assert.equal(server.broker.runningCount, sessions.length, 'every session taken over by the broker');
    process.stdout.write(`live: ${sessions.length.toLocaleString('en-US')} sessions written and taken over in ${((performance.now() - setupStartedMs) / 1000).toFixed(1)} s\n`);
    await run(server, clients);
  } finally {
    await clients.stop({ type: 'exit' });
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Memory per idle watcher, on a server of its own: its forced collections and its 2,000 watchers are not the feed's. */
export async function benchmarkIdleWatcherMemory(): Promise<void> {
  const idle: BenchSession[] = Array.from({ length: IDLE_WATCHERS }, (_, i) => ({ id: `ses_bench_idle_${i}`, token: `ust_bench_${randomBytes(12).toString('hex')}`, meteringStartedAtMs: null }));
  await withLiveServer(idle, Date.now(), async (server, clients) => {
    const memory = await idleWatcherBytes(server, idle, clients);
    report('memory per idle watcher (server heap + external, after GC)', `${(memory.heap / 1024).toFixed(2)} KB (RSS ${(memory.rss / 1024).toFixed(2)} KB)`, '≤ 10 KB', memory.heap <= 10 * 1024);
  });
}

/** The feed: 10,000 watchers at 1 Hz, Palier's windows and the bare server's in turns. */
export async function benchmarkFeed(): Promise<void> {
  const nowMs = Date.now();
  // Ticks at every millisecond of the second (ten sessions each), metering started 0 to 20 minutes ago.
  const sessions: BenchSession[] = Array.from({ length: WATCHERS }, (_, i) => ({
    id: `ses_bench_${i}`, token: `ust_bench_${randomBytes(12).toString('hex')}`,
    meteringStartedAtMs: nowMs - 1000 * Math.floor((i * METERED_SPREAD_MS) / 1000 / WATCHERS) - (i % 1000),
  }));
  await withLiveServer(sessions, nowMs, async (server, clients) => {
    reportFeed(await measureBoth(server, sessions, clients));
  });
}

/** Each in a node process of its own (fresh-process.ts). */
export async function runLiveBenchmarks(): Promise<void> {
  await inFreshProcess('live-memory');
  await inFreshProcess('live-feed');
}

type Measurement = ReturnType<typeof summary>;

function reportFeed({ palier, bare }: { palier: Measurement; bare: Measurement }): void {
  const [first] = palier.windows;
  const [bareFirst] = bare.windows;
  assert.ok(first !== undefined && bareFirst !== undefined);
  const seconds = WINDOW_MS / 1000;
  const perSecond = (value: number): string => Math.round(value / seconds).toLocaleString('en-US');
  process.stdout.write(`live: per ${seconds} s window, Palier sent ${perSecond(first.measured.ticks)} ticks/s (${perSecond(first.measured.bytes / 1024)} KiB/s) to ${first.measured.watchersTicked.toLocaleString('en-US')} watchers; bare ws ${perSecond(bareFirst.measured.ticks)} ticks/s (${perSecond(bareFirst.measured.bytes / 1024)} KiB/s)\n`);
  const cpuText = (w: Window): string => `${(w.cpuCore * 100).toFixed(1)} % (user ${(w.userCore * 100).toFixed(1)}, system ${(w.systemCore * 100).toFixed(1)})`;
  process.stdout.write(`live: CPU per window, Palier ${palier.windows.map(cpuText).join(', ')}; bare ws ${bare.windows.map(cpuText).join(', ')}; worst event-loop delay, Palier ${Math.max(...palier.windows.map((w) => w.loopDelayMaxMs)).toFixed(1)} ms, bare ws ${Math.max(...bare.windows.map((w) => w.loopDelayMaxMs)).toFixed(1)} ms\n`);
  assert.ok(palier.windows.every((w) => w.measured.watchersTicked === WATCHERS && w.measured.ticks >= WATCHERS * (seconds - 1)), 'every watcher ticked every second');
  report(`server CPU, 10,000 watchers at 1 Hz (median of ${WINDOWS} windows)`, `${(palier.cpuCore * 100).toFixed(1)} % of one core`, '≤ 30 %', palier.cpuCore <= 0.3);
  // Each Palier window against the bare server's window right after it: the machine's drift falls on both.
  const ratios = palier.windows.map((w, turn) => w.cpuCore / (bare.windows[turn]?.cpuCore ?? Number.NaN));
  const ratio = median(ratios);
  report(
    'server CPU vs a bare ws server sending the same bytes (same run, median of each turn\'s ratio)',
    `${ratio.toFixed(2)}× (turns ${ratios.map((r) => r.toFixed(2)).join(', ')}; bare median ${(bare.cpuCore * 100).toFixed(1)} %)`, '≤ 1.2×', ratio <= 1.2,
  );
  report('tick delivery lateness', latenessText(palier.lateness), 'p99 ≤ 50 ms', palier.lateness.p99Ms <= 50);
  process.stdout.write(`live: bare ws lateness ${latenessText(bare.lateness)}\n`);
}
