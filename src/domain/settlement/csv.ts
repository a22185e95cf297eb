/**
 * CSV as RFC 4180 says: comma-separated, CRLF line ends, fields quoted when they hold a comma, a
 * quote or a line break, quotes doubled inside. Cells that a spreadsheet would run as a formula
 * (starting with `=`, `+`, `-`, `@`, tab or carriage return) are neutralised with a leading `'`
 * (OWASP CSV injection) — except plain numbers, so "-1.50" stays a number. An optional UTF-8 BOM
 * makes spreadsheets read the text as UTF-8.
 */
import { err, ok, type Result } from '../result.ts';

const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
const BOM = '\ufeff';

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Writes rows (the first one the header) as CSV text. */
export function toCsv(rows: readonly (readonly string[])[], options: { bom?: boolean } = {}): string {
  const body = rows.map((row) => row.map(cell).join(',')).join('\r\n');
  return `${options.bom === true ? BOM : ''}${body}\r\n`;
}

/**
 * A streaming CSV reader: feed it chunks of text, take complete rows as they come. Memory holds
 * one row at a time, so a million-line file streams through. Quoted fields may hold commas,
 * quotes and line breaks; a leading BOM is ignored; neutralisation is not undone.
 */
export class CsvReader {
  private row: string[] = [];
  private field = '';
  private quoted = false;
  /** A quote seen inside a quoted field: the next character decides if it was doubled. */
  private quotePending = false;
  private pendingCr = false;
  private started = false;
  private fieldStarted = false;
  /** Rows completed so far (1-based line of the next row, for error messages). */
  rowsRead = 0;

  /** Consumes `chunk` and returns the rows it completed. */
  push(chunk: string): string[][] {
    let text = chunk;
    if (!this.started) {
      this.started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    const rows: string[][] = [];
    for (const c of text) this.consume(c, rows);
    return rows;
  }

  /** Ends the input: the last row (without a final line break), or an error for an open quote. */
  end(): Result<string[][], string> {
    if (this.quotePending) { this.quoted = false; this.quotePending = false; }
    if (this.quoted) return err(`row ${this.rowsRead + 1}: a quoted field is not closed`);
    if (this.fieldStarted || this.row.length > 0) {
      this.row.push(this.field);
      const last = this.row;
      this.row = [];
      this.field = '';
      this.rowsRead += 1;
      return ok([last]);
    }
    return ok([]);
  }

  private consume(c: string, rows: string[][]): void {
    if (this.pendingCr) {
      this.pendingCr = false;
      if (c === '\n') return;
    }
    if (this.quotePending) {
      this.quotePending = false;
      if (c === '"') { this.field += '"'; return; }
      this.quoted = false;
    }
    if (this.quoted) {
      if (c === '"') this.quotePending = true;
      else this.field += c;
      return;
    }
    if (c === '"' && !this.fieldStarted) { this.quoted = true; this.fieldStarted = true; }
    else if (c === ',') { this.row.push(this.field); this.field = ''; this.fieldStarted = false; }
    else if (c === '\n' || c === '\r') {
      this.pendingCr = c === '\r';
      this.row.push(this.field);
      rows.push(this.row);
      this.rowsRead += 1;
      this.row = [];
      this.field = '';
      this.fieldStarted = false;
    } else { this.field += c; this.fieldStarted = true; }
  }
}

/** Parses a whole CSV text into rows of fields. */
export function parseCsv(text: string): Result<string[][], string> {
  const reader = new CsvReader();
  const rows = reader.push(text);
  const rest = reader.end();
  return rest.ok ? ok([...rows, ...rest.value]) : rest;
}
