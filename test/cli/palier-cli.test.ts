import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CliContext } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/program.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string): string => `${root}fixtures/tariffs/${name}.json`;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => Date.parse('2026-01-05T10:00:00Z') };
  const code = await runCli(argv, context);
  return { code, out, err };
}

describe('cli: palier quote', () => {
  it('prints billed, precise, currency, billedSeconds, lines and, with --cap, maxAffordableSeconds', async () => {
    const { code, out } = await run('quote', '--tariff', fixture('kiosque-3615'), '--seconds', '61', '--start', '2026-01-05T10:00:00Z', '--cap', '1.00');
    assert.equal(code, 0);
    const result = JSON.parse(out) as Record<string, unknown>;
    assert.equal(result['billed'], '0.68');
    assert.equal(result['precise'], '0.68');
    assert.equal(result['currency'], 'EUR');
    assert.equal(result['billedSeconds'], 120);
    assert.equal(result['maxAffordableSeconds'], 120);
    assert.equal((result['lines'] as unknown[]).length, 1);
  });

  it('--start defaults to now (the injected clock)', async () => {
    const { out } = await run('quote', '--tariff', fixture('kiosque-3615'), '--seconds', '1');
    assert.equal((JSON.parse(out) as { meteringStart: string }).meteringStart, '2026-01-05T10:00:00.000Z');
  });

  const bad: [string, string[], RegExp][] = [
    ['negative seconds', ['--seconds', '-5'], /--seconds: must be a whole number/],
    ['fractional seconds', ['--seconds', '1.5'], /--seconds: must be a whole number/],
    ['huge seconds', ['--seconds', '99999999'], /--seconds: must be a whole number/],
    ['a start without offset', ['--seconds', '5', '--start', '2026-01-05T10:00:00'], /--start: must be an ISO 8601 instant/],
    ['a cap as exponent', ['--seconds', '5', '--cap', '1e3'], /--cap: must be a non-negative decimal/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what} → one-line error, exit 2`, async () => {
      const { code, err, out } = await run('quote', '--tariff', fixture('kiosque-3615'), ...args);
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.match(err, message);
      assert.equal(err.trim().split('\n').length, 1);
    });
  }

  it('a missing file and a file that is not JSON → one line, exit 2', async () => {
    const missing = await run('quote', '--tariff', '/nonexistent.json', '--seconds', '5');
    assert.deepEqual([missing.code, missing.err], [2, 'palier: cannot read /nonexistent.json: ENOENT\n']);
    const notJson = await run('quote', '--tariff', `${root}eslint.config.js`, '--seconds', '5');
    assert.equal(notJson.code, 2);
    assert.match(notJson.err, /is not valid JSON/);
  });
});

describe('cli: palier tariff check', () => {
  it('exits 0 for a valid tariff and names its profile and hash', async () => {
    const { code, out } = await run('tariff', 'check', fixture('sva-089-per-second'));
    assert.equal(code, 0);
    assert.match(out, /valid fr-sva-2015 tariff sha256:[0-9a-f]{64}/);
  });

  it('exits 1 listing every violation for another profile', async () => {
    const { code, err } = await run('tariff', 'check', fixture('kiosque-paliers'), '--profile', 'fr-sva-2015');
    assert.equal(code, 1);
    assert.match(err, /bands: SVA prices are the same at any hour and day \[sva_no_time_variation\]/);
    assert.match(err, /tiers: SVA prices do not vary with duration: one tier only \[sva_single_tier\]/);
  });

  it('an unknown profile or command is a usage error', async () => {
    assert.equal((await run('tariff', 'check', fixture('kiosque-3615'), '--profile', 'moon')).code, 2);
    assert.equal((await run('frobnicate')).code, 2);
  });

  it('the installed bin runs as a process and never prints a stack trace', () => {
    const result = spawnSync(process.execPath, [`${root}bin/palier.js`, 'quote', '--tariff', '/nope.json', '--seconds', 'x'], { encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
