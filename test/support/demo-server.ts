/**
 * A real Palier for browser tests, as `npm start` runs it but in process: the system clock and
 * the real-time scheduler (a browser cannot be driven by a manual clock), a fresh SQLite file, an
 * ephemeral port, the demo seed, and the demo pages on (`demo: true`). Test code reads the seed's
 * keys and subscriber ids, and can look at the store directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { newApiSecret } from '../../src/adapters/secrets/index.ts';
import { type DemoSeed, ensureSeeded } from '../../src/app/seed/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export interface DemoServer {
  readonly server: RunningServer;
  readonly url: string;
  readonly seed: DemoSeed;
  /** The demo key acting for a carrier or merchant id. */
  key(scopeId: string): string;
  /** The demo subscriber whose label starts with `label` ("Alice", "Bruno", …). */
  subscriber(label: string): string;
  /** GET or POST on the API with a credential; returns the status and the parsed body. */
  call(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startDemoServer(options: { readonly demo?: boolean } = {}): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'palier-web-'));
  const seeding: { seed: DemoSeed | null } = { seed: null };
  const server = await startServer({
    database: { dialect: 'sqlite', path: join(dir, 'palier.sqlite') }, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }),
    demo: options.demo ?? true,
    beforeStart: async ({ store }) => {
      seeding.seed = await ensureSeeded(store, { nowMs: Date.now(), ids: ulidGenerator(), msisdnKey: new Uint8Array(32).fill(7), newApiSecret: () => newApiSecret() });
    },
  });
  const seed = seeding.seed;
  if (seed === null) throw new Error('the demo server database was not empty');
  return {
    server, url: server.url, seed,
    key(scopeId) {
      const found = seed.apiKeys.find((k) => k.scopeId === scopeId);
      if (found === undefined) throw new Error(`no demo key for ${scopeId}`);
      return found.secret;
    },
    subscriber(label) {
      const found = seed.subscribers.find((s) => s.label.startsWith(label));
      if (found === undefined) throw new Error(`no demo subscriber ${label}`);
      return found.id;
    },
    async call(method, path, token, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
