import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { type DatabaseConfig, type DialectName, KyselyStore, LEDGER_CHECKS, type LedgerBreach, type LedgerReport, verifyLedger } from '../../../src/adapters/store/index.ts';
import type { Database } from '../../../src/adapters/store/tables.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import type { CliContext } from '../../../src/cli/context.ts';
import { runCli } from '../../../src/cli/program.ts';
import { settlePeriod } from '../../../src/app/settlement/settle-period.ts';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import { Accounts, Money, reversalOf } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildWorld, chargeFor, T0_MS, type World } from '../../support/world.ts';

const MONTH = { period: '2026-10', currency: 'EUR', monthlyCapMinor: 10n ** 9n, atMs: T0_MS } as const;

/** Runs `palier ledger verify` in-process against `config`, through the environment as a user would. */
async function runLedgerVerify(config: DatabaseConfig, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
  let env: NodeJS.ProcessEnv = { PALIER_SQLITE_PATH: config.dialect === 'sqlite' ? config.path : '/nonexistent/palier.sqlite' };
  if (config.dialect === 'postgres') {
    const url = new URL(config.url);
    if (config.searchPath !== undefined) url.searchParams.set('options', `-c search_path=${config.searchPath}`);
    env = { DATABASE_URL: url.toString() };
  }
  return runLedgerVerifyWith(env, ...flags);
}

async function runLedgerVerifyWith(env: NodeJS.ProcessEnv, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => T0_MS, env };
  const code = await runCli(['ledger', 'verify', ...flags], context);
  return { code, out, err };
}

describe('cli: palier ledger verify without a usable database', () => {
  it('a missing SQLite file → exit 2 with one line, and no database is created', async () => {
    const path = join(tmpdir(), `palier-missing-${process.pid}`, 'palier.sqlite');
    const { code, out, err } = await runLedgerVerifyWith({ PALIER_SQLITE_PATH: path });
    assert.deepEqual({ code, out, err }, { code: 2, out: '', err: `palier: no database at ${path} (set PALIER_SQLITE_PATH, or DATABASE_URL for PostgreSQL)\n` });
    assert.equal(existsSync(path), false);
  });

  it('a DATABASE_URL that is not postgres:// → exit 2 with one line', async () => {
    const { code, err } = await runLedgerVerifyWith({ DATABASE_URL: 'mysql://root@localhost/palier' });
    assert.equal(code, 2);
    assert.equal(err.trim().split('\n').length, 1);
    assert.match(err, /DATABASE_URL must be a postgres:\/\/ URL/);
  });
});

describeEachDatabase('ledger verify: a ledger written through the store', ({ database, target }) => {
  let store: Store;
  let world: World;
  before(async () => {
    const { db, dialect } = database();
    store = new KyselyStore(db, dialect);
    world = await buildWorld(store);
    for (const [sessionId, seconds] of [['ses_held', 200], ['ses_long', 1000], ['ses_short', 61]] as const) {
      if (sessionId !== 'ses_long') assert.ok((await store.placeHold({ ...MONTH, id: `hld_${sessionId}`, subscriberId: world.subscriberId, sessionId, amountMinor: 3000n })).ok);
      await store.closeCharge(chargeFor(world, sessionId, seconds));
    }
    assert.ok((await store.placeHold({ ...MONTH, id: 'hld_voided', subscriberId: world.subscriberId, sessionId: 'ses_voided', amountMinor: 3000n })).ok);
    await store.voidHold('ses_voided', T0_MS);
    assert.ok((await store.placeHold({ ...MONTH, id: 'hld_live', subscriberId: world.subscriberId, sessionId: 'ses_live', amountMinor: 3000n })).ok);
    const original = await store.getJournal('jnl_ses_long');
    assert.ok(original !== null);
    await store.appendJournal(reversalOf(original, { causeType: 'charge', causeId: 'chg_ses_long', description: 'billed in error' }), { id: 'jnl_reversal', atMs: T0_MS + 1 });
    await store.appendJournal({
      kind: 'refund', causeType: 'refund', causeId: 'rfd_1', reversesJournalId: null, description: 'goodwill refund',
      postings: [
        { account: Accounts.subscriberReceivable(world.subscriberId), currency: 'EUR', amountMinor: -50n },
        { account: Accounts.carrierRevenue(world.billingCarrierId), currency: 'EUR', amountMinor: 50n },
      ],
    }, { id: 'jnl_refund', atMs: T0_MS + 2 });
    await db.insertInto('refunds').values({
      id: 'rfd_1', charge_id: 'chg_ses_held', amount_minor: 50n, currency: 'EUR', reason: 'goodwill', journal_id: 'jnl_refund', created_by: 'test', created_at_ms: T0_MS + 2,
    }).execute();
  });

  it('closed charges, posted, voided and pending holds, a reversal and a refund verify clean, every check run', async () => {
    const report = await verifyLedger(database().db, database().dialect);
    assert.deepEqual(report.breaches, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks, LEDGER_CHECKS);
    assert.deepEqual(report.truncatedChecks, []);
    // 3 charge journals of 7 postings, their reversal (7) and the refund (2); 7 accounts.
    assert.deepEqual(report.checked, { journals: 5, postings: 30, balances: 7, charges: 3, refunds: 1, holds: 4, statements: 0 });
  });

  it('verifying writes nothing: the report is the same twice and inside a caller\'s transaction', async () => {
    const { db, dialect } = database();
    const first = await verifyLedger(db, dialect);
    assert.deepEqual(await verifyLedger(db, dialect), first);
    assert.deepEqual(await db.transaction().execute((tx) => verifyLedger(tx, dialect)), first);
  });

  it('palier ledger verify exits 0 and says that every invariant holds', async () => {
    const { code, out, err } = await runLedgerVerify(target().config());
    assert.deepEqual({ code, err }, { code: 0, err: '' });
    assert.match(out, /checked 5 journals, 30 postings, 7 balances, 3 charges, 1 refund, 4 holds, 0 statements against 17 checks/);
    assert.match(out, /ok: every invariant holds/);
  });

  it('palier ledger verify --json prints the full report', async () => {
    const { code, out } = await runLedgerVerify(target().config(), '--json');
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), JSON.parse(JSON.stringify(await verifyLedger(database().db, database().dialect))));
  });
});

