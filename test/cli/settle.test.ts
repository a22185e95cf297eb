/**
 * `palier settle` in-process on a SQLite file (docs/settlement.md): a draft, a refusal before the
 * month is over (exit 1, one line), the close, the same bytes on every later run, the CSV with and
 * without a BOM, --carrier, --out, and bad usage (exit 2).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/adapters/store/index.ts';
import { type CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/program.ts';
import { parseCsv, STATEMENT_CSV_COLUMNS } from '../../src/domain/index.ts';
import { buildWorld, chargeFor, T0_MS } from '../support/world.ts';

const AFTER_OCTOBER_MS = Date.parse('2026-11-02T00:00:00Z');

describe('cli: palier settle on SQLite', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};

  async function run(nowMs: number, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => nowMs, env };
    const code = await runCli(argv, context);
    return { code, out, err };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palier-cli-settle-'));
    env = { PALIER_SQLITE_PATH: join(dir, 'palier.sqlite') };
    const opened = await openStore({ dialect: 'sqlite', path: join(dir, 'palier.sqlite') });
    const { store } = opened;
    try {
      for (const tag of ['a', 'b']) {
        const world = await buildWorld(store, tag);
        for (const [i, seconds] of [[1, 600], [2, 61]] as const) {
          const { charge, journal } = chargeFor(world, `ses_${tag}_${i}`, seconds, T0_MS + i * 3_600_000);
          await store.closeCharge({ charge, journal });
        }
      }
    } finally {
      await opened.close();
    }
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('a draft prints the run as JSON: one carrier and one merchant statement per world, not closed', async () => {
    const { code, out, err } = await run(T0_MS + 86_400_000, 'settle', '--period', '2026-10');
    assert.equal(code, 0, err);
    const report = JSON.parse(out);
    assert.equal(report.closed, false);
    assert.deepEqual((report.statements as { id: string }[]).map((s) => s.id), [
      'stm_2026-10_carrier_car_bill_a_car_host_a', 'stm_2026-10_carrier_car_bill_b_car_host_b',
      'stm_2026-10_merchant_car_host_a_mer_a', 'stm_2026-10_merchant_car_host_b_mer_b',
    ]);
  });

  it('--close before the month is over everywhere: exit 1, one line, nothing closed', async () => {
    const early = await run(Date.parse('2026-10-31T22:59:59.999Z'), 'settle', '--period', '2026-10', '--close');
    assert.equal(early.code, 1);
    assert.equal(early.out, '');
    assert.match(early.err, /^palier: settle 2026-10: period_not_over: 2026-10 ends at 2026-10-31T23:00:00.000Z/);
    assert.equal(early.err.trim().split('\n').length, 1);
    assert.equal(JSON.parse((await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10')).out).closed, false);
  });

  it('--close after the month, then the same bytes on every later run, with or without --close', async () => {
    const closed = await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--close');
    assert.equal(closed.code, 0, closed.err);
    assert.equal(JSON.parse(closed.out).closedAt, '2026-11-02T00:00:00.000Z');
    for (const args of [[], ['--close']]) {
      const again = await run(AFTER_OCTOBER_MS + 7 * 86_400_000, 'settle', '--period', '2026-10', ...args);
      assert.equal(again.out, closed.out, `byte for byte (${args.join(' ')})`);
    }
    assert.equal(JSON.parse((await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-11')).out).statements.length, 0, 'October\'s items were settled once');
  });

  it('--carrier keeps what that carrier is a party to; --format csv parses back to the same figures', async () => {
    const json = JSON.parse((await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--carrier', 'car_host_a')).out);
    assert.deepEqual((json.statements as { id: string }[]).map((s) => s.id), ['stm_2026-10_carrier_car_bill_a_car_host_a', 'stm_2026-10_merchant_car_host_a_mer_a']);
    assert.deepEqual((json.netting[0].positions as { carrierId: string }[]).map((p) => p.carrierId), ['car_host_a']);
    const csv = await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--carrier', 'car_host_a', '--format', 'csv');
    assert.equal(csv.code, 0, csv.err);
    const parsed = parseCsv(csv.out);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value[0], [...STATEMENT_CSV_COLUMNS]);
    const column = (name: (typeof STATEMENT_CSV_COLUMNS)[number]): string[] => parsed.value.slice(1).map((row) => row[STATEMENT_CSV_COLUMNS.indexOf(name)] ?? '');
    assert.deepEqual(column('statement_id'), (json.statements as { id: string }[]).map((s) => s.id));
    assert.deepEqual(column('amount_due'), (json.statements as { amountDue: string }[]).map((s) => s.amountDue));
    assert.deepEqual(column('gross'), (json.statements as { charges: { gross: string } }[]).map((s) => s.charges.gross));
    assert.deepEqual(column('closed_at'), ['2026-11-02T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
  });

  it('--out writes the export (with --bom, a UTF-8 BOM first) and says so in one line', async () => {
    const file = join(dir, 'october.csv');
    const written = await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--format', 'csv', '--bom', '--out', file);
    assert.equal(written.code, 0, written.err);
    assert.equal(written.out, `settle: 2026-10 closed, 4 statements written to ${file}\n`);
    const bytes = readFileSync(file);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const plain = await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--format', 'csv');
    assert.equal(bytes.subarray(3).toString('utf8'), plain.out);
    const jsonFile = join(dir, 'october.json');
    await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10', '--out', jsonFile);
    assert.equal(`${readFileSync(jsonFile, 'utf8')}\n`, (await run(AFTER_OCTOBER_MS, 'settle', '--period', '2026-10')).out, 'the same bytes as stdout, without the newline');
  });

  const bad: [string, string[], RegExp][] = [
    ['an invalid period', ['--period', '2026-13'], /^palier: settle 2026-13: period_invalid/],
    ['no period', [], /required option '--period/],
    ['an unknown carrier', ['--period', '2026-10', '--carrier', 'car_nope'], /^palier: --carrier: no carrier car_nope/],
    ['an unknown format', ['--period', '2026-10', '--format', 'xml'], /--format.*xml.*invalid|Allowed choices/],
    ['--bom without csv', ['--period', '2026-10', '--bom'], /^palier: --bom: only with --format csv/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what} → one line on stderr, exit 2`, async () => {
      const { code, out, err } = await run(AFTER_OCTOBER_MS, 'settle', ...args);
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.match(err, message);
      assert.equal(err.trim().split('\n').length, 1);
    });
  }

  it('a missing database file is an error (exit 2), never a new empty database', async () => {
    const missing = join(dir, 'none', 'palier.sqlite');
    let err = '';
    const code = await runCli(['settle', '--period', '2026-10'], { stdout: () => undefined, stderr: (t) => { err += t; }, nowMs: () => AFTER_OCTOBER_MS, env: { PALIER_SQLITE_PATH: missing } });
    assert.equal(code, 2);
    assert.equal(err, `palier: no database at ${missing} (set PALIER_SQLITE_PATH, or DATABASE_URL for PostgreSQL)\n`);
  });
});
