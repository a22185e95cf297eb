/**
 * A development tool, not part of `npm run bench`: what one HTTP request costs the server thread,
 * from a bare node:http server up to a churn flow's quote, on this machine and in the same minutes.
 * It splits a churn flow's CPU (broker-churn.ts) into what any node server pays per request, what
 * express and Palier's middleware add (request id, security headers, log line, metrics), and what
 * the route's own work costs:
 * - `node`: node:http answering a fixed JSON body (the floor: parsing, response, socket write);
 * - `express`: an express app of one route, built with Palier's server options (app.ts);
 * - `express + observe`: the same behind app.ts's first middleware, `observe` (the request id, the
 *   latency histogram, the log line written by pino to /dev/null);
 * - `palier /livez`: Palier's server, a route with no work behind the middleware;
 * - `palier offers`: GET /v1/offers (merchant key: authentication, rate limit, a read);
 * - `palier quote`: POST /v1/quotes (idempotency, eligibility, announcement, a write through the
 *   group commit, its idempotency record).
 * Each kind runs ROUNDS times (1 s warm-up, 3 s counted) with 32 keep-alive connections from a
 * worker thread; the figure is the main thread's CPU (/proc) over the requests answered.
 *
 * @example node --import tsx test/bench/request-cost.ts [rounds, default 2]
 */
import { createServer } from 'node:http';
import express from 'express';
import { expressServerOptions, observe } from '../../src/adapters/http/app.ts';
import { Metrics } from '../../src/adapters/http/metrics.ts';
import { startServer } from '../../src/server.ts';
import { BENCH_OFFER_ID, type BenchWorld, benchLogger, seedBenchWorld, temporarySqlitePath } from './bench-world.ts';
import { bareHttpServer, type HttpLoad, listen, measureThreadCost } from './http-load.ts';

const CONNECTIONS = 32;
const WARMUP_MS = 1_000;
const COUNTED_MS = 3_000;

const logger = benchLogger();

/** An express app of one route, behind `observe` or not. */
function oneRouteApp(observed: boolean): express.Express {
  const app = express();
  if (observed) app.use(observe({ metrics: new Metrics(() => 0), logger }));
  app.get('/livez', (_req, res) => { res.json({ status: 'ok' }); });
  return app;
}

const file = temporarySqlitePath();
const seeded: { world: BenchWorld | null } = { world: null };
const palier = await startServer({
  database: { dialect: 'sqlite', path: file.path }, host: '127.0.0.1', port: 0, logger,
  beforeStart: async ({ store }) => { seeded.world = await seedBenchWorld(store, Date.now() - 86_400_000, { subscribers: 200, merchantKeys: 12 }); },
});
const bare = await bareHttpServer();
const servers = [oneRouteApp(false), oneRouteApp(true)].map((app) => createServer(expressServerOptions(app), app));
try {
  const world = seeded.world;
  if (world === null) throw new Error('the database was not seeded');
  const [expressPort, observedPort] = await Promise.all(servers.map(listen));
  const palierPort = Number(new URL(palier.url).port);
  const common = { keys: [], offerId: BENCH_OFFER_ID, subscriberIds: world.subscriberIds, connections: CONNECTIONS };
  const kinds: { readonly label: string; readonly load: Omit<HttpLoad, 'ms'> }[] = [
    { label: 'node', load: { ...common, port: bare.port, method: 'GET', path: '/livez' } },
    { label: 'express', load: { ...common, port: expressPort ?? 0, method: 'GET', path: '/livez' } },
    { label: 'express + observe', load: { ...common, port: observedPort ?? 0, method: 'GET', path: '/livez' } },
    { label: 'palier /livez', load: { ...common, port: palierPort, method: 'GET', path: '/livez' } },
    { label: 'palier offers', load: { ...common, keys: world.merchantKeys, port: palierPort, method: 'GET', path: '/v1/offers' } },
    { label: 'palier quote', load: { ...common, keys: world.merchantKeys, port: palierPort, method: 'POST', path: '/v1/quotes' } },
  ];
  const rounds = Number.parseInt(process.argv[2] ?? '2', 10);
  for (let round = 1; round <= rounds; round += 1) {
    for (const { label, load } of kinds) {
      const cost = await measureThreadCost(load, WARMUP_MS, COUNTED_MS);
      process.stdout.write(`round ${round}, ${label.padEnd(17)} ${String(Math.round(cost.usPerRequest)).padStart(5)} µs of the server thread a request `
        + `(${Math.round(cost.requestsPerS)} requests/s)\n`);
    }
  }
} finally {
  await Promise.all(servers.map((server) => new Promise((resolve) => { server.close(resolve); })));
  await bare.close();
  await palier.stop();
  file.remove();
}