/** Lifts the append-only triggers and foreign keys: only ever on this suite's throwaway database. */
async function allowCorruption(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    // DISABLE TRIGGER ALL also disables the foreign-key triggers of these tables.
    for (const table of ['ledger_postings', 'ledger_journals', 'charges', 'refunds', 'holds', 'statements']) await sql`alter table ${sql.table(table)} disable trigger all`.execute(db);
    return;
  }
  for (const trigger of ['ledger_postings_no_update', 'ledger_postings_no_delete', 'charges_no_update', 'statements_no_update']) await sql`drop trigger ${sql.ref(trigger)}`.execute(db);
  await sql`pragma foreign_keys = off`.execute(db);
}

/** A breach by check and ids: its detail may change as later writes touch the same account. */
const key = (breach: LedgerBreach): string => JSON.stringify([breach.check, breach.ids]);

/** A check and the ids it names, sorted: what a corruption is expected to add to the report. */
type Found = readonly [check: string, ids: readonly string[]];
const sorted = (found: readonly Found[]): string[] => found.map((f) => JSON.stringify(f)).sort();

describeEachDatabase('ledger verify: each deliberate corruption is found, by name', ({ database, target }) => {
  let store: Store;
  let world: World;
  let db: Kysely<Database>;
  let last: LedgerReport;

  /** Applies one corruption and returns the breaches it added to the report. */
  async function corrupt(work: () => Promise<unknown>): Promise<Found[]> {
    await work();
    const report = await verifyLedger(db, database().dialect);
    const known = new Set(last.breaches.map(key));
    last = report;
    return report.breaches.filter((b) => !known.has(key(b))).map((b) => [b.check, b.ids] as const);
  }

  before(async () => {
    db = database().db;
    store = new KyselyStore(db, database().dialect);
    world = await buildWorld(store);
    // October closed with two charges of its own, before the ones the tests below corrupt (which are left unsettled).
    for (const [sessionId, seconds] of [['ses_s1', 125], ['ses_s2', 601]] as const) await store.closeCharge(chargeFor(world, sessionId, seconds));
    const october = await settlePeriod({ store, clock: new ManualClock(Date.parse('2026-11-02T00:00:00Z')) }, { period: '2026-10', close: true });
    assert.ok(october.ok && october.value.statements.length === 2, 'October closed: a carrier statement and a merchant statement');
    for (const n of [1, 2, 3, 4, 5]) {
      assert.ok((await store.placeHold({ ...MONTH, id: `hld_c${n}`, subscriberId: world.subscriberId, sessionId: `ses_c${n}`, amountMinor: 3000n })).ok);
      await store.closeCharge(chargeFor(world, `ses_c${n}`, 60 * n + 1));
    }
    await store.appendJournal(reversalOf((await store.getJournal('jnl_ses_c5')) ?? assert.fail('journal'), {
      causeType: 'charge', causeId: 'chg_ses_c5', description: 'reversed',
    }), { id: 'jnl_reversal', atMs: T0_MS });
    last = await verifyLedger(db, database().dialect);
    assert.equal(last.ok, true, 'the database is clean before it is corrupted');
    await allowCorruption(db, database().dialect);
  });

  it('a posting amount changed → journal_unbalanced, balance_mismatch, charge_receivable_mismatch', async () => {
    const found = await corrupt(() => sql`update ledger_postings set amount_minor = amount_minor + 1 where journal_id = 'jnl_ses_c1' and line = 0`.execute(db));
    assert.deepEqual(sorted(found), sorted([
      ['journal_unbalanced', ['jnl_ses_c1']], ['balance_mismatch', [Accounts.subscriberReceivable(world.subscriberId)]],
      ['charge_receivable_mismatch', ['chg_ses_c1', 'jnl_ses_c1']],
    ]));
  });

  it('a posting deleted → journal_unbalanced, balance_mismatch', async () => {
    const merchantLine = (await store.getJournal('jnl_ses_c2'))?.postings.findIndex((p) => p.account === Accounts.merchantPayable(world.merchantId));
    assert.equal(merchantLine, 6);
    const found = await corrupt(() => sql`delete from ledger_postings where journal_id = 'jnl_ses_c2' and line = 6`.execute(db));
    assert.deepEqual(sorted(found), sorted([['journal_unbalanced', ['jnl_ses_c2']], ['balance_mismatch', [Accounts.merchantPayable(world.merchantId)]]]));
  });

  it('an unbalanced journal inserted with raw SQL, balances kept in step → journal_unbalanced', async () => {
    const found = await corrupt(async () => {
      await sql`insert into ledger_journals (id, kind, cause_type, cause_id, reverses_journal_id, description, created_at_ms)
        values ('jnl_raw', 'adjustment', 'test', 'raw', null, 'written behind the store', ${T0_MS})`.execute(db);
      await sql`insert into ledger_postings (journal_id, line, account, currency, amount_minor)
        values ('jnl_raw', 0, 'carrier:car_u1:revenue', 'EUR', 10), ('jnl_raw', 1, 'carrier:car_u2:revenue', 'EUR', -9)`.execute(db);
      await sql`insert into ledger_balances (account, currency, balance_minor)
        values ('carrier:car_u1:revenue', 'EUR', 10), ('carrier:car_u2:revenue', 'EUR', -9)`.execute(db);
    });
    assert.deepEqual(sorted(found), sorted([['journal_unbalanced', ['jnl_raw']]]));
  });

  it('a journal with a single posting → journal_too_few_postings', async () => {
    const found = await corrupt(async () => {
      await sql`insert into ledger_journals (id, kind, cause_type, cause_id, reverses_journal_id, description, created_at_ms)
        values ('jnl_single', 'adjustment', 'test', 'single', null, 'one line', ${T0_MS})`.execute(db);
      await sql`insert into ledger_postings (journal_id, line, account, currency, amount_minor)
        values ('jnl_single', 0, ${Accounts.carrierRevenue(world.billingCarrierId)}, 'EUR', 0)`.execute(db);
    });
    assert.deepEqual(sorted(found), sorted([['journal_too_few_postings', ['jnl_single']]]));
  });

  it('a posting whose journal does not exist → posting_without_journal', async () => {
    const found = await corrupt(async () => {
      await sql`insert into ledger_postings (journal_id, line, account, currency, amount_minor) values ('jnl_ghost', 0, 'carrier:car_g:revenue', 'EUR', 5)`.execute(db);
      await sql`insert into ledger_balances (account, currency, balance_minor) values ('carrier:car_g:revenue', 'EUR', 5)`.execute(db);
    });
    assert.deepEqual(sorted(found), sorted([['posting_without_journal', ['jnl_ghost']], ['journal_unbalanced', ['jnl_ghost']]]));
  });

  it('a ledger_balances row altered → balance_mismatch; a row deleted → balance_missing', async () => {
    const hostingRevenue = Accounts.carrierRevenue(world.hostingCarrierId);
    const altered = await corrupt(() => sql`update ledger_balances set balance_minor = balance_minor - 100 where account = ${hostingRevenue}`.execute(db));
    assert.deepEqual(sorted(altered), sorted([['balance_mismatch', [hostingRevenue]]]));
    // An account no later test posts to: a posting through the store would recreate the row.
    const deleted = await corrupt(() => sql`delete from ledger_balances where account = 'carrier:car_u2:revenue'`.execute(db));
    assert.deepEqual(sorted(deleted), sorted([['balance_missing', ['carrier:car_u2:revenue']]]));
  });

  it('a posted hold whose amount differs from its charge → hold_posted_mismatch', async () => {
    const found = await corrupt(() => sql`update holds set posted_minor = posted_minor - 1 where id = 'hld_c3'`.execute(db));
    assert.deepEqual(sorted(found), sorted([['hold_posted_mismatch', ['hld_c3', 'chg_ses_c3']]]));
  });

  it('a charge whose split does not sum, and one whose split is not JSON → charge_split_mismatch', async () => {
    const { charge, journal } = chargeFor(world, 'ses_split', 300);
    const split = { ...charge.split, merchantShareMinor: charge.split.merchantShareMinor + 1n };
    const found = await corrupt(() => store.closeCharge({ charge: { ...charge, split }, journal }));
    assert.deepEqual(sorted(found), sorted([['charge_split_mismatch', ['chg_ses_split']]]));
    const malformed = await corrupt(() => sql`update charges set split_json = '{"grossMinor": "1' where id = 'chg_ses_c4'`.execute(db));
    assert.deepEqual(sorted(malformed), sorted([['charge_split_mismatch', ['chg_ses_c4']]]));
  });

  it('a charge whose journal is missing or is another kind → charge_journal_missing, charge_journal_wrong_kind', async () => {
    const found = await corrupt(async () => {
      const row = await db.selectFrom('charges').selectAll().where('id', '=', 'chg_ses_c1').executeTakeFirstOrThrow();
      await db.insertInto('charges').values({ ...row, id: 'chg_nojournal', session_id: 'ses_nojournal', journal_id: 'jnl_nowhere' }).execute();
      await db.insertInto('charges').values({ ...row, id: 'chg_reversal', session_id: 'ses_reversal', journal_id: 'jnl_reversal' }).execute();
    });
    assert.deepEqual(sorted(found), sorted([
      ['charge_journal_missing', ['chg_nojournal', 'jnl_nowhere']], ['charge_receivable_mismatch', ['chg_nojournal', 'jnl_nowhere']],
      ['charge_journal_wrong_kind', ['chg_reversal', 'jnl_reversal']], ['charge_receivable_mismatch', ['chg_reversal', 'jnl_reversal']],
    ]));
  });

  it('a refund whose journal is missing → refund_journal_missing', async () => {
    const found = await corrupt(() => db.insertInto('refunds').values({
      id: 'rfd_orphan', charge_id: 'chg_ses_c2', amount_minor: 10n, currency: 'EUR', reason: 'test', journal_id: 'jnl_nowhere', created_by: 'test', created_at_ms: T0_MS,
    }).execute());
    assert.deepEqual(sorted(found), sorted([['refund_journal_missing', ['rfd_orphan', 'jnl_nowhere']]]));
  });

  it('a reversal of a journal that does not exist → reversal_target_missing', async () => {
    const found = await corrupt(() => store.appendJournal({
      kind: 'reversal', causeType: 'test', causeId: 'nowhere', reversesJournalId: 'jnl_nowhere', description: 'reverses nothing',
      postings: [{ account: 'carrier:car_r1:revenue', currency: 'EUR', amountMinor: 7n }, { account: 'carrier:car_r2:revenue', currency: 'EUR', amountMinor: -7n }],
    }, { id: 'jnl_bad_reversal', atMs: T0_MS }));
    assert.deepEqual(sorted(found), sorted([['reversal_target_missing', ['jnl_bad_reversal', 'jnl_nowhere']]]));
  });

  it('holds: an unknown status, a voided hold with a posting, a pending hold whose session is charged → each by name', async () => {
    const unknown = await corrupt(() => sql`update holds set status = 'settled' where id = 'hld_c5'`.execute(db));
    assert.deepEqual(sorted(unknown), sorted([['hold_status_unknown', ['hld_c5']]]));
    const voided = await corrupt(async () => {
      assert.ok((await store.placeHold({ ...MONTH, id: 'hld_void', subscriberId: world.subscriberId, sessionId: 'ses_void', amountMinor: 100n })).ok);
      await store.voidHold('ses_void', T0_MS);
      await sql`update holds set posted_minor = 100, charge_id = 'chg_ses_c2' where id = 'hld_void'`.execute(db);
    });
    assert.deepEqual(sorted(voided), sorted([['hold_voided_with_posting', ['hld_void', 'chg_ses_c2']]]));
    const pending = await corrupt(async () => {
      await store.closeCharge(chargeFor(world, 'ses_late_hold', 30));
      assert.ok((await store.placeHold({ ...MONTH, id: 'hld_late', subscriberId: world.subscriberId, sessionId: 'ses_late_hold', amountMinor: 100n })).ok);
    });
    assert.deepEqual(sorted(pending), sorted([['hold_pending_with_charge', ['hld_late', 'chg_ses_late_hold']]]));
  });

  it('a month whose posted and held amounts pass the subscriber\'s monthly cap (300.00) → budget_exceeded', async () => {
    // 30,000 minor units held on top of what the month already posted and holds.
    const found = await corrupt(() => sql`insert into holds (id, subscriber_id, session_id, period, currency, amount_minor, status, posted_minor, charge_id, created_at_ms, resolved_at_ms)
      values ('hld_over', ${world.subscriberId}, 'ses_over', '2026-10', 'EUR', 30000, 'pending', null, null, ${T0_MS}, null)`.execute(db));
    assert.deepEqual(sorted(found), sorted([['budget_exceeded', [world.subscriberId]]]));
    assert.match(last.breaches.find((b) => b.check === 'budget_exceeded')?.detail ?? '', /^2026-10: posted and held \d+ EUR minor units, above the monthly cap of 30000$/);
  });

  it('a closed statement whose amount due or body differs from its items\' postings → statement_ledger_mismatch', async () => {
    const carrier = `stm_2026-10_carrier_${world.billingCarrierId}_${world.hostingCarrierId}`;
    const merchant = `stm_2026-10_merchant_${world.hostingCarrierId}_${world.merchantId}`;
    const due = await corrupt(() => sql`update statements set amount_due_minor = amount_due_minor + 1 where id = ${carrier}`.execute(db));
    assert.deepEqual(sorted(due), sorted([['statement_ledger_mismatch', [carrier]]]));
    assert.match(last.breaches.find((b) => b.ids[0] === carrier)?.detail ?? '', /^in minor units, amount due (\d+) in the statement, (\d+) in the ledger$/);
    // The body's VAT (current period, charges) one cent off: the ledger's VAT postings say otherwise.
    const body = await corrupt(async () => {
      const row = await db.selectFrom('statements').select('body_json').where('id', '=', merchant).executeTakeFirstOrThrow();
      const parsed = JSON.parse(row.body_json) as { charges: { vat: string } };
      const vatMinor = Money.of(parsed.charges.vat, 'EUR').toMinorUnits() + 1n;
      const altered = JSON.stringify({ ...parsed, charges: { ...parsed.charges, vat: Money.fromMinorUnits(vatMinor, 'EUR').toString() } });
      await sql`update statements set body_json = ${altered} where id = ${merchant}`.execute(db);
    });
    assert.deepEqual(sorted(body), sorted([['statement_ledger_mismatch', [merchant]]]));
    assert.match(last.breaches.find((b) => b.ids[0] === merchant)?.detail ?? '', /^in minor units, VAT \d+ in the statement, \d+ in the ledger$/);
  });

  it('every check has now fired, and the report stays a value: ok is false, nothing was thrown', () => {
    assert.equal(last.ok, false);
    assert.deepEqual(new Set(last.breaches.map((b) => b.check)), new Set(LEDGER_CHECKS));
  });

  it('palier ledger verify exits 1 on the corrupted database, one breach per line, one line on stderr', async () => {
    const { code, out, err } = await runLedgerVerify(target().config());
    assert.equal(code, 1);
    assert.doesNotMatch(out + err, /\n\s+at /, 'no stack trace');
    assert.match(out, new RegExp(`^${last.breaches.length} breaches:$`, 'm'));
    assert.match(out, /^ {2}journal_unbalanced \[jnl_ses_c1\]: postings in EUR sum to 1, not 0$/m);
    const config = target().config();
    const where = config.dialect === 'sqlite' ? `SQLite ${config.path}` : 'PostgreSQL (DATABASE_URL)';
    assert.equal(err, `palier: ledger verify: ${last.breaches.length} breaches found in ${where}\n`);
    const json = await runLedgerVerify(target().config(), '--json');
    assert.equal(json.code, 1);
    assert.deepEqual((JSON.parse(json.out) as LedgerReport).breaches, last.breaches);
  });
});
