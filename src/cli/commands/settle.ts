/**
 * `palier settle --period YYYY-MM [--carrier ID] [--close] [--format json|csv] [--bom] [--out FILE]`:
 * settles a period of the configured database (docs/settlement.md): a draft, or with --close the
 * locked statements. Prints the run as JSON (exactly the bytes the API serves) or CSV, on stdout
 * or into FILE. --carrier keeps what that carrier is a party to, as its operator sees it over the
 * API. Exit 0; 1 on a refusal (period not over, ledger mismatch), with one line on stderr; 2 on
 * bad usage or a database that cannot be opened.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { KyselyStore } from '../../adapters/store/index.ts';
import { reportCsvFor, reportJsonFor, type ReportViewer, statementsFor } from '../../app/settlement/report-view.ts';
import { type SettlementReport, settlePeriod } from '../../app/settlement/settle-period.ts';
import { CliError } from '../cli-error.ts';
import { configuredDatabase, databaseName, firstLine, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

interface SettleOptions {
  readonly period: string;
  readonly carrier?: string;
  readonly close?: boolean;
  readonly format: 'json' | 'csv';
  readonly bom?: boolean;
  readonly out?: string;
}

/** Settles with the configured database open, then closes it. */
async function settle(context: CliContext, options: SettleOptions): Promise<{ report: SettlementReport; viewer: ReportViewer }> {
  const config = configuredDatabase(context);
  if (config.dialect === 'sqlite' && config.path !== ':memory:' && !existsSync(config.path)) {
    throw new CliError(`no database at ${config.path} (set PALIER_SQLITE_PATH, or DATABASE_URL for PostgreSQL)`);
  }
  const { database } = await openMigrated(config);
  try {
    // With the SQLite file named, the aggregates run on a worker thread's own read connection.
    const store = new KyselyStore(database.db, database.dialect, false, config.dialect === 'sqlite' && config.path !== ':memory:' ? config.path : null);
    if (options.carrier !== undefined && (await store.getCarrier(options.carrier)) === null) throw new CliError(`--carrier: no carrier ${options.carrier} in ${databaseName(config)}`);
    const result = await settlePeriod({ store, clock: { nowMs: context.nowMs } }, { period: options.period, close: options.close === true });
    if (!result.ok) throw new CliError(`settle ${options.period}: ${result.error.code}: ${result.error.detail}`, result.error.code === 'period_invalid' ? 2 : 1);
    return { report: result.value, viewer: options.carrier === undefined ? null : { carrierId: options.carrier } };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot settle in ${databaseName(config)}: ${firstLine(error)}`);
  } finally {
    await database.close();
  }
}

/**
 * Adds `palier settle`.
 *
 * @example palier settle --period 2026-10                          # the draft of October, as JSON
 * @example palier settle --period 2026-10 --close --format csv --bom --out october.csv
 * @example palier settle --period 2026-10 --carrier car_orange      # what Orange is a party to
 */
export function registerSettle(program: Command, context: CliContext): void {
  program
    .command('settle')
    .description('settle a period: one statement per counterparty pair, checked against the ledger, and the netting; --close locks it')
    .requiredOption('--period <YYYY-MM>', 'the month to settle, in each debtor\'s time zone')
    .option('--carrier <id>', 'only the statements this carrier is a party to, and its own netting')
    .option('--close', 'close (lock) the period: once it is over in every carrier\'s zone')
    .addOption(new Option('--format <format>', 'json (the run, as the API serves it) or csv (one row per statement)').choices(['json', 'csv']).default('json'))
    .option('--bom', 'csv: start with a UTF-8 byte order mark, for spreadsheets')
    .option('--out <file>', 'write the export into this file instead of stdout')
    .action(async (options: SettleOptions) => {
      if (options.bom === true && options.format !== 'csv') throw new CliError('--bom: only with --format csv');
      const { report, viewer } = await settle(context, options);
      const text = options.format === 'csv' ? reportCsvFor(report, viewer, { bom: options.bom === true }) : reportJsonFor(report, viewer);
      if (options.out === undefined) {
        context.stdout(options.format === 'json' ? `${text}\n` : text);
        return;
      }
      try {
        writeFileSync(options.out, text);
      } catch (error) {
        throw new CliError(`cannot write ${options.out}: ${firstLine(error)}`);
      }
      const count = statementsFor(report, viewer).length;
      context.stdout(`settle: ${report.period} ${report.closed ? 'closed' : 'draft'}, ${count} statement${count === 1 ? '' : 's'} written to ${options.out}\n`);
    });
}
