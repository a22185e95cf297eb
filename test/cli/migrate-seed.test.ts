import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KyselyStore, openDatabase } from '../../src/adapters/store/index.ts';
import { CliError } from '../../src/cli/cli-error.ts';
import { registerMigrate } from '../../src/cli/commands/migrate.ts';
import { registerSeed } from '../../src/cli/commands/seed.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { buildProgram, runCli } from '../../src/cli/program.ts';
import { hashApiKeySecret, pseudonymiseMsisdn } from '../../src/domain/index.ts';

const NOW_MS = Date.parse('2026-02-02T09:00:00Z');

/**
 * Runs `palier <argv>` in-process with `env` as its environment. Through runCli once program.ts
 * registers migrate and seed; until then through the same program with the two commands added.
 */
async function run(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => NOW_MS, env };
  const program = buildProgram(context);
  const wired = ['migrate', 'seed'].every((name) => program.commands.some((command) => command.name() === name));
  if (wired) return { code: await runCli(argv, context), out, err };
  registerMigrate(program, context);
  registerSeed(program, context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: 0, out, err };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    err += `palier: ${error.message}\n`;
    return { code: error.exitCode, out, err };
  }
}

describe('cli: palier migrate and palier seed on SQLite', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let sqlitePath = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palier-cli-seed-'));
    sqlitePath = join(dir, 'state', 'palier.sqlite');
    env = { PALIER_SQLITE_PATH: sqlitePath };
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('migrate creates the database, prints the migrations applied, and applies nothing the second time', async () => {
    const first = await run(env, 'migrate');
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^migrate: SQLite .*palier\.sqlite: applied 001-initial/);
    assert.ok(existsSync(sqlitePath));
    const second = await run(env, 'migrate');
    assert.equal(second.out, `migrate: SQLite ${sqlitePath}: schema already up to date\n`);
  });

  it('seed loads the demo once, prints the credentials and writes them beside the database (0600)', async () => {
    const { code, out, err } = await run(env, 'seed');
    assert.equal(code, 0, err);
    // 25 carrier agreements (5 × 5 pairs, on-net included) and 3 merchant agreements.
    assert.match(out, /seed: 5 carriers, 6 subscribers, 3 merchants, 3 offers \(3 tariff versions\), 28 agreements, 7 API keys/);
    assert.match(out, /created the MSISDN key file .*msisdn\.key/);

    const credentialsPath = join(dir, 'state', 'demo-credentials.json');
    assert.equal(statSync(credentialsPath).mode & 0o777, 0o600);
    const credentials = JSON.parse(readFileSync(credentialsPath, 'utf8')) as {
      apiKeys: { secret: string; role: string; scopeId: string }[]; subscribers: { id: string; msisdn: string }[];
    };
    assert.equal(credentials.apiKeys.length, 7);
    for (const key of credentials.apiKeys) assert.ok(out.includes(key.secret), 'each secret is printed once');

    const keyPath = join(dir, 'state', 'msisdn.key');
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const msisdnKey = new Uint8Array(Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'hex'));
    assert.equal(msisdnKey.length, 32);

    const database = openDatabase({ dialect: 'sqlite', path: sqlitePath });
    try {
      const store = new KyselyStore(database.db, database.dialect);
      for (const key of credentials.apiKeys) assert.equal((await store.findApiKeyByHash(hashApiKeySecret(key.secret)))?.scopeId, key.scopeId);
      for (const subscriber of credentials.subscribers) {
        assert.equal((await store.findSubscriberByMsisdnHmac(pseudonymiseMsisdn(subscriber.msisdn, msisdnKey)))?.id, subscriber.id);
      }
    } finally {
      await database.close();
    }
  });

  it('seed on a database that holds data says so, exits 0 and leaves the key and credentials files alone', async () => {
    const credentialsPath = join(dir, 'state', 'demo-credentials.json');
    const before = readFileSync(credentialsPath, 'utf8');
    const keyBefore = readFileSync(join(dir, 'state', 'msisdn.key'), 'utf8');
    const { code, out } = await run(env, 'seed');
    assert.equal(code, 0);
    assert.match(out, /already holds data: nothing seeded/);
    assert.ok(!out.includes('pk_demo_'));
    assert.equal(readFileSync(credentialsPath, 'utf8'), before);
    assert.equal(readFileSync(join(dir, 'state', 'msisdn.key'), 'utf8'), keyBefore);
  });

  it('seed uses PALIER_MSISDN_KEY when set, and refuses a short or non-hex one (exit 2, one line)', async () => {
    const fresh = join(dir, 'other', 'palier.sqlite');
    const short = await run({ PALIER_SQLITE_PATH: fresh, PALIER_MSISDN_KEY: 'ab'.repeat(16) }, 'seed');
    assert.equal(short.code, 2);
    assert.equal(short.err, 'palier: PALIER_MSISDN_KEY must be at least 32 bytes (64 hex digits), got 16\n');
    const notHex = await run({ PALIER_SQLITE_PATH: fresh, PALIER_MSISDN_KEY: 'z'.repeat(64) }, 'seed');
    assert.equal(notHex.code, 2);
    assert.match(notHex.err, /^palier: PALIER_MSISDN_KEY must be hexadecimal/);

    const key = 'c3'.repeat(32);
    const seeded = await run({ PALIER_SQLITE_PATH: fresh, PALIER_MSISDN_KEY: key }, 'seed');
    assert.equal(seeded.code, 0, seeded.err);
    assert.ok(!seeded.out.includes('created the MSISDN key file'));
    assert.ok(!existsSync(join(dir, 'other', 'msisdn.key')), 'no key file when the variable gives the key');
  });

  it('a DATABASE_URL that is not postgres:// is a one-line usage error', async () => {
    for (const command of ['migrate', 'seed']) {
      const { code, err } = await run({ DATABASE_URL: 'mysql://localhost/palier' }, command);
      assert.equal(code, 2);
      assert.equal(err, 'palier: DATABASE_URL must be a postgres:// URL (unset it for the embedded SQLite database)\n');
    }
  });

  it('an unreachable PostgreSQL is a one-line error (exit 2) that does not print DATABASE_URL', async () => {
    for (const command of ['migrate', 'seed']) {
      const { code, err } = await run({ DATABASE_URL: 'postgres://palier:s3cret@127.0.0.1:1/none' }, command);
      assert.equal(code, 2);
      assert.match(err, /^palier: cannot migrate PostgreSQL \(DATABASE_URL\): /);
      assert.equal(err.split('\n').length, 2);
      assert.ok(!err.includes('s3cret'));
    }
  });
});
