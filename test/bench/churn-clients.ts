/**
 * The HTTP load of the churn benchmark, in a worker thread (its own event loop, so the server's
 * loop is measured alone): simulated users, each running full flows one after another — quote
 * (merchant key) → consent (quote token) → connect (merchant key) → a short metered wait → end
 * (user token) — over keep-alive connections, every POST with its own Idempotency-Key.
 *
 * The worker's code is plain CommonJS evaluated in the thread: tsx's loader does not reach worker
 * threads on Node 20, and this keeps the benchmark to `node --import tsx`.
 */
import { Worker } from 'node:worker_threads';

export interface ChurnLoad {
  readonly url: string;
  readonly offerId: string;
  readonly merchantKeys: readonly string[];
  readonly subscriberIds: readonly string[];
  /** Flows running at once (each user starts the next flow when one ends). */
  readonly users: number;
  /** Keep-alive connections to the server. */
  readonly connections: number;
  /** The consented cap, e.g. "1.00". */
  readonly cap: string;
  /** Time between connect and end: at least a second, so that every session is billed. */
  readonly meteredMs: number;
  /** Flows ending during the warm-up are not counted in the rate. */
  readonly warmupMs: number;
  /** The counted window; no flow starts after it, and the ones running then are finished. */
  readonly windowMs: number;
}

export interface ChurnResult {
  readonly started: number;
  readonly completed: number;
  readonly completedInWindow: number;
  readonly windowMs: number;
  readonly charged: number;
  /** Sum of the end responses' amounts, in cents. */
  readonly billedMinor: bigint;
  /** Failed steps by "step status code". */
  readonly failures: Readonly<Record<string, number>>;
  /** Request latency in ms, per step: [p50, p99, max]. */
  readonly latencyMs: Readonly<Record<string, readonly [number, number, number]>>;
  /** Flow duration (quote to end response) in ms, metered wait included: [p50, p99, max]. */
  readonly flowMs: readonly [number, number, number];
}

const WORKER_SOURCE = String.raw`
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { parentPort, workerData: load } = require('node:worker_threads');
const target = new URL(load.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: load.connections });
const latencies = { quote: [], consent: [], connect: [], end: [] };
const failures = {};
const flowMs = [];
let started = 0, completed = 0, completedInWindow = 0, charged = 0, billedMinor = 0n;

function call(step, method, path, token, body) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const headers = { authorization: 'Bearer ' + token, 'idempotency-key': randomUUID(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  const begin = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        latencies[step].push(performance.now() - begin);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, body: text === '' ? null : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function fail(step, response) {
  const key = step + ' ' + response.status + ' ' + (response.body && response.body.code || '');
  failures[key] = (failures[key] || 0) + 1;
  return false;
}

// Amounts are decimal strings with two decimals ("0.34"): read as whole cents, never as a float.
function cents(amount) {
  const [units, fraction = ''] = amount.split('.');
  return BigInt(units + fraction.padEnd(2, '0'));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flow(index, windowStart, windowEnd) {
  const begin = performance.now();
  const merchant = load.merchantKeys[index % load.merchantKeys.length];
  const subscriberId = load.subscriberIds[index % load.subscriberIds.length];
  const quote = await call('quote', 'POST', '/v1/quotes', merchant, { offerId: load.offerId, subscriberId, locale: 'fr-FR' });
  if (quote.status !== 201) return fail('quote', quote);
  const consent = await call('consent', 'POST', '/v1/sessions', quote.body.quoteToken,
    { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: load.cap, accepted: true });
  if (consent.status !== 201) return fail('consent', consent);
  const connect = await call('connect', 'POST', '/v1/sessions/' + consent.body.id + '/connect', merchant);
  if (connect.status !== 200) return fail('connect', connect);
  await sleep(load.meteredMs);
  const end = await call('end', 'POST', '/v1/sessions/' + consent.body.id + '/end', consent.body.userToken);
  if (end.status !== 200 || end.body.status !== 'rated') return fail('end', end);
  completed += 1;
  const now = performance.now();
  if (now >= windowStart && now < windowEnd) completedInWindow += 1;
  if (end.body.chargeId !== null) charged += 1;
  billedMinor += cents(end.body.amount);
  flowMs.push(performance.now() - begin);
  return true;
}

function summary(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  const at = (p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] || 0;
  return [at(0.5), at(0.99), sorted[sorted.length - 1] || 0];
}

async function main() {
  const begin = performance.now();
  const windowStart = begin + load.warmupMs;
  const windowEnd = windowStart + load.windowMs;
  let next = 0;
  const user = async (offset) => {
    // Users start spread over the first metered wait, so that the flows do not march in step.
    await sleep((offset * load.meteredMs) / load.users);
    while (performance.now() < windowEnd) {
      started += 1;
      await flow(next++, windowStart, windowEnd);
    }
  };
  await Promise.all(Array.from({ length: load.users }, (_, i) => user(i)));
  const windowMs = Math.min(performance.now(), windowEnd) - windowStart;
  agent.destroy();
  const latencyMs = Object.fromEntries(Object.entries(latencies).map(([step, values]) => [step, summary(values)]));
  parentPort.postMessage({ started, completed, completedInWindow, windowMs, charged, billedMinor, failures, latencyMs, flowMs: summary(flowMs) });
}

main().catch((error) => { parentPort.postMessage({ error: String(error && error.stack || error) }); });
`;

/** Runs the load in a worker thread and resolves with what the clients saw. */
export function runChurnClients(load: ChurnLoad): Promise<ChurnResult> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: load });
  return new Promise<ChurnResult>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: ChurnResult | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(`churn clients: ${message.error}`));
      else resolve(message);
    });
  });
}
