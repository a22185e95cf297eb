import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CsvReader, declarationLayout, parseAmountMinor, parseDeclaredLine, parseInstantMs, Reconciler, type DeclaredLine,
} from '../../../src/domain/index.ts';

function read(text: string, cuts: readonly number[], options: ConstructorParameters<typeof CsvReader>[0] = {}): { rows: string[][]; end: string[][] | string } {
  const reader = new CsvReader(options);
  const rows: string[][] = [];
  let previous = 0;
  // Text comes from a streaming UTF-8 decoder, which never cuts a surrogate pair in two.
  const whole = (c: number): boolean => c < text.length && !/[\uD800-\uDBFF]/.test(text.charAt(c - 1));
  for (const cut of [...cuts.filter(whole)].sort((a, b) => a - b).concat(text.length)) {
    rows.push(...reader.push(text.slice(previous, cut)));
    previous = cut;
  }
  const end = reader.end();
  return { rows, end: end.ok ? end.value : end.error };
}

const csvText = fc.array(fc.constantFrom('a', 'b', '1', ',', '"', '\n', '\r', ' ', '😀'), { maxLength: 80 }).map((chars) => chars.join(''));

describe('settlement: the CSV reader', () => {
  it('csv: rows do not depend on where the chunks are cut (whole lines are split at once, the rest character by character)', () => {
    fc.assert(fc.property(csvText, fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 6 }), (text, cuts) => {
      const oneByOne = Array.from({ length: text.length }, (_, i) => i + 1);  // cuts inside a pair are skipped
      assert.deepEqual(read(text, cuts), read(text, oneByOne));
    }), { numRuns: 3000 });
  });

  it('csv: with limits, a field keeps at most max + 1 characters and a row max + 1 fields, however it is cut', () => {
    const limits = { fieldCharsMax: 3, fieldsPerRowMax: 2 };
    fc.assert(fc.property(csvText, fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 6 }), (text, cuts) => {
      const whole = read(text, [], limits);
      assert.deepEqual(read(text, cuts, limits), whole);
      for (const row of whole.rows) {
        assert.ok(row.length <= 3);
        for (const field of row) assert.ok(field.length <= 5, 'a surrogate pair may take the field one unit further');
      }
    }), { numRuns: 2000 });
    assert.deepEqual(read('abcdefgh,x,y,z,w\r\n', [], limits).rows, [['abcd', 'x', 'y']]);
  });
});

