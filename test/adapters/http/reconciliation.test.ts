/**
 * Reconciliation (issue 6 §3): a closed statement of the demo data set against declaration files
 * with every kind of discrepancy, over HTTP and with `palier reconcile`, on both databases. The
 * expected reports are written by hand from the tariff (kiosque-paliers on a Tuesday daytime:
 * 0.53 € a started minute for three minutes, then 0.34 €).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { runCli } from '../../../src/cli/program.ts';
import type { CliContext } from '../../../src/cli/context.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { closeDemoPeriod, writeDemoCharge, writeDemoRefund } from '../../support/demo-charges.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { databaseEnv } from '../../support/palier-process.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z'); // September is over in every zone
const MERCHANT_STATEMENT = 'stm_2026-09_merchant_car_orange_mer_depannage_pc';
const CARRIER_STATEMENT = 'stm_2026-09_carrier_car_orange_car_sfr';
const RUN = 'set_2026-09';
const HEADER = 'charge_id,session_id,start,billed_seconds,amount';

/** Six sessions of Alice (Orange) on Dépannage PC (hosted by Orange), Tuesday 15 September 2026, one an hour from 10:00 Paris. */
const SECONDS = [120, 300, 60, 240, 180, 600];
/** By hand: 2 × 0.53; 3 × 0.53 + 2 × 0.34; 0.53; 3 × 0.53 + 0.34; 3 × 0.53; 3 × 0.53 + 7 × 0.34. */
const AMOUNTS = ['1.06', '2.27', '0.53', '1.93', '1.59', '3.97'];

/** Each kind of discrepancy once, and two bad rows (line numbers are the file's: the header is line 1). */
const DISCREPANCIES = [
  HEADER,
  'chg_rec_1,ses_rec_1,2026-09-15T08:00:00Z,120,1.06', //          2: matched
  ',ses_rec_2,2026-09-15T09:00:00Z,300,2.27', //                   3: matched by session id
  'chg_rec_3,ses_rec_3,2026-09-15T10:00:00Z,60,0.60', //           4: amount mismatch
  'chg_rec_4,,2026-09-15T11:00:00Z,242,1.93', //                   5: duration mismatch (2 s > 1 s)
  'chg_rec_4,,2026-09-15T11:00:00Z,240,1.93', //                   6: duplicate of line 5
  'chg_unknown_1,ses_unknown_1,2026-09-16T08:00:00Z,60,0.53', //   7: missing on our side
  'chg_rec_5,ses_rec_5,2026-09-15T14:00:00+02:00,181,1.59', //     8: matched (1 s is within the tolerance)
  'chg_bad,ses_bad,2026-09-31T08:00:00Z,abc,1.234', //             9: three errors
  '', //                                                          10: blank, skipped
  'chg_short,ses_short', //                                       11: too few fields
].join('\r\n');

const EXPECTED = {
  statementId: MERCHANT_STATEMENT, runId: RUN, period: '2026-09', kind: 'merchant', debtorId: 'car_orange', creditorId: 'mer_depannage_pc', currency: 'EUR',
  toleranceSeconds: 1, ok: false,
  rows: { read: 9, invalid: 2 },
  counts: { ours: 6, matched: 5, missingTheirs: 1, missingOurs: 1, amountMismatches: 1, durationMismatches: 1, duplicates: 1, errors: 4 },
  // Ours: 1.06 + 2.27 + 0.53 + 1.93 + 1.59 + 3.97; theirs: every valid row, 1.06 + 2.27 + 0.60 + 1.93 + 1.93 + 0.53 + 1.59.
  totals: { ours: '11.35', theirs: '9.91', difference: '1.44' },
  missingTheirs: [{ chargeId: 'chg_rec_6', sessionId: 'ses_rec_6', start: '2026-09-15T13:00:00.000Z', billedSeconds: 600, amount: '3.97' }],
  missingOurs: [{ line: 7, chargeId: 'chg_unknown_1', sessionId: 'ses_unknown_1', start: '2026-09-16T08:00:00.000Z', billedSeconds: 60, amount: '0.53' }],
  amountMismatches: [{ line: 4, chargeId: 'chg_rec_3', sessionId: 'ses_rec_3', ours: '0.53', theirs: '0.60', difference: '-0.07' }],
  durationMismatches: [{ line: 5, chargeId: 'chg_rec_4', sessionId: 'ses_rec_4', oursSeconds: 240, theirsSeconds: 242, differenceSeconds: -2 }],
  duplicates: [{ line: 6, firstLine: 5, chargeId: 'chg_rec_4', sessionId: null }],
  errors: [
    { line: 9, field: 'start', rule: 'format', message: 'must be an ISO 8601 instant with an offset, such as 2026-10-06T10:00:00Z' },
    { line: 9, field: 'billed_seconds', rule: 'format', message: 'must be a whole number of seconds' },
    { line: 9, field: 'amount', rule: 'precision', message: 'has more decimals than the EUR minor unit' },
    { line: 11, field: 'row', rule: 'columns', message: 'has 2 fields, the header names 5' },
  ],
  truncated: [],
};

