/**
 * `npm start`: the composition root. Opens the embedded SQLite database (or PostgreSQL when
 * DATABASE_URL is set), seeds the demo data on first run, recovers the sessions left open, and
 * serves the API on HOST:PORT (default 127.0.0.1:8080). SIGTERM/SIGINT stop it gracefully.
 */
import { demoCredentialsPath } from './adapters/secrets/index.ts';
import { databaseConfigFromEnv } from './adapters/store/index.ts';
import { seedIfEmpty } from './cli/commands/seed.ts';
import { startServer } from './server.ts';

function fail(message: string): never {
  process.stderr.write(`palier: ${message}\n`);
  process.exit(1);
}

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  if (!/^[0-9]{1,5}$/.test(value) || Number.parseInt(value, 10) > 65_535) fail(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return Number.parseInt(value, 10);
}

let database;
try {
  database = databaseConfigFromEnv();
} catch (error) {
  fail((error as Error).message);
}
const host = process.env['HOST'] ?? '127.0.0.1';
const port = portFromEnv(process.env['PORT']);

const allowedOrigins = (process.env['PALIER_ALLOWED_ORIGINS'] ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');

const server = await startServer({
  database, host, port, allowedOrigins,
  beforeStart: async ({ store }) => {
    await seedIfEmpty(store, { config: database, env: process.env, nowMs: Date.now(), stdout: (text) => process.stdout.write(text) });
  },
}).catch((error: unknown) => fail(error instanceof Error ? error.message.split('\n')[0] ?? 'start failed' : 'start failed'));

process.stdout.write([
  '',
  `Palier is listening on ${server.url}`,
  `  API docs        ${server.url}/docs/api`,
  `  OpenAPI         ${server.url}/openapi.json`,
  `  Health          ${server.url}/livez  ${server.url}/readyz  ${server.url}/metrics`,
  `  Database        ${database.dialect === 'sqlite' ? database.path : 'PostgreSQL (DATABASE_URL)'}`,
  `  Demo credentials ${demoCredentialsPath(database)}`,
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