describe('settlement: the declaration format', () => {
  it('declaration: instants need an offset and a real date; milliseconds and ±hh:mm are read', () => {
    assert.equal(parseInstantMs('2026-10-06T10:00:00Z'), Date.parse('2026-10-06T10:00:00Z'));
    assert.equal(parseInstantMs('2026-10-06T12:00:00.25+02:00'), Date.parse('2026-10-06T10:00:00.250Z'));
    assert.equal(parseInstantMs('2026-10-06T05:30:00-0430'), Date.parse('2026-10-06T10:00:00Z'));
    assert.equal(parseInstantMs('2028-02-29T00:00:00Z'), Date.parse('2028-02-29T00:00:00Z'));
    for (const bad of ['2026-10-06T10:00:00', '2026-02-29T00:00:00Z', '2026-09-31T00:00:00Z', '2026-10-06 10:00:00Z', '2026-10-06T24:00:00Z', '2026-10-06T10:00:00+19:00', '']) {
      assert.equal(parseInstantMs(bad), null, bad);
    }
  });

  it('declaration: amounts are exact minor units; digits past the minor unit only as zeros', () => {
    assert.deepEqual(parseAmountMinor('12.34', 'EUR'), { ok: true, value: 1234n });
    assert.deepEqual(parseAmountMinor('12.3', 'EUR'), { ok: true, value: 1230n });
    assert.deepEqual(parseAmountMinor('12.340', 'EUR'), { ok: true, value: 1234n });
    assert.deepEqual(parseAmountMinor('12', 'JPY'), { ok: true, value: 12n });
    assert.deepEqual(parseAmountMinor('1.234', 'TND'), { ok: true, value: 1234n });
    assert.deepEqual(parseAmountMinor('12.345', 'EUR'), { ok: false, error: 'precision' });
    for (const bad of ['-1.00', '1e3', '01.00', '1,00', '', ' 1']) assert.deepEqual(parseAmountMinor(bad, 'EUR'), { ok: false, error: 'format' }, bad);
  });

  it('declaration: the header may list the columns in any order, with columns of its own; a missing or repeated one is refused', () => {
    const layout = declarationLayout(['Amount', 'extra', ' charge_id ', 'start', 'billed_seconds', 'session_id']);
    assert.ok(layout.ok);
    const line = parseDeclaredLine(['0.53', 'x', 'chg_1', '2026-10-06T10:00:00Z', '60', ''], 2, layout.value, 'EUR');
    assert.deepEqual(line, { ok: true, value: { line: 2, chargeId: 'chg_1', sessionId: null, startMs: Date.parse('2026-10-06T10:00:00Z'), billedSeconds: 60, amountMinor: 53n } });
    assert.deepEqual(declarationLayout(['charge_id', 'session_id', 'start', 'amount']), { ok: false, error: 'the header has no billed_seconds column: expected charge_id,session_id,start,billed_seconds,amount' });
    assert.equal(declarationLayout(['charge_id', 'charge_id', 'session_id', 'start', 'billed_seconds', 'amount']).ok, false);
  });

  it('declaration: a row without either id, or with a malformed one, says which rule it breaks', () => {
    const layout = declarationLayout(['charge_id', 'session_id', 'start', 'billed_seconds', 'amount']);
    assert.ok(layout.ok);
    const none = parseDeclaredLine(['', '', '2026-10-06T10:00:00Z', '60', '0.53'], 3, layout.value, 'EUR');
    assert.deepEqual(none, { ok: false, error: [{ line: 3, field: 'charge_id', rule: 'required', message: 'a row names a charge_id, a session_id or both' }] });
    const bad = parseDeclaredLine(['chg 1', 'ses_1', '2026-10-06T10:00:00Z', '60', '0.53'], 4, layout.value, 'EUR');
    assert.deepEqual(bad.ok ? null : bad.error.map((e) => `${e.field}:${e.rule}`), ['charge_id:format']);
  });
});

describe('settlement: the reconciler', () => {
  const ours = (i: number) => ({ chargeId: `chg_${String(i).padStart(3, '0')}`, sessionId: `ses_${i}`, startMs: i, billedSeconds: 60, amountMinor: 53n });
  const declared = (line: number, i: number, extra: Partial<DeclaredLine> = {}): DeclaredLine => ({
    line, chargeId: `chg_${String(i).padStart(3, '0')}`, sessionId: null, startMs: i, billedSeconds: 60, amountMinor: 53n, ...extra,
  });

  it('reconcile: missing on their side lists the first by charge id, whatever order ours came in; the count is complete', () => {
    const reconciler = new Reconciler('EUR', 1, 3);
    reconciler.addOurs([ours(9), ours(4), ours(7)]);
    reconciler.addOurs([ours(1), ours(8), ours(2), ours(5)]);
    reconciler.declare(declared(2, 4));
    const report = reconciler.finish();
    assert.equal(report.counts.missingTheirs, 6);
    assert.deepEqual(report.missingTheirs.map((c) => c.chargeId), ['chg_001', 'chg_002', 'chg_005']);
    assert.deepEqual(report.truncated, ['missingTheirs']);
    assert.equal(report.ok, false);
  });

  it('reconcile: duplicates of an unknown charge are duplicates too; a zero tolerance counts every second', () => {
    const reconciler = new Reconciler('EUR', 0);
    reconciler.addOurs([ours(1)]);
    reconciler.declare(declared(2, 1, { billedSeconds: 61 }));
    reconciler.declare(declared(3, 99));
    reconciler.declare(declared(4, 99));
    const report = reconciler.finish();
    assert.deepEqual(report.counts, { ours: 1, matched: 1, missingTheirs: 0, missingOurs: 1, amountMismatches: 0, durationMismatches: 1, duplicates: 1, errors: 0 });
    assert.deepEqual(report.duplicates, [{ line: 4, firstLine: 3, chargeId: 'chg_099', sessionId: null }]);
    assert.deepEqual(report.totals, { oursMinor: 53n, theirsMinor: 159n, differenceMinor: -106n });
  });

  it('reconcile: an empty statement and an empty file agree', () => {
    assert.equal(new Reconciler('EUR', 1).finish().ok, true);
  });
});
