/**
 * `palier ledger verify`: checks every ledger invariant of the configured database (SQLite at
 * PALIER_SQLITE_PATH or data/palier.sqlite, PostgreSQL when DATABASE_URL is set; read from
 * `context.env`, else the process environment). Exit 0 when everything holds, 1 on any breach, 2
 * when the database cannot be opened or read.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type DatabaseConfig, type LedgerReport, verifyLedger } from '../../adapters/store/index.ts';
import { CliError } from '../cli-error.ts';
import { configuredDatabase, databaseName, firstLine, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

/** Breaches printed by the summary: a terminal's worth; `--json` lists every one. */
const SUMMARY_BREACHES_MAX = 20;

function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/**
 * The human summary of a report: what was checked, then either "every invariant holds" or the
 * first breaches, one per line as `check [ids]: detail`.
 */
export function formatLedgerSummary(report: LedgerReport, database: string): string {
  const { checked } = report;
  const lines = [
    `ledger verify: ${database}`,
    `checked ${plural(checked.journals, 'journal')}, ${plural(checked.postings, 'posting')}, ${plural(checked.balances, 'balance')}, `
      + `${plural(checked.charges, 'charge')}, ${plural(checked.refunds, 'refund')}, ${plural(checked.holds, 'hold')}, ${plural(checked.statements, 'statement')} `
      + `against ${plural(report.checks.length, 'check')}`,
  ];
  if (report.ok) return `${[...lines, 'ok: every invariant holds'].join('\n')}\n`;
  lines.push(`${plural(report.breaches.length, 'breach', 'breaches')}${report.truncatedChecks.length > 0 ? ' (or more)' : ''}:`);
  for (const breach of report.breaches.slice(0, SUMMARY_BREACHES_MAX)) lines.push(`  ${breach.check} [${breach.ids.join(', ')}]: ${breach.detail}`);
  if (report.breaches.length > SUMMARY_BREACHES_MAX) lines.push(`  … ${report.breaches.length - SUMMARY_BREACHES_MAX} more: --json lists them all`);
  if (report.truncatedChecks.length > 0) lines.push(`  listing cut short for: ${report.truncatedChecks.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Opens the database (a missing SQLite file is an error, not a new database), verifies it, closes it. */
async function verifyDatabase(config: DatabaseConfig): Promise<LedgerReport> {
  if (config.dialect === 'sqlite' && config.path !== ':memory:' && !existsSync(config.path)) {
    throw new CliError(`no database at ${config.path} (set PALIER_SQLITE_PATH, or DATABASE_URL for PostgreSQL)`);
  }
  const { database } = await openMigrated(config);
  try {
    return await verifyLedger(database.db, database.dialect);
  } catch (error) {
    throw new CliError(`cannot verify ${databaseName(config)}: ${firstLine(error)}`);
  } finally {
    await database.close();
  }
}

/**
 * Adds `palier ledger verify [--json]`: prints a summary (or, with --json, the full LedgerReport)
 * on stdout; a breach makes it exit 1 with one line on stderr.
 *
 * @example palier ledger verify          # exit 0: "ok: every invariant holds"
 * @example DATABASE_URL=postgres://… palier ledger verify --json
 */
export function registerLedger(program: Command, context: CliContext): void {
  const ledger = program.command('ledger').description('the double-entry ledger');
  ledger
    .command('verify')
    .description('check every ledger invariant of the configured database; exit 0 when all hold, 1 on any breach')
    .option('--json', 'print the full report as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = configuredDatabase(context);
      const report = await verifyDatabase(config);
      context.stdout(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatLedgerSummary(report, databaseName(config)));
      if (!report.ok) throw new CliError(`ledger verify: ${plural(report.breaches.length, 'breach', 'breaches')} found in ${databaseName(config)}`, 1);
    });
}
