/** Runs the migrations of schema/ with kysely's Migrator, on either database. */
import { type Kysely, type Migration, type MigrationResult, Migrator, sql } from 'kysely';
import { MIGRATIONS } from '../../../schema/index.ts';
import type { DialectName } from './database.ts';
import type { Database } from './tables.ts';

function provider(dialect: DialectName): { getMigrations(): Promise<Record<string, Migration>> } {
  return {
    getMigrations: () => Promise.resolve(Object.fromEntries(Object.entries(MIGRATIONS).map(([name, migration]) => [
      name, { up: (db: Kysely<unknown>) => migration.up(db, dialect) } satisfies Migration,
    ]))),
  };
}

/** Brings the schema up to date; returns the migrations applied now (empty when already current). */
export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<readonly MigrationResult[]> {
  // Kysely looks for its migration tables in every PostgreSQL schema unless told which one: with
  // another schema's kysely_migration_lock in the database (parallel test suites, one schema each)
  // it would skip creating its own and then fail to read it. So name the schema the tables go in.
  const schema = dialect === 'postgres'
    ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? null
    : null;
  const migrator = new Migrator({ db, provider: provider(dialect), ...(schema === null ? {} : { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return results ?? [];
}