describeEachDatabase('reconciliation: a closed statement against a counterparty\'s declaration', ({ target }) => {
  let h: HttpHarness;
  let dir: string;
  /** The declaration of the carrier statement, exactly as we see it. */
  let carrierDeclaration: string;

  const reconcile = (as: string, csv: string, query = `statement=${MERCHANT_STATEMENT}`, run = RUN, headers: Record<string, string> = { 'content-type': 'text/csv' }): Promise<CallResult> =>
    h.call('POST', `/v1/settlements/${run}/reconciliations?${query}`, { token: h.key(as), rawBody: csv, headers, idempotencyKey: null });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => START_MS, env: databaseEnv(target().config()) };
    const code = await runCli(argv, context);
    return { code, out, err };
  }

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palier-reconcile-'));
    h = await startHarness(target().config(), START_MS);
    const store = h.server.storage.store;
    const alice = h.subscriber('Alice');
    const charges = [];
    for (const [i, seconds] of SECONDS.entries()) {
      charges.push(await writeDemoCharge(store, { tag: `rec_${i + 1}`, subscriberId: alice, offerId: 'off_windows_help', startMs: Date.parse(`2026-09-15T${String(8 + i).padStart(2, '0')}:00:00Z`), seconds }));
    }
    assert.deepEqual(charges.map((c) => c.amount.toString()), AMOUNTS, 'the tariff bills what the hand computation says');
    // A refund is an item of the statement too, but not a line of a declaration: it must not count as ours.
    const sixth = charges[5];
    assert.ok(sixth !== undefined);
    await writeDemoRefund(store, sixth, 50n, Date.parse('2026-09-20T10:00:00Z'));
    // Alice on an offer hosted by SFR: the carrier statement Orange → SFR.
    const legal = await writeDemoCharge(store, { tag: 'rec_legal', subscriberId: alice, offerId: 'off_legal_advice', startMs: Date.parse('2026-09-16T08:00:00Z'), seconds: 95 });
    carrierDeclaration = `${HEADER}\n${legal.id},${legal.sessionId},2026-09-16T08:00:00Z,${legal.billedSeconds},${legal.amount.toString()}\n`;
    await closeDemoPeriod(store, '2026-09', START_MS);
  });
  after(async () => {
    await h.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each kind of discrepancy once: the report, as written by hand', async () => {
    const result = await reconcile('car_orange', DISCREPANCIES);
    assert.equal(result.status, 200, result.text);
    assert.deepEqual(result.body, EXPECTED);
  });

  it('a wider tolerance accepts the 2 s difference; a row naming a charge of another session says so', async () => {
    const csv = `${DISCREPANCIES}\r\nchg_rec_6,ses_rec_1,2026-09-15T13:00:00Z,600,3.97\r\n`;
    const result = await reconcile('car_orange', csv, `statement=${MERCHANT_STATEMENT}&toleranceSeconds=2`);
    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.counts.durationMismatches, 0);
    assert.equal(result.body.counts.missingTheirs, 0, 'the sixth charge is declared now');
    assert.equal(result.body.counts.matched, 6);
    assert.deepEqual((result.body.errors as unknown[]).at(-1), { line: 12, field: 'session_id', rule: 'mismatch', message: 'charge chg_rec_6 is of session ses_rec_6' });
    assert.equal(result.body.totals.difference, '-2.53', 'ours 11.35, theirs 9.91 + 3.97');
  });

  it('the counterparty reconciles the carrier statement: everything matches', async () => {
    const result = await reconcile('car_sfr', carrierDeclaration, `statement=${CARRIER_STATEMENT}`);
    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.ok, true);
    assert.deepEqual(result.body.counts, { ours: 1, matched: 1, missingTheirs: 0, missingOurs: 0, amountMismatches: 0, durationMismatches: 0, duplicates: 0, errors: 0 });
    assert.equal(result.body.totals.difference, '0.00');
    assert.equal((await reconcile('car_orange', carrierDeclaration, `statement=${CARRIER_STATEMENT}`)).body.ok, true, 'the debtor may reconcile it too');
  });

  it('refusals: another party 404, a merchant 403, an open period 409, no header 422, not CSV 415', async () => {
    const refused = async (result: Promise<CallResult>, status: number, code: string): Promise<void> => {
      const answer = await result;
      assert.equal(answer.status, status, answer.text);
      assert.equal(answer.body.code, code);
    };
    await refused(reconcile('car_sfr', DISCREPANCIES), 404, 'statement_not_found');
    await refused(reconcile('car_bouygues', carrierDeclaration, `statement=${CARRIER_STATEMENT}`), 404, 'statement_not_found');
    await refused(reconcile('mer_depannage_pc', DISCREPANCIES), 403, 'forbidden');
    await refused(reconcile('car_orange', DISCREPANCIES, 'statement=stm_2026-10_merchant_car_orange_mer_depannage_pc', 'set_2026-10'), 409, 'period_not_closed');
    await refused(reconcile('car_orange', DISCREPANCIES, 'statement=stm_nope', RUN), 404, 'statement_not_found');
    await refused(reconcile('car_orange', DISCREPANCIES, `statement=${MERCHANT_STATEMENT}`, 'run_nope'), 404, 'settlement_not_found');
    await refused(reconcile('car_orange', 'id,amount\r\nchg_rec_1,1.06\r\n'), 422, 'declaration_invalid');
    await refused(reconcile('car_orange', ''), 422, 'declaration_invalid');
    await refused(reconcile('car_orange', DISCREPANCIES, `statement=${MERCHANT_STATEMENT}`, RUN, { 'content-type': 'application/json' }), 415, 'unsupported_media_type');
    await refused(reconcile('car_orange', DISCREPANCIES, `statement=${MERCHANT_STATEMENT}&toleranceSeconds=3601`), 400, 'validation_failed');
  });

  it('a body announced above 200 MB is refused before a byte of it is read: 413', async () => {
    const url = new URL(`${h.server.url}/v1/settlements/${RUN}/reconciliations?statement=${MERCHANT_STATEMENT}`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(url, {
        method: 'POST', headers: { authorization: `Bearer ${h.key('car_orange')}`, 'content-type': 'text/csv', 'content-length': String(201 * 1024 * 1024) },
      }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => { body += chunk; });
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, body }); request.destroy(); });
      });
      request.on('error', reject);
      request.write(`${HEADER}\r\n`);
    });
    assert.equal(answer.status, 413, answer.body);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'payload_too_large');
  });

  it('our side is the statement\'s charges, refunds left out, the same streamed or read page by page in a transaction', async () => {
    const store = h.server.storage.store;
    const read = async (s: typeof store): Promise<string[]> => {
      const ids: string[] = [];
      const count = await s.eachStatementCharge(MERCHANT_STATEMENT, (batch) => { ids.push(...batch.map((c) => `${c.chargeId}:${c.billedSeconds}:${c.amountMinor}`)); });
      assert.equal(count, ids.length);
      return ids.sort();
    };
    const expected = SECONDS.map((seconds, i) => `chg_rec_${i + 1}:${seconds}:${AMOUNTS[i]?.replace('.', '').replace(/^0+/, '') ?? ''}`).sort();
    assert.deepEqual(await read(store), expected);
    assert.deepEqual(await store.transaction((tx) => read(tx)), expected);
  });

  it('palier reconcile: exit 1 with a summary on discrepancies, the same report with --json, 0 when all matches, 2 on bad input', async () => {
    const theirs = file('theirs.csv', DISCREPANCIES);
    const summary = await cli('reconcile', '--statement', MERCHANT_STATEMENT, '--file', theirs);
    assert.equal(summary.code, 1, summary.err);
    assert.match(summary.out, /missing on their side 1, missing on ours 1, amount mismatches 1, duration mismatches 1, duplicates 1, row errors 4/);
    assert.match(summary.out, /totals: ours 11\.35 EUR, theirs 9\.91 EUR, difference 1\.44 EUR/);
    assert.match(summary.out, /line 4: chg_rec_3: ours 0\.53 EUR, theirs 0\.60 EUR/);
    assert.equal(summary.err, `palier: reconcile: 9 discrepancies between ${MERCHANT_STATEMENT} and ${theirs}\n`);
    const json = await cli('reconcile', '--statement', MERCHANT_STATEMENT, '--file', theirs, '--json');
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.out), EXPECTED);
    const clean = await cli('reconcile', '--statement', CARRIER_STATEMENT, '--file', file('clean.csv', carrierDeclaration), '--tolerance-seconds', '0');
    assert.equal(clean.code, 0, clean.err);
    assert.match(clean.out, /ok: every charge is declared once, exactly/);
    const usage = async (argv: string[], message: RegExp): Promise<void> => {
      const run = await cli(...argv);
      assert.equal(run.code, 2, run.out);
      assert.match(run.err, message);
    };
    await usage(['reconcile', '--statement', MERCHANT_STATEMENT, '--file', join(dir, 'missing.csv')], /cannot read .*missing\.csv: ENOENT/);
    await usage(['reconcile', '--statement', 'stm_2026-10_merchant_car_orange_mer_depannage_pc', '--file', theirs], /period_not_closed: 2026-10 is not closed/);
    await usage(['reconcile', '--statement', MERCHANT_STATEMENT, '--file', file('bad.csv', 'a,b\n1,2\n')], /declaration_invalid: line 1: the header has no charge_id column/);
    await usage(['reconcile', '--statement', MERCHANT_STATEMENT, '--file', theirs, '--tolerance-seconds', '-1'], /--tolerance-seconds: must be a whole number/);
  });
});
