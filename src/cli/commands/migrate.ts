/**
 * `palier migrate`: brings the configured database's schema up to date (SQLite at
 * PALIER_SQLITE_PATH or data/palier.sqlite, created if missing; PostgreSQL when DATABASE_URL is
 * set) and prints the migrations it applied. Running it again applies nothing.
 */
import type { Command } from 'commander';
import { configuredDatabase, migrationSummary, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

export function registerMigrate(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('create or update the schema of the configured database (DATABASE_URL, or SQLite at PALIER_SQLITE_PATH)')
    .action(async () => {
      const config = configuredDatabase(context);
      const { database, applied } = await openMigrated(config);
      await database.close();
      context.stdout(migrationSummary(config, applied));
    });
}
