/**
 * Reconciliation (docs/settlement.md): a closed statement's charges against a counterparty's
 * declaration file, streamed. The file is read chunk by chunk through the CSV reader; our side is
 * read once, in batches, after the header proved the file is a declaration. Nothing is written:
 * running it again gives the same report.
 */
import {
  assert, CsvReader, type Currency, DECLARATION_COLUMNS, declarationLayout, type DeclarationLayout, err, limits, Money, ok, parseDeclaredLine, Reconciler,
  type ReconciliationReport, type Result,
} from '../../domain/index.ts';
import type { Store, StoredStatement } from '../ports/index.ts';

export type ReconcileError = 'statement_not_found' | 'period_not_closed' | 'declaration_invalid';

/** A statement of a closed run: its charges are fixed, so a reconciliation means something. */
export type ClosedStatement = StoredStatement & { readonly runId: string; readonly period: string };

const STATEMENT_PERIOD = /^stm_([0-9]{4}-[0-9]{2})_/;

/**
 * The closed statement `statementId`, or why it cannot be reconciled: `period_not_closed` when
 * its period has no closed run yet (statements are stored only when their period closes),
 * `statement_not_found` otherwise.
 */
export async function closedStatement(store: Store, statementId: string): Promise<Result<ClosedStatement, { code: ReconcileError; detail: string }>> {
  const statement = await store.getStatement(statementId);
  if (statement !== null) return ok(statement);
  const period = STATEMENT_PERIOD.exec(statementId)?.[1];
  if (period !== undefined && (await store.getSettlementRun({ period })) === null) {
    return err({ code: 'period_not_closed', detail: `${period} is not closed: a statement is reconciled once its period is (palier settle --period ${period} --close)` });
  }
  return err({ code: 'statement_not_found', detail: `no closed statement ${statementId}` });
}

/** A declaration file as it arrives: chunks of UTF-8 bytes (a file, a request body) or text. */
export type DeclarationSource = AsyncIterable<Uint8Array | string>;

/** Rows of the file to the reconciler: the header first (it decides the layout), blank lines skipped. */
class DeclarationReader {
  private readonly csv = new CsvReader({ fieldCharsMax: limits.DECLARATION_FIELD_CHARS_MAX, fieldsPerRowMax: limits.DECLARATION_FIELDS_PER_ROW_MAX });
  private layout: DeclarationLayout | null = null;

  constructor(private readonly reconciler: Reconciler, private readonly currency: Currency, private readonly loadOurs: () => Promise<void>) {}

  /** Handles the rows `text` completes; an error when the header is not a declaration's. */
  async push(text: string): Promise<string | null> {
    return this.rows(this.csv.push(text), this.csv.rowsRead);
  }

  async end(): Promise<string | null> {
    const rest = this.csv.end();
    if (!rest.ok) {
      if (this.layout === null) return rest.error;
      this.reconciler.reject([{ line: this.csv.rowsRead + 1, field: 'row', rule: 'format', message: rest.error }]);
      return null;
    }
    const problem = await this.rows(rest.value, this.csv.rowsRead);
    return problem ?? (this.layout === null ? `the file is empty: its first line is the header ${DECLARATION_COLUMNS.join(',')}` : null);
  }

  private async rows(rows: readonly string[][], rowsRead: number): Promise<string | null> {
    let line = rowsRead - rows.length;
    for (const row of rows) {
      line += 1;
      if (this.layout === null) {
        const layout = declarationLayout(row);
        if (!layout.ok) return `line 1: ${layout.error}`;
        this.layout = layout.value;
        await this.loadOurs();
        continue;
      }
      if (row.length === 1 && row[0]?.trim() === '') continue;
      const parsed = parseDeclaredLine(row, line, this.layout, this.currency);
      if (parsed.ok) this.reconciler.declare(parsed.value);
      else this.reconciler.reject(parsed.error);
    }
    return null;
  }
}

/**
 * Reconciles a closed statement with a declaration. `declaration_invalid` when the file is not a
 * declaration at all (no header, or a header without the five columns); a bad row is not an
 * error of the run but a line of the report.
 */
export async function reconcileStatement(
  deps: { readonly store: Store },
  input: { readonly statement: ClosedStatement; readonly declaration: DeclarationSource; readonly toleranceSeconds: number },
): Promise<Result<ReconciliationReport, { code: ReconcileError; detail: string }>> {
  const reconciler = new Reconciler(input.statement.currency, input.toleranceSeconds);
  let ours = -1;
  const loadOurs = async (): Promise<void> => {
    ours = await deps.store.eachStatementCharge(input.statement.id, (batch) => { reconciler.addOurs(batch); });
  };
  const reader = new DeclarationReader(reconciler, input.statement.currency, loadOurs);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of input.declaration) {
    const problem = await reader.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (problem !== null) return err({ code: 'declaration_invalid', detail: problem });
  }
  const tail = decoder.decode();
  const problem = (tail === '' ? null : await reader.push(tail)) ?? await reader.end();
  if (problem !== null) return err({ code: 'declaration_invalid', detail: problem });
  const report = reconciler.finish();
  assert(ours === report.counts.ours, 'every charge read was indexed');
  return ok(report);
}

/** The report as JSON: amounts as decimal strings in the statement's currency, instants in ISO 8601 UTC. */
export function reconciliationJson(statement: ClosedStatement, report: ReconciliationReport): Record<string, unknown> {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, report.currency).toString();
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    statementId: statement.id, runId: statement.runId, period: statement.period, kind: statement.kind,
    debtorId: statement.debtorId, creditorId: statement.creditorId, currency: report.currency, toleranceSeconds: report.toleranceSeconds, ok: report.ok,
    rows: report.rows, counts: report.counts,
    totals: { ours: money(report.totals.oursMinor), theirs: money(report.totals.theirsMinor), difference: money(report.totals.differenceMinor) },
    missingTheirs: report.missingTheirs.map((c) => ({ chargeId: c.chargeId, sessionId: c.sessionId, start: iso(c.startMs), billedSeconds: c.billedSeconds, amount: money(c.amountMinor) })),
    missingOurs: report.missingOurs.map((l) => ({
      line: l.line, chargeId: l.chargeId, sessionId: l.sessionId, start: iso(l.startMs), billedSeconds: l.billedSeconds, amount: money(l.amountMinor),
    })),
    amountMismatches: report.amountMismatches.map((m) => ({
      line: m.line, chargeId: m.chargeId, sessionId: m.sessionId, ours: money(m.oursMinor), theirs: money(m.theirsMinor), difference: money(m.oursMinor - m.theirsMinor),
    })),
    durationMismatches: report.durationMismatches.map((m) => ({
      line: m.line, chargeId: m.chargeId, sessionId: m.sessionId, oursSeconds: m.oursSeconds, theirsSeconds: m.theirsSeconds, differenceSeconds: m.oursSeconds - m.theirsSeconds,
    })),
    duplicates: report.duplicates, errors: report.errors, truncated: report.truncated,
  };
}
