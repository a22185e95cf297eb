/** Settlement: netting between carriers, CSV exports and imports, reconciliation against a declaration. */
export { CsvReader, parseCsv, toCsv } from './csv.ts';
export {
  DECLARATION_COLUMNS, type DeclarationColumn, type DeclarationLayout, declarationLayout, type DeclaredLine, type LineError, parseAmountMinor,
  parseDeclaredLine, parseInstantMs,
} from './declaration.ts';
export { type ItemType, type LedgerAccountSum, ledgerDiscrepancies, SUBSCRIBER_RECEIVABLES } from './ledger-check.ts';
export { net, type NetPosition, netPositions, type Netting, type Obligation } from './netting.ts';
export {
  type AmountMismatch, type Duplicate, type DurationMismatch, type OurCharge, RECONCILIATION_LISTS, type ReconciliationList, type ReconciliationReport,
  Reconciler,
} from './reconciliation.ts';
export {
  addTotals, assembleStatements, billedMinutes, dueOf, type Statement, type StatementAggregate, statementFromJson, statementId, statementJson,
  STATEMENT_KINDS, type StatementKind, type StatementPart, type Totals, ZERO_TOTALS,
} from './statement.ts';
export { STATEMENT_CSV_COLUMNS, type StatementCsvRun, statementCsvRow, statementsCsv } from './statement-csv.ts';
