/**
 * The demo credentials file: the API key secrets and demo numbers of a seed, written once, for
 * the person running the demo. It is the only place the secrets exist after the seed prints them,
 * so it is readable by its owner only (mode 0600) and lives under the git-ignored data/ folder.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DemoSeed } from '../../app/seed/index.ts';
import { type DatabaseConfig, DEFAULT_SQLITE_PATH } from '../store/index.ts';

/** Beside the SQLite file, or data/demo-credentials.json for PostgreSQL. */
export function demoCredentialsPath(config: DatabaseConfig): string {
  const dir = config.dialect === 'sqlite' && config.path !== ':memory:' ? dirname(config.path) : dirname(DEFAULT_SQLITE_PATH);
  return join(dir, 'demo-credentials.json');
}

/** The file's JSON: what was seeded, where and when, with the secrets. */
export function demoCredentialsJson(seed: DemoSeed, context: { readonly seededAtMs: number; readonly database: string }): string {
  return `${JSON.stringify({
    note: 'Demo credentials of Palier. The API key secrets are stored nowhere else (the database keeps their SHA-256 only). Keep this file private.',
    seededAt: new Date(context.seededAtMs).toISOString(),
    database: context.database,
    apiKeys: seed.apiKeys,
    subscribers: seed.subscribers,
  }, null, 2)}\n`;
}

/**
 * Writes the credentials file with mode 0600. A file left by an earlier seed is removed first, so
 * the new secrets never land in a file whose permissions were widened since.
 */
export function writeDemoCredentialsFile(path: string, seed: DemoSeed, context: { readonly seededAtMs: number; readonly database: string }): void {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  writeFileSync(path, demoCredentialsJson(seed, context), { flag: 'wx', mode: 0o600 });
}
