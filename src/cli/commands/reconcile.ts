/**
 * `palier reconcile --statement ID --file their.csv [--tolerance-seconds N] [--json]`: reconciles
 * a closed statement of the configured database with a counterparty's declaration file, streamed
 * from disk (docs/settlement.md, "Reconciliation"). Exit 0 when everything matches, 1 on any
 * discrepancy (a summary on stdout, one line on stderr), 2 on bad input: a bad option, an
 * unreadable file, a file that is not a declaration, a statement unknown or of an open period.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Command } from 'commander';
import { KyselyStore } from '../../adapters/store/index.ts';
import { closedStatement, type ClosedStatement, reconciliationJson, reconcileStatement } from '../../app/settlement/reconcile.ts';
import { limits, Money, type ReconciliationReport } from '../../domain/index.ts';
import { CliError } from '../cli-error.ts';
import { configuredDatabase, firstLine, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

/** Entries printed per kind of discrepancy by the summary: a terminal's worth; `--json` lists up to the report's limit. */
const SUMMARY_ENTRIES_MAX = 10;

interface ReconcileOptions {
  readonly statement: string;
  readonly file: string;
  readonly toleranceSeconds?: string;
  readonly json?: boolean;
}

function parseTolerance(value: string | undefined): number {
  if (value === undefined) return 1;
  if (!/^(0|[1-9][0-9]{0,3})$/.test(value) || Number.parseInt(value, 10) > limits.RECONCILIATION_TOLERANCE_S_MAX) {
    throw new CliError(`--tolerance-seconds: must be a whole number of seconds from 0 to ${limits.RECONCILIATION_TOLERANCE_S_MAX}, got ${JSON.stringify(value)}`);
  }
  return Number.parseInt(value, 10);
}

/** The number of discrepancies of each kind a report counts. */
function discrepancies(report: ReconciliationReport): number {
  const { counts } = report;
  return counts.missingTheirs + counts.missingOurs + counts.amountMismatches + counts.durationMismatches + counts.duplicates + counts.errors;
}

/** The human summary: the statement, the counts, the totals, then the first entries of each list. */
export function formatReconciliation(statement: ClosedStatement, report: ReconciliationReport, file: string): string {
  const money = (minor: bigint): string => `${Money.fromMinorUnits(minor, report.currency).toString()} ${report.currency}`;
  const { counts } = report;
  const lines = [
    `reconcile: ${statement.id} (${statement.kind}, ${statement.debtorId} → ${statement.creditorId}, ${statement.period}) against ${file}, tolerance ${report.toleranceSeconds} s`,
    `rows: ${report.rows.read} read, ${report.rows.invalid} invalid; ours: ${counts.ours} charges, ${counts.matched} matched`,
    `missing on their side ${counts.missingTheirs}, missing on ours ${counts.missingOurs}, amount mismatches ${counts.amountMismatches}, `
      + `duration mismatches ${counts.durationMismatches}, duplicates ${counts.duplicates}, row errors ${counts.errors}`,
    `totals: ours ${money(report.totals.oursMinor)}, theirs ${money(report.totals.theirsMinor)}, difference ${money(report.totals.differenceMinor)}`,
  ];
  const list = <T>(title: string, entries: readonly T[], count: number, show: (entry: T) => string): void => {
    if (count === 0) return;
    lines.push(`${title}:`, ...entries.slice(0, SUMMARY_ENTRIES_MAX).map((entry) => `  ${show(entry)}`));
    if (count > SUMMARY_ENTRIES_MAX) lines.push(`  … ${count - SUMMARY_ENTRIES_MAX} more (--json lists up to ${limits.RECONCILIATION_LISTED_MAX})`);
  };
  list('missing on their side', report.missingTheirs, counts.missingTheirs, (c) => `${c.chargeId} (${c.sessionId}): ${c.billedSeconds} s, ${money(c.amountMinor)}`);
  list('missing on ours', report.missingOurs, counts.missingOurs, (l) => `line ${l.line}: ${l.chargeId ?? l.sessionId ?? '?'}: ${l.billedSeconds} s, ${money(l.amountMinor)}`);
  list('amount mismatches', report.amountMismatches, counts.amountMismatches, (m) => `line ${m.line}: ${m.chargeId}: ours ${money(m.oursMinor)}, theirs ${money(m.theirsMinor)}`);
  list('duration mismatches', report.durationMismatches, counts.durationMismatches, (m) => `line ${m.line}: ${m.chargeId}: ours ${m.oursSeconds} s, theirs ${m.theirsSeconds} s`);
  list('duplicates', report.duplicates, counts.duplicates, (d) => `line ${d.line}: ${d.chargeId ?? d.sessionId ?? '?'}, first on line ${d.firstLine}`);
  list('row errors', report.errors, counts.errors, (e) => `line ${e.line}: ${e.field}: ${e.message} [${e.rule}]`);
  lines.push(report.ok ? 'ok: every charge is declared once, exactly' : `${discrepancies(report)} discrepancies`);
  return `${lines.join('\n')}\n`;
}

/** The file's chunks, or a one-line error (exit 2) when it cannot be read. */
function fileChunks(path: string): AsyncIterable<Uint8Array> {
  try {
    if (!statSync(path).isFile()) throw new CliError(`cannot read ${path}: not a file`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  return createReadStream(path, { highWaterMark: 256 * 1024 });
}

export function registerReconcile(program: Command, context: CliContext): void {
  program
    .command('reconcile')
    .description('reconcile a closed statement with a counterparty\'s declaration file (CSV); exit 0 when everything matches, 1 on any discrepancy')
    .requiredOption('--statement <id>', 'the statement (stm_…), of a closed period')
    .requiredOption('--file <csv>', 'the declaration: charge_id,session_id,start,billed_seconds,amount')
    .option('--tolerance-seconds <n>', 'billed seconds may differ by this much (default 1)')
    .option('--json', 'print the full report as JSON')
    .action(async (options: ReconcileOptions) => {
      const toleranceSeconds = parseTolerance(options.toleranceSeconds);
      const declaration = fileChunks(options.file);
      const config = configuredDatabase(context);
      const { database } = await openMigrated(config);
      try {
        // The SQLite file is named so that our side is read by a worker thread, batch by batch.
        const store = new KyselyStore(database.db, database.dialect, false, config.dialect === 'sqlite' ? config.path : null);
        const found = await closedStatement(store, options.statement);
        if (!found.ok) throw new CliError(`${found.error.code}: ${found.error.detail}`);
        const result = await reconcileStatement({ store }, { statement: found.value, declaration, toleranceSeconds }).catch((error: unknown) => {
          // A file that fails while being read (a system error with a code) is bad input; anything else is a bug and stays one.
          if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') throw new CliError(`cannot read ${options.file}: ${firstLine(error)}`);
          throw error;
        });
        if (!result.ok) throw new CliError(`${options.file}: ${result.error.code}: ${result.error.detail}`);
        const report = result.value;
        context.stdout(options.json === true ? `${JSON.stringify(reconciliationJson(found.value, report), null, 2)}\n` : formatReconciliation(found.value, report, options.file));
        if (!report.ok) throw new CliError(`reconcile: ${discrepancies(report)} discrepancies between ${found.value.id} and ${options.file}`, 1);
      } finally {
        await database.close();
      }
    });
}
