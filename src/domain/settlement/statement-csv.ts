/**
 * Statements as CSV (docs/settlement.md): one row per statement, the same figures as the JSON —
 * amounts as decimal strings in major units beside a currency column, instants in ISO 8601 — for
 * the parties' spreadsheets and accounting tools. RFC 4180 and formula neutralisation come from
 * `toCsv`.
 */
import { assert } from '../assert.ts';
import { Money } from '../money/index.ts';
import { toCsv } from './csv.ts';
import { billedMinutes, dueOf, type Statement, type StatementPart, type Totals, ZERO_TOTALS } from './statement.ts';

/** The header row, in column order. */
export const STATEMENT_CSV_COLUMNS = [
  'statement_id', 'period', 'kind', 'debtor', 'creditor', 'currency', 'sessions', 'billed_seconds', 'billed_minutes', 'gross', 'vat', 'net',
  'collection_fee', 'bad_debt_allowance', 'interconnect', 'hosting_share', 'merchant_share', 'refunds_count', 'refunds_gross', 'refunds_due',
  'adjustments_count', 'adjustments_due', 'amount_due', 'status', 'closed_at',
] as const;

/** The run the statements belong to: closed (with its instant, ISO 8601) or a draft. */
export interface StatementCsvRun {
  readonly closedAt: string | null;
}

const count = (part: StatementPart): number => part.charges.count + part.refunds.count;

/**
 * One statement's row. `refunds_due` is what the period's refunds take off the amount due,
 * `adjustments_due` what the late items of earlier periods add, so that (asserted)
 * amount_due = the charges' due (hosting + merchant share for a carrier statement, merchant share
 * for a merchant statement) − refunds_due + adjustments_due.
 */
export function statementCsvRow(statement: Statement, run: StatementCsvRun): string[] {
  const money = (minor: bigint): string => Money.fromMinorUnits(minor, statement.currency).toString();
  const charges: Totals = statement.current.charges;
  const chargesDueMinor = dueOf(statement.kind, { charges, refunds: ZERO_TOTALS });
  const refundsDueMinor = -dueOf(statement.kind, { charges: ZERO_TOTALS, refunds: statement.current.refunds });
  const adjustmentsDueMinor = statement.adjustments.reduce((sum, adjustment) => sum + dueOf(statement.kind, adjustment), 0n);
  assert(chargesDueMinor - refundsDueMinor + adjustmentsDueMinor === statement.amountDueMinor, `statement ${statement.id}: the CSV columns add up to the amount due`);
  const row = [
    statement.id, statement.period, statement.kind, statement.debtorId, statement.creditorId, statement.currency, String(charges.count),
    charges.billedSeconds.toString(), billedMinutes(charges.billedSeconds), money(charges.grossMinor), money(charges.vatMinor), money(charges.netMinor),
    money(charges.collectionFeeMinor), money(charges.badDebtMinor), money(charges.interconnectMinor), money(charges.hostingShareMinor),
    money(charges.merchantShareMinor), String(statement.current.refunds.count), money(statement.current.refunds.grossMinor), money(refundsDueMinor),
    String(statement.adjustments.reduce((sum, adjustment) => sum + count(adjustment), 0)), money(adjustmentsDueMinor), money(statement.amountDueMinor),
    run.closedAt === null ? 'draft' : 'closed', run.closedAt ?? '',
  ];
  assert(row.length === STATEMENT_CSV_COLUMNS.length, 'a row has every column');
  return row;
}

/**
 * The CSV of `statements`: the header, then one row each (CRLF, UTF-8; a BOM with `bom` for
 * spreadsheets that would otherwise guess another encoding).
 *
 * @example statementsCsv([statement], { closedAt: '2026-11-01T00:00:00.000Z' })
 * // "statement_id,period,kind,…\r\nstm_2026-10_carrier_car_orange_car_sfr,2026-10,carrier,…,closed,2026-11-01T00:00:00.000Z\r\n"
 */
export function statementsCsv(statements: readonly Statement[], run: StatementCsvRun, options: { readonly bom?: boolean } = {}): string {
  return toCsv([[...STATEMENT_CSV_COLUMNS], ...statements.map((statement) => statementCsvRow(statement, run))], options);
}
