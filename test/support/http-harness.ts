/**
 * A real Palier server for HTTP scenario tests: the demo data set on a fresh database, a manual
 * clock, an ephemeral port, real HTTP through fetch. `call()` sends one request and returns the
 * status, headers and parsed body.
 */
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { ManualClock } from '../../src/adapters/clock/index.ts';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { newApiSecret } from '../../src/adapters/secrets/index.ts';
import type { DatabaseConfig } from '../../src/adapters/store/index.ts';
import { type BrokerEvent, feedOf } from '../../src/app/index.ts';
import { type DemoSeed, ensureSeeded } from '../../src/app/seed/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export interface HttpHarness {
  readonly server: RunningServer;
  readonly clock: ManualClock;
  readonly seed: DemoSeed;
  readonly events: BrokerEvent[];
  /** The demo key acting for a carrier or merchant id. */
  key(scopeId: string): string;
  /** The demo subscriber with this label prefix ("Alice", "Bruno", …). */
  subscriber(label: string): string;
  call(method: 'GET' | 'POST', path: string, options?: CallOptions): Promise<CallResult>;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Raw body text (sent as is), for malformed-input tests. */
  readonly rawBody?: string;
  /** An Idempotency-Key; by default a fresh one for POST (null sends none). */
  readonly idempotencyKey?: string | null;
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

/** Server options a test may set besides the database, the start instant and the liveness grace. */
export interface HarnessOptions {
  /** Live feed WebSocket ping period, in real milliseconds (the server's default otherwise). */
  readonly livePingIntervalMs?: number;
  /** Browser origins allowed on the live feed besides the server's own. */
  readonly allowedOrigins?: readonly string[];
  /** The server's logger (silent by default); createLogger() with a destination captures what the server logs. */
  readonly logger?: Logger;
}

export async function startHarness(database: DatabaseConfig, startMs: number, livenessGraceMs = 30_000, options: HarnessOptions = {}): Promise<HttpHarness> {
  const clock = new ManualClock(startMs);
  const events: BrokerEvent[] = [];
  const seeding: { seed: DemoSeed | null } = { seed: null };
  const server = await startServer({
    database, host: '127.0.0.1', port: 0, livenessGraceMs, logger: pino({ level: 'silent' }), ...options,
    time: { clock, scheduler: clock, track: (work) => { clock.track(work); } },
    feeds: [feedOf((event) => { events.push(event); })],
    beforeStart: async ({ store }) => {
      seeding.seed = await ensureSeeded(store, { nowMs: startMs, ids: ulidGenerator(() => clock.nowMs()), msisdnKey: new Uint8Array(32).fill(7), newApiSecret: () => newApiSecret() });
    },
  });
  const seeded = seeding.seed;
  if (seeded === null) throw new Error('the harness database was not empty');
  const harness: HttpHarness = {
    server, clock, seed: seeded, events,
    key: (scopeId) => {
      const found = seeded.apiKeys.find((k) => k.scopeId === scopeId);
      if (found === undefined) throw new Error(`no demo key for ${scopeId}`);
      return found.secret;
    },
    subscriber: (label) => {
      const found = seeded.subscribers.find((s) => s.label.startsWith(label));
      if (found === undefined) throw new Error(`no demo subscriber ${label}`);
      return found.id;
    },
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const key = options.idempotencyKey === undefined ? (method === 'POST' ? randomUUID() : null) : options.idempotencyKey;
      if (key !== null) headers['idempotency-key'] = key;
      const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown;
      try { parsed = text === '' ? null : JSON.parse(text); } catch { parsed = null; }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
  return harness;
}
