/**
 * `npm start`: the composition root. Opens the embedded SQLite database (or PostgreSQL when
 * DATABASE_URL is set), seeds the demo data on first run, recovers the sessions left open, and
 * serves the API on HOST:PORT (default 127.0.0.1:8080; PORT=0 picks a free port). A session whose
 * proof of life stops for PALIER_LIVENESS_GRACE_MS (default 30 s) ends. SIGTERM/SIGINT stop it
 * gracefully.
 */
import { readFileSync } from 'node:fs';
import { demoCredentialsPath } from './adapters/secrets/index.ts';
import { databaseConfigFromEnv } from './adapters/store/index.ts';
import { LIVENESS_GRACE_MS_DEFAULT, LIVENESS_GRACE_MS_MAX, LIVENESS_GRACE_MS_MIN } from './app/limits.ts';
import { seedIfEmpty } from './cli/commands/seed.ts';
import { startServer } from './server.ts';
import { demoLinks } from './web/index.ts';

function fail(message: string): never {
  process.stderr.write(`palier: ${message}\n`);
  process.exit(1);
}

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  if (!/^[0-9]{1,5}$/.test(value) || Number.parseInt(value, 10) > 65_535) fail(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return Number.parseInt(value, 10);
}

/** PALIER_LIVENESS_GRACE_MS: how long proof of life may stop before a session ends (DESIGN.md §1: 30 s by default). */
function livenessGraceFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return LIVENESS_GRACE_MS_DEFAULT;
  const graceMs = /^[0-9]{1,9}$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  if (!(graceMs >= LIVENESS_GRACE_MS_MIN && graceMs <= LIVENESS_GRACE_MS_MAX)) {
    fail(`PALIER_LIVENESS_GRACE_MS must be a whole number of milliseconds from ${LIVENESS_GRACE_MS_MIN} to ${LIVENESS_GRACE_MS_MAX}, got ${JSON.stringify(value)}`);
  }
  return graceMs;
}

let database;
try {
  database = databaseConfigFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const host = process.env['HOST'] ?? '127.0.0.1';
const port = portFromEnv(process.env['PORT']);
const livenessGraceMs = livenessGraceFromEnv(process.env['PALIER_LIVENESS_GRACE_MS']);

// The demo pages and the demo merchant backend (/demo) quote without credentials: PALIER_DEMO=0 turns them off.
const demo = process.env['PALIER_DEMO'] !== '0';

const allowedOrigins = (process.env['PALIER_ALLOWED_ORIGINS'] ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');

const server = await startServer({
  database, host, port, allowedOrigins, livenessGraceMs, demo,
  beforeStart: async ({ store }) => {
    await seedIfEmpty(store, { config: database, env: process.env, nowMs: Date.now(), stdout: (text) => process.stdout.write(text) });
  },
}).catch((error: unknown) => fail(error instanceof Error ? error.message.split('\n')[0] ?? 'start failed' : 'start failed'));

const credentialsPath = demoCredentialsPath(database);

/** The credentials file's text, or null when it is missing or unreadable (it is mode 0600). */
function readCredentials(): string | null {
  try {
    return readFileSync(credentialsPath, 'utf8');
  } catch {
    return null;
  }
}

process.stdout.write([
  '',
  `Palier is listening on ${server.url}`,
  ...(demo ? demoLinks(server.url, readCredentials(), credentialsPath) : []),
  `  API docs        ${server.url}/docs/api`,
  `  OpenAPI         ${server.url}/openapi.json`,
  `  Health          ${server.url}/livez  ${server.url}/readyz  ${server.url}/metrics`,
  `  Database        ${database.dialect === 'sqlite' ? database.path : 'PostgreSQL (DATABASE_URL)'}`,
  `  Demo credentials ${credentialsPath}`,
  '',
].join('\n'));

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'stopping');
    server.stop().then(() => { process.exit(0); }, (error: unknown) => { server.logger.error({ err: error }, 'stop failed'); process.exit(1); });
  });
}
