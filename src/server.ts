/**
 * The Palier server, assembled: storage (SQLite by default, PostgreSQL by DATABASE_URL), the
 * session broker on the shared real-time scheduler, the HTTP API. Used by `npm start` (main.ts)
 * and by tests that start a real server.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import { type Clock, feedOfAll, IdempotencyPurge, type LiveFeed, type Scheduler, SessionBroker } from './app/index.ts';
import { RealtimeScheduler, SystemClock } from './adapters/clock/index.ts';
import { createApp, expressServerOptions, Metrics } from './adapters/http/index.ts';
import { Authenticator } from './adapters/http/principal.ts';
import { attachLiveServer, LiveHub, originAllowlist } from './adapters/live/index.ts';
import { SHUTDOWN_GRACE_MS } from './adapters/http/limits.ts';
import { ulidGenerator } from './adapters/ids.ts';
import { randomSecrets } from './adapters/secrets/index.ts';
import { type DatabaseConfig, openStore, type OpenStore } from './adapters/store/index.ts';
import { LIVENESS_GRACE_MS_DEFAULT } from './app/limits.ts';
import { mountWeb } from './web/index.ts';

export interface ServerOptions {
  readonly database: DatabaseConfig;
  readonly host: string;
  readonly port: number;
  readonly livenessGraceMs?: number;
  /** The logger (createLogger() by default: JSON lines on stdout, secrets redacted). */
  readonly logger?: Logger;
  /** Published broker events also go here (tests, metrics). */
  readonly feeds?: readonly LiveFeed[];
  /** Browser origins allowed to open the live feed besides the server's own (PALIER_ALLOWED_ORIGINS). */
  readonly allowedOrigins?: readonly string[];
  /** Live feed WebSocket ping period in real milliseconds (LIVE_PING_INTERVAL_MS by default; tests shorten it). */
  readonly livePingIntervalMs?: number;
  /**
   * Time: the system clock and a real-time scheduler by default; tests pass a manual clock (with
   * `track`, so that advancing time waits for the work timers start).
   */
  readonly time?: { readonly clock: Clock; readonly scheduler: Scheduler; readonly track?: (work: Promise<unknown>) => void };
  /** Runs once the database is migrated, before sessions are recovered (the demo seed). */
  readonly beforeStart?: (storage: OpenStore) => Promise<void>;
  /**
   * Serve the demo merchant page, the advisor console and the demo merchant backend under /demo
   * (docs/widget.md). Off by default: the demo backend quotes without credentials.
   */
  readonly demo?: boolean;
}

/**
 * Where secrets could sit in a log record, whoever logs it: credentials in headers, and the
 * tokens and keys of request or response bodies. pino replaces them with "[Redacted]".
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'secret', '*.secret', 'token', '*.token', 'apiKey', '*.apiKey', 'userToken', '*.userToken', 'quoteToken', '*.quoteToken',
];

/**
 * The server's logger: JSON lines (pino) with secrets redacted, at LOG_LEVEL (info by default),
 * to stdout or to `destination`.
 */
export function createLogger(options: { readonly level?: string; readonly destination?: DestinationStream } = {}): Logger {
  const settings = { level: options.level ?? process.env['LOG_LEVEL'] ?? 'info', redact: [...LOG_REDACT_PATHS] };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

export interface RunningServer {
  readonly url: string;
  readonly broker: SessionBroker;
  readonly storage: OpenStore;
  readonly hub: LiveHub;
  readonly http: Server;
  readonly logger: Logger;
  /** Graceful stop: refuse new connections, finish requests in flight, keep sessions for the next start. */
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger();
  let metrics: Metrics | null = null;
  const storage = await openStore(options.database, {
    backgroundCheckpoints: true,
    onCheckpointError: (error) => { logger.error({ err: error }, 'the WAL could not be started over: writes were not held for a checkpoint'); },
    onWalHold: (seconds) => { metrics?.walHoldSeconds.observe(seconds); },
  });
  await options.beforeStart?.(storage);
  const clock = options.time?.clock ?? new SystemClock();
  const realtime = options.time === undefined ? new RealtimeScheduler(clock, (latenessMs) => metrics?.timerLatenessSeconds.observe(latenessMs / 1000)) : null;
  const scheduler = options.time?.scheduler ?? realtime ?? new RealtimeScheduler(clock);
  const hub = new LiveHub();
  const feeds = feedOfAll([hub, ...(options.feeds ?? [])]);
  const background = (work: Promise<unknown>): void => {
    options.time?.track?.(work);
    work.catch((error: unknown) => { logger.error({ err: error }, 'background work failed'); });
  };
  const broker = new SessionBroker({
    store: storage.store, clock, scheduler, ids: ulidGenerator(() => clock.nowMs()), secrets: randomSecrets,
    feed: { publish: (event) => { metrics?.observe(event); feeds.publish(event); }, ticksOf: (session) => feeds.ticksOf(session) },
    background,
    config: { livenessGraceMs: options.livenessGraceMs ?? LIVENESS_GRACE_MS_DEFAULT },
  });
  metrics = new Metrics(() => broker.runningCount);
  let ready = false;
  // One authenticator for the API and the live feed: the user token a consent hands out is known
  // to both when the widget first uses it.
  const authenticator = new Authenticator(storage.store);
  const app = createApp({
    broker, store: storage.store, clock, logger, metrics, ready: () => ready, authenticator,
    extra: (express) => { mountWeb(express, { broker, store: storage.store, nowMs: () => clock.nowMs(), demo: options.demo ?? false }); },
  });
  const recovered = await broker.start();
  logger.info(recovered, 'sessions recovered');
  const purge = new IdempotencyPurge({
    store: storage.store, clock, scheduler, background,
    purged: (count) => { if (count > 0) logger.info({ count }, 'idempotency records purged'); },
  });
  purge.start();
  const http = createServer(expressServerOptions(app), app);
  const stopLive = attachLiveServer(http, {
    broker, store: storage.store, clock, hub, authenticator, allowedOrigins: originAllowlist(options.allowedOrigins ?? []),
    onError: (error) => { logger.error({ err: error }, 'live feed: a connection failed'); },
    ...(options.livePingIntervalMs === undefined ? {} : { pingIntervalMs: options.livePingIntervalMs }),
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => { resolve(); });
  });
  ready = true;
  const address = http.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
  return {
    url, broker, storage, hub, http, logger,
    async stop() {
      ready = false;
      stopLive();
      const closed = new Promise<void>((resolve) => { http.close(() => { resolve(); }); });
      http.closeIdleConnections();
      const timeout = setTimeout(() => { http.closeAllConnections(); }, SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(timeout);
      await purge.stop();
      await broker.shutdown();
      realtime?.stop();
      await storage.close();
    },
  };
}
