/** Settlement: netting between carriers, CSV exports and imports. */
export { CsvReader, parseCsv, toCsv } from './csv.ts';
export { net, type NetPosition, netPositions, type Netting, type Obligation } from './netting.ts';
export {
  addTotals, assembleStatements, dueOf, type Statement, type StatementAggregate, statementId, statementJson, STATEMENT_KINDS, type StatementKind,
  type StatementPart, type Totals, ZERO_TOTALS,
} from './statement.ts';
