/**
 * CSV as RFC 4180 says: comma-separated, CRLF line ends, fields quoted when they hold a comma, a
 * quote or a line break (or begin with a BOM), quotes doubled inside. Cells that a spreadsheet
 * would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) are
 * neutralised with a leading `'` (OWASP CSV injection) — except plain numbers, so "-1.50" stays a
 * number. An optional UTF-8 BOM makes spreadsheets read the text as UTF-8.
 */
import { err, ok, type Result } from '../result.ts';

const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
const BOM = '\ufeff';

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  // A leading BOM is quoted, or a reader would take it for the file's own and drop it.
  return /[",\r\n]/.test(safe) || safe.startsWith(BOM) ? `"${safe.replace(/"/g, '""')}"` : safe;
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
  /** Characters kept per field: the rest of a longer field is dropped (the field then has max + 1). */
  private readonly fieldCharsMax: number;
  /** Fields kept per row: further fields are dropped (the row then has max + 1). */
  private readonly fieldsPerRowMax: number;
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

  /**
   * Without options every field and row is kept whole. With them, memory is bounded whatever the
   * input: an overlong field or row is cut one past its maximum, so a validator can still see it
   * was too long.
   */
  constructor(options: { readonly fieldCharsMax?: number; readonly fieldsPerRowMax?: number } = {}) {
    this.fieldCharsMax = options.fieldCharsMax ?? Number.POSITIVE_INFINITY;
    this.fieldsPerRowMax = options.fieldsPerRowMax ?? Number.POSITIVE_INFINITY;
  }

  /** Consumes `chunk` and returns the rows it completed. */
  push(chunk: string): string[][] {
    let text = chunk;
    // The BOM is looked for in the first characters, not the first chunk: a stream may begin with an empty one.
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    const rows: string[][] = [];
    let i = 0;
    while (i < text.length) {
      if (this.pendingCr) {
        this.pendingCr = false;
        if (text.charCodeAt(i) === 10) { i += 1; continue; }
      }
      // Most rows have no quote: cut them at the line break and split them at once, which is many
      // times faster than the character loop and gives the same fields.
      if (this.atRowStart()) {
        const newline = text.indexOf('\n', i);
        const end = newline > i && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
        const line = newline < 0 ? null : text.slice(i, end);
        if (line !== null && !line.includes('"') && !line.includes('\r')) {
          rows.push(this.plainRow(line));
          this.rowsRead += 1;
          i = newline + 1;
          continue;
        }
      }
      // Anything else, one character at a time until the row ends (or the chunk does).
      const before = this.rowsRead;
      while (i < text.length && this.rowsRead === before) {
        const code = text.charCodeAt(i);
        // A surrogate pair is one character.
        const width = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length ? 2 : 1;
        this.consume(text.slice(i, i + width), rows);
        i += width;
      }
    }
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
      if (c === '"') { this.append('"'); return; }
      this.quoted = false;
    }
    if (this.quoted) {
      if (c === '"') this.quotePending = true;
      else this.append(c);
      return;
    }
    if (c === '"' && !this.fieldStarted) { this.quoted = true; this.fieldStarted = true; }
    else if (c === ',') { this.endField(); this.field = ''; this.fieldStarted = false; }
    else if (c === '\n' || c === '\r') {
      this.pendingCr = c === '\r';
      this.endField();
      rows.push(this.row);
      this.rowsRead += 1;
      this.row = [];
      this.field = '';
      this.fieldStarted = false;
    } else { this.append(c); this.fieldStarted = true; }
  }

  /** Nothing of a row read yet: the next character starts one. */
  private atRowStart(): boolean {
    return this.row.length === 0 && !this.fieldStarted && this.field === '' && !this.quoted && !this.quotePending && !this.pendingCr;
  }

  /** A row without quotes or carriage returns, split at its commas, cut to the limits as the character loop cuts it. */
  private plainRow(line: string): string[] {
    const fields = line.split(',');
    if (fields.length > this.fieldsPerRowMax + 1) fields.length = this.fieldsPerRowMax + 1;
    const max = this.fieldCharsMax;
    if (Number.isFinite(max)) {
      for (let f = 0; f < fields.length; f += 1) {
        const field = fields[f] ?? '';
        if (field.length <= max + 1) continue;
        // As the loop appends whole characters while the field has at most max units: a pair starting at max is kept whole.
        const high = field.charCodeAt(max) >= 0xd800 && field.charCodeAt(max) <= 0xdbff;
        fields[f] = field.slice(0, high ? max + 2 : max + 1);
      }
    }
    return fields;
  }

  private append(c: string): void {
    if (this.field.length <= this.fieldCharsMax) this.field += c;
  }

  private endField(): void {
    if (this.row.length <= this.fieldsPerRowMax) this.row.push(this.field);
  }
}

/** Parses a whole CSV text into rows of fields. */
export function parseCsv(text: string): Result<string[][], string> {
  const reader = new CsvReader();
  const rows = reader.push(text);
  const rest = reader.end();
  return rest.ok ? ok([...rows, ...rest.value]) : rest;
}
