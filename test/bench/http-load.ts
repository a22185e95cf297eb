/**
 * A closed-loop HTTP load from a worker thread, and the machine's floor: what a bare node:http
 * server's thread spends on one request. Figures of one machine are not those of another (the
 * churn's server thread took 1.9–2.7 ms a flow on one machine of this kind, 3.6–4.8 ms on a slower
 * one), so the churn benchmark prints the floor measured in its own process beside its own figure.
 */
import { createServer, type Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import { mainThreadCpuMs } from './thread-cpu.ts';

export interface HttpLoad {
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Bearer keys, taken in turn; none: no Authorization header. */
  readonly keys: readonly string[];
  /** A POST's body is a quote request for this offer and one of these subscribers, with a fresh Idempotency-Key. */
  readonly offerId: string;
  readonly subscriberIds: readonly string[];
  readonly connections: number;
  readonly ms: number;
}

// Plain CommonJS evaluated in the worker, as churn-clients.ts (tsx's loader does not reach workers on Node 20).
const WORKER_SOURCE = String.raw`
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { parentPort, workerData: load } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true, maxSockets: load.connections });
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
Promise.all(Array.from({ length: load.connections }, connection)).then(
  () => { agent.destroy(); parentPort.postMessage({ answered }); },
  (error) => { parentPort.postMessage({ error: String(error) }); },
);
`;

/** Runs `load` to its end; resolves with the number of requests answered. */
export function runHttpLoad(load: HttpLoad): Promise<number> {
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

export interface ThreadCost {
  /** The server thread's CPU a request, in µs. */
  readonly usPerRequest: number;
  readonly requestsPerS: number;
}

/**
 * The server thread's CPU a request under `load` after a warm-up of `warmupMs` (this process's main
 * thread: the server must run on it).
 */
export async function measureThreadCost(load: Omit<HttpLoad, 'ms'>, warmupMs: number, countedMs: number): Promise<ThreadCost> {
  await runHttpLoad({ ...load, ms: warmupMs });
  const before = mainThreadCpuMs();
  const answered = await runHttpLoad({ ...load, ms: countedMs });
  const after = mainThreadCpuMs();
  if (before === null || after === null) throw new Error('the thread CPU time is read from /proc (Linux only)');
  return { usPerRequest: ((after - before) * 1000) / answered, requestsPerS: (answered * 1000) / countedMs };
}

/** Starts `server` on a free port of 127.0.0.1; resolves with the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => { resolve((server.address() as { port: number }).port); });
  });
}

/** A node:http server answering every request with a fixed JSON body: the floor of any HTTP server on node. */
export async function bareHttpServer(): Promise<{ readonly port: number; readonly close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end('{"status":"ok"}');
  });
  const port = await listen(server);
  return { port, close: () => new Promise((resolve) => { server.close(() => { resolve(); }); }) };
}

/** This machine's floor: a bare node:http server's thread CPU a GET, 32 keep-alive connections, 1 s warm-up and 3 s counted. */
export async function measureHttpFloor(): Promise<ThreadCost> {
  const bare = await bareHttpServer();
  try {
    return await measureThreadCost({ port: bare.port, method: 'GET', path: '/', keys: [], offerId: '', subscriberIds: [], connections: 32 }, 1_000, 3_000);
  } finally {
    await bare.close();
  }
}
