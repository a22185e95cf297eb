/**
 * `palier seed`: migrates the configured database and, when it is empty, loads the demo data set
 * (fixtures/demo): carriers, subscribers, merchants, offers, agreements and demo API keys. The
 * API key secrets are printed once and written to demo-credentials.json (mode 0600) beside the
 * SQLite file, or under data/ for PostgreSQL. A database that already holds data is left alone.
 */
import type { Command } from 'commander';
import { ulidGenerator } from '../../adapters/ids.ts';
import {
  demoCredentialsPath, type MsisdnKey, msisdnKeyFilePath, newApiSecret, resolveMsisdnKey, writeDemoCredentialsFile,
} from '../../adapters/secrets/index.ts';
import type { DatabaseConfig } from '../../adapters/store/index.ts';
import type { IdGenerator, Store } from '../../app/ports/index.ts';
import { type DemoSeed, ensureSeeded, isDatabaseEmpty } from '../../app/seed/index.ts';
import { CliError } from '../cli-error.ts';
import { configuredDatabase, databaseName, migrationSummary, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

export interface SeedIfEmptyOptions {
  readonly config: DatabaseConfig;
  /** Where PALIER_MSISDN_KEY is read from. */
  readonly env: NodeJS.ProcessEnv;
  readonly nowMs: number;
  readonly stdout: (text: string) => void;
  /** Ids for the new records; time-ordered ULIDs by default. */
  readonly ids?: IdGenerator;
}

export interface SeedOutcome {
  readonly seed: DemoSeed;
  /** Where the credentials file was written. */
  readonly credentialsPath: string;
  readonly msisdnKey: MsisdnKey;
}

/** The MSISDN key for seeding, or a usage error (exit 2) saying what to fix. */
function msisdnKeyFor(config: DatabaseConfig, env: NodeJS.ProcessEnv): MsisdnKey {
  const resolved = resolveMsisdnKey({ env, keyFilePath: msisdnKeyFilePath(config) });
  if (!resolved.ok) throw new CliError(resolved.error.message);
  return resolved.value;
}

/** Columns padded to their widest cell, two spaces apart. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => { widths[index] = Math.max(widths[index] ?? 0, cell.length); });
  return rows.map((row) => `  ${row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ')}`);
}

/** What `palier seed` prints after seeding: counts, the key file if new, the credentials once. */
export function formatDemoSeed(outcome: SeedOutcome): string {
  const { counts } = outcome.seed;
  const lines = [
    `seed: ${counts.carriers} carriers, ${counts.subscribers} subscribers, ${counts.merchants} merchants, ${counts.offers} offers `
      + `(${counts.tariffs} tariff versions), ${counts.agreements} agreements, ${counts.apiKeys} API keys`,
  ];
  if (outcome.msisdnKey.source === 'file_created') {
    lines.push(`created the MSISDN key file ${outcome.msisdnKey.path ?? ''}: back it up with the database (without it no stored subscriber can be found by number)`);
  }
  lines.push('', `Demo API keys (shown once; also in ${outcome.credentialsPath}, mode 0600):`);
  lines.push(...table(outcome.seed.apiKeys.map((key) => [key.role, key.scopeId, key.label, key.secret])));
  lines.push('', 'Demo subscribers (stored as keyed HMACs of their numbers only):');
  lines.push(...table(outcome.seed.subscribers.map((s) => [s.msisdn, s.id, s.billingCarrierId, s.status, s.label])));
  return `${lines.join('\n')}\n`;
}

/**
 * Seeds the demo when the database is empty: resolves the MSISDN key (PALIER_MSISDN_KEY, or the
 * key file beside the SQLite database), seeds, writes the credentials file and prints them.
 * Returns null, printing nothing, when the database already holds data. The server start calls
 * it after opening its store.
 */
export async function seedIfEmpty(store: Store, options: SeedIfEmptyOptions): Promise<SeedOutcome | null> {
  // Checked before the key is resolved, so a seeded database never gets a key file it does not use.
  if (!(await isDatabaseEmpty(store))) return null;
  const msisdnKey = msisdnKeyFor(options.config, options.env);
  const seed = await ensureSeeded(store, { nowMs: options.nowMs, ids: options.ids ?? ulidGenerator(), msisdnKey: msisdnKey.key, newApiSecret: () => newApiSecret() });
  if (seed === null) return null;
  const credentialsPath = demoCredentialsPath(options.config);
  writeDemoCredentialsFile(credentialsPath, seed, { seededAtMs: options.nowMs, database: databaseName(options.config) });
  const outcome = { seed, credentialsPath, msisdnKey };
  options.stdout(formatDemoSeed(outcome));
  return outcome;
}

export function registerSeed(program: Command, context: CliContext): void {
  program
    .command('seed')
    .description('migrate the configured database and, when it is empty, load the demo data set and print demo API keys')
    .action(async () => {
      const config = configuredDatabase(context);
      const { database, store, applied } = await openMigrated(config);
      try {
        context.stdout(migrationSummary(config, applied));
        const outcome = await seedIfEmpty(store, { config, env: context.env ?? process.env, nowMs: context.nowMs(), stdout: context.stdout });
        if (outcome === null) {
          context.stdout(`seed: ${databaseName(config)} already holds data: nothing seeded (a seed writes its credentials to ${demoCredentialsPath(config)})\n`);
        }
      } finally {
        await database.close();
      }
    });
}
