/**
 * The database a command works on, from the environment (DATABASE_URL selects PostgreSQL,
 * otherwise SQLite at PALIER_SQLITE_PATH or data/palier.sqlite), opened and migrated. Failures
 * become one-line CliErrors (exit 2) that never print DATABASE_URL, which may hold a password.
 */
import type { MigrationResult } from 'kysely';
import { type DatabaseConfig, databaseConfigFromEnv, KyselyStore, migrate, type OpenDatabase, openDatabase } from '../adapters/store/index.ts';
import type { Store } from '../app/ports/index.ts';
import { CliError } from './cli-error.ts';
import type { CliContext } from './context.ts';

/** The first line of an error's message: enough to act on, never a stack. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}

/** Names the database without printing DATABASE_URL. */
export function databaseName(config: DatabaseConfig): string {
  return config.dialect === 'sqlite' ? `SQLite ${config.path}` : 'PostgreSQL (DATABASE_URL)';
}

/** The configured database, or a usage error when DATABASE_URL is not a postgres:// URL. */
export function configuredDatabase(context: CliContext): DatabaseConfig {
  try {
    return databaseConfigFromEnv(context.env ?? process.env);
  } catch (error) {
    throw new CliError(firstLine(error));
  }
}

export interface MigratedDatabase {
  readonly database: OpenDatabase;
  readonly store: Store;
  /** Names of the migrations applied now, in order (empty when the schema was already current). */
  readonly applied: readonly string[];
}

function appliedNames(results: readonly MigrationResult[]): string[] {
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Opens the database (creating the SQLite file and its folder if needed) and brings its schema
 * up to date. The caller closes `database`.
 */
export async function openMigrated(config: DatabaseConfig): Promise<MigratedDatabase> {
  let database: OpenDatabase;
  try {
    database = openDatabase(config);
  } catch (error) {
    throw new CliError(`cannot open ${databaseName(config)}: ${firstLine(error)}`);
  }
  try {
    const applied = appliedNames(await migrate(database.db, database.dialect));
    return { database, store: new KyselyStore(database.db, database.dialect), applied };
  } catch (error) {
    await database.close();
    throw new CliError(`cannot migrate ${databaseName(config)}: ${firstLine(error)}`);
  }
}

/** One line saying what `openMigrated` did. */
export function migrationSummary(config: DatabaseConfig, applied: readonly string[]): string {
  const what = applied.length === 0 ? 'schema already up to date' : `applied ${applied.join(', ')}`;
  return `migrate: ${databaseName(config)}: ${what}\n`;
}
