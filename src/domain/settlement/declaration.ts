/**
 * A counterparty's declaration file (docs/settlement.md, "Reconciliation"): CSV with the header
 * `charge_id,session_id,start,billed_seconds,amount`, one charge per row. This module checks the
 * header and turns each row into a declared line, or into the rules it breaks, without ever
 * throwing: a bad row is reported and the run goes on.
 *
 * Pure and fast: a million rows go through here, so instants are read with a regular expression
 * and `Date.UTC` (no luxon), and amounts with bigint arithmetic (no decimal.js).
 */
import { type Currency, minorUnitExponent } from '../money/index.ts';
import { err, ok, type Result } from '../result.ts';

/** The columns of a declaration, in the order we write them (any order is read). */
export const DECLARATION_COLUMNS = ['charge_id', 'session_id', 'start', 'billed_seconds', 'amount'] as const;
export type DeclarationColumn = (typeof DECLARATION_COLUMNS)[number];

/** Where each column is in a row, and how many fields a row needs to hold them all. */
export type DeclarationLayout = Readonly<Record<DeclarationColumn, number>> & { readonly width: number };

/** One row's broken rule: the row number (the header is row 1), the column, the rule and a sentence. */
export interface LineError {
  readonly line: number;
  readonly field: DeclarationColumn | 'row';
  readonly rule: 'required' | 'format' | 'precision' | 'columns' | 'mismatch';
  readonly message: string;
}

/** A row that follows the format. At least one of the two ids is present. */
export interface DeclaredLine {
  readonly line: number;
  readonly chargeId: string | null;
  readonly sessionId: string | null;
  readonly startMs: number;
  readonly billedSeconds: number;
  /** Tax included, in the statement currency's minor units. */
  readonly amountMinor: bigint;
}

/** Ids as the API writes them: letters, digits, `_` and `-`, 1–64 characters. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** ISO 8601 instant with seconds and an explicit offset: 2026-10-06T10:00:00Z, 2026-10-06T12:00:00.250+02:00. */
const INSTANT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,3}))?(Z|[+-][0-9]{2}:?[0-9]{2})$/;
/** Whole seconds, at most nine digits (more than 31 years: far beyond any session). */
const SECONDS = /^(0|[1-9][0-9]{0,8})$/;
/** A non-negative plain decimal, at most 15 integer digits (10^15 major units is beyond any statement). */
const AMOUNT = /^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,12}))?$/;

/**
 * Reads the header row: every column named once (case and surrounding spaces ignored; columns
 * we do not know are ignored too, so a counterparty may add its own).
 */
export function declarationLayout(header: readonly string[]): Result<DeclarationLayout, string> {
  const names = header.map((name) => name.trim().toLowerCase());
  const layout: Partial<Record<DeclarationColumn, number>> = {};
  for (const column of DECLARATION_COLUMNS) {
    const index = names.indexOf(column);
    if (index < 0) return err(`the header has no ${column} column: expected ${DECLARATION_COLUMNS.join(',')}`);
    if (names.indexOf(column, index + 1) >= 0) return err(`the header names ${column} twice`);
    layout[column] = index;
  }
  const columns = layout as Record<DeclarationColumn, number>;
  return ok({ ...columns, width: Math.max(...DECLARATION_COLUMNS.map((column) => columns[column])) + 1 });
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch milliseconds of an ISO 8601 instant with an offset, or null when it is not one. */
export function parseInstantMs(text: string): number | null {
  const m = INSTANT.exec(text);
  if (m === null) return null;
  // The fields of a date and a time, decimal digits the pattern matched: whole numbers, no money.
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((group) => Number.parseInt(m[group] ?? '', 10)) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (year < 1970 || monthDays === undefined || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return null;
  const millis = m[7] === undefined ? 0 : Number.parseInt(m[7].padEnd(3, '0'), 10);
  const zone = m[8] ?? 'Z';
  let offsetMin = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number.parseInt(digits.slice(0, 2), 10);
    const minutes = Number.parseInt(digits.slice(2), 10);
    if (hours > 18 || minutes > 59) return null;
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
}

/** Minor units of a decimal amount, or the rule it breaks (`format`, or `precision` beyond the minor unit). */
export function parseAmountMinor(text: string, currency: Currency): Result<bigint, 'format' | 'precision'> {
  const m = AMOUNT.exec(text);
  if (m === null) return err('format');
  const exponent = minorUnitExponent(currency);
  const fraction = m[2] ?? '';
  // Digits beyond the minor unit are allowed only as zeros: "12.340" is 12.34 €, "12.345" is not an amount of euros.
  if (fraction.length > exponent && !/^0*$/.test(fraction.slice(exponent))) return err('precision');
  return ok(BigInt(`${m[1] ?? '0'}${fraction.slice(0, exponent).padEnd(exponent, '0')}`));
}

function idError(field: 'charge_id' | 'session_id', line: number): LineError {
  return { line, field, rule: 'format', message: 'must be an id of 1–64 letters, digits, _ and -' };
}

/**
 * Checks one data row against the layout: the declared line, or every rule it breaks. A row with
 * fewer columns than the header names is refused as a whole (`row`, `columns`). A million rows go
 * through here: nothing is allocated for a valid row but the line itself.
 */
export function parseDeclaredLine(row: readonly string[], line: number, layout: DeclarationLayout, currency: Currency): Result<DeclaredLine, LineError[]> {
  if (row.length < layout.width) return err([{ line, field: 'row', rule: 'columns', message: `has ${row.length} fields, the header names ${layout.width}` }]);
  const chargeText = (row[layout.charge_id] ?? '').trim();
  const sessionText = (row[layout.session_id] ?? '').trim();
  const seconds = (row[layout.billed_seconds] ?? '').trim();
  const startMs = parseInstantMs((row[layout.start] ?? '').trim());
  const amount = parseAmountMinor((row[layout.amount] ?? '').trim(), currency);
  const chargeOk = chargeText === '' || ID.test(chargeText);
  const sessionOk = sessionText === '' || ID.test(sessionText);
  const secondsOk = SECONDS.test(seconds);
  if (chargeOk && sessionOk && secondsOk && startMs !== null && amount.ok && (chargeText !== '' || sessionText !== '')) {
    return ok({
      line, chargeId: chargeText === '' ? null : chargeText, sessionId: sessionText === '' ? null : sessionText, startMs, billedSeconds: Number.parseInt(seconds, 10), amountMinor: amount.value,
    });
  }
  const errors: LineError[] = [];
  if (!chargeOk) errors.push(idError('charge_id', line));
  if (!sessionOk) errors.push(idError('session_id', line));
  if (chargeText === '' && sessionText === '') errors.push({ line, field: 'charge_id', rule: 'required', message: 'a row names a charge_id, a session_id or both' });
  if (startMs === null) errors.push({ line, field: 'start', rule: 'format', message: 'must be an ISO 8601 instant with an offset, such as 2026-10-06T10:00:00Z' });
  if (!secondsOk) errors.push({ line, field: 'billed_seconds', rule: 'format', message: 'must be a whole number of seconds' });
  if (!amount.ok) {
    errors.push(amount.error === 'format'
      ? { line, field: 'amount', rule: 'format', message: 'must be a non-negative decimal amount such as 12.34' }
      : { line, field: 'amount', rule: 'precision', message: `has more decimals than the ${currency} minor unit` });
  }
  return err(errors);
}
