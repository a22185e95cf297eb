/**
 * A development tool, not part of `npm run bench`: what one HTTP request costs the server thread,
 * from a bare node:http server up to a churn flow's quote, on this machine and in the same minutes.
 * It splits a churn flow's CPU (broker-churn.ts) into what any node server pays per request, what
 * express and Palier's middleware add (request id, security headers, log line, metrics), and what
 * the route's own work costs:
 * - `node`: node:http answering a fixed JSON body (the floor: parsing, response, socket write);
 * - `node + log`: the same with Palier's request log line (pino, to /dev/null) and latency histogram;
 * - `express`: an express app of one route, built with Palier's server options (app.ts);
 * - `palier /livez`: Palier's server, a route with no work behind the middleware;
 * - `palier offers`: GET /v1/offers (merchant key: authentication, rate limit, a read);
 * - `palier quote`: POST /v1/quotes (idempotency, eligibility, announcement, a write through the
 *   group commit, its idempotency record).
 * Each kind runs ROUNDS times (1 s warm-up, 3 s counted) with 32 keep-alive connections from a
 * worker thread; the figure is the main thread's CPU (/proc) over the requests answered.
 *
 * @example node --import tsx test/bench/request-cost.ts [rounds, default 2]
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import express from 'express';
import pino from 'pino';
import { expressServerOptions } from '../../src/adapters/http/app.ts';
import { Metrics } from '../../src/adapters/http/metrics.ts';
import { startServer } from '../../src/server.ts';
import { BENCH_OFFER_ID, type BenchWorld, seedBenchWorld, temporarySqlitePath } from './bench-world.ts';
import { mainThreadCpuMs } from './thread-cpu.ts';

const CONNECTIONS = 32;
const WARMUP_MS = 1_000;
const COUNTED_MS = 3_000;

interface Load {
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Bearer keys, taken in turn; a POST gets a fresh Idempotency-Key and a quote body. */
  readonly keys: readonly string[];
  readonly offerId: string;
  readonly subscriberIds: readonly string[];
  readonly ms: number;
}

// Plain CommonJS evaluated in the worker, as churn-clients.ts (tsx's loader does not reach workers on Node 20).
const WORKER_SOURCE = String.raw`
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { parentPort, workerData: load } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true, maxSockets: ${CONNECTIONS} });
const end = performance.now() + load.ms;
let answered = 0, sent = 0;
function one() {
  const index = sent++;
  const body = load.method === 'POST' ? JSON.stringify({ offerId: load.offerId, subscriberId: load.subscriberIds[index % load.subscriberIds.length], locale: 'fr-FR' }) : '';
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (load.keys.length > 0) headers.authorization = 'Bearer ' + load.keys[index % load.keys.length];
  if (load.method === 'POST') headers['idempotency-key'] = randomUUID();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: load.port, method: load.method, path: load.path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => { answered += 1; resolve(res.statusCode); });
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function connection() {
  while (performance.now() < end) {
    const status = await one();
    if (status >= 300) throw new Error(load.method + ' ' + load.path + ' answered ' + status);
  }
}
Promise.all(Array.from({ length: ${CONNECTIONS} }, connection)).then(
  () => { agent.destroy(); parentPort.postMessage({ answered }); },
  (error) => { parentPort.postMessage({ error: String(error) }); },
);
`;

function runLoad(load: Load): Promise<number> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: load });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { answered: number } | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(message.error));
      else resolve(message.answered);
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => { resolve((server.address() as { port: number }).port); });
  });
}

const JSON_BODY = '{"status":"ok"}';
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
const metrics = new Metrics(() => 0);

const bare: RequestListener = (_req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON_BODY);
};
/** What app.ts's `observe` adds to each request: a latency histogram and a log line. */
const logged: RequestListener = (req, res) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.requestSeconds.observe({ method: req.method ?? 'GET', route: '/livez', status: String(res.statusCode) }, seconds);
    logger.info({ requestId: 'req', method: req.method, route: '/livez', status: res.statusCode, durationMs: Math.round(seconds * 1e6) / 1e3, principal: null }, 'request');
  });
  bare(req, res);
};
const oneRouteApp = express();
oneRouteApp.get('/livez', (_req, res) => { res.json({ status: 'ok' }); });

const file = temporarySqlitePath();
const seeded: { world: BenchWorld | null } = { world: null };
const palier = await startServer({
  database: { dialect: 'sqlite', path: file.path }, host: '127.0.0.1', port: 0, logger,
  beforeStart: async ({ store }) => { seeded.world = await seedBenchWorld(store, Date.now() - 86_400_000, { subscribers: 200, merchantKeys: 12 }); },
});
const servers = [createServer(bare), createServer(logged), createServer(expressServerOptions(oneRouteApp), oneRouteApp)];
try {
  const world = seeded.world;
  if (world === null) throw new Error('the database was not seeded');
  const [nodePort, loggedPort, expressPort] = await Promise.all(servers.map(listen));
  const palierPort = Number(new URL(palier.url).port);
  const common = { keys: [], offerId: BENCH_OFFER_ID, subscriberIds: world.subscriberIds };
  const kinds: { readonly label: string; readonly load: Omit<Load, 'ms'> }[] = [
    { label: 'node', load: { ...common, port: nodePort ?? 0, method: 'GET', path: '/livez' } },
    { label: 'node + log', load: { ...common, port: loggedPort ?? 0, method: 'GET', path: '/livez' } },
    { label: 'express', load: { ...common, port: expressPort ?? 0, method: 'GET', path: '/livez' } },
    { label: 'palier /livez', load: { ...common, port: palierPort, method: 'GET', path: '/livez' } },
    { label: 'palier offers', load: { ...common, keys: world.merchantKeys, port: palierPort, method: 'GET', path: '/v1/offers' } },
    { label: 'palier quote', load: { ...common, keys: world.merchantKeys, port: palierPort, method: 'POST', path: '/v1/quotes' } },
  ];
  const rounds = Number.parseInt(process.argv[2] ?? '2', 10);
  for (let round = 1; round <= rounds; round += 1) {
    for (const { label, load } of kinds) {
      await runLoad({ ...load, ms: WARMUP_MS });
      const before = mainThreadCpuMs();
      const answered = await runLoad({ ...load, ms: COUNTED_MS });
      const after = mainThreadCpuMs();
      if (before === null || after === null) throw new Error('the thread CPU time is read from /proc (Linux only)');
      process.stdout.write(`round ${round}, ${label.padEnd(14)} ${String(Math.round(((after - before) * 1000) / answered)).padStart(5)} µs of the server thread a request `
        + `(${Math.round((answered * 1000) / COUNTED_MS)} requests/s)\n`);
    }
  }
} finally {
  await Promise.all(servers.map((server) => new Promise((resolve) => { server.close(resolve); })));
  await palier.stop();
  file.remove();
}
