/**
 * The storage benchmark's workload: fresh databases, a world of parties, rated sessions closed in
 * bulk (charges and journals pre-built, holds placed during setup), and the after-run check that
 * every close really wrote what it should, so a benchmark cannot silently measure failures.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { CloseCharge, Store } from '../../src/app/ports/index.ts';
import { type OpenDatabase, openDatabase } from '../../src/adapters/store/database.ts';
import { migrate } from '../../src/adapters/store/migrate.ts';
import { asBigInt } from '../../src/adapters/store/row-values.ts';
import type { Database } from '../../src/adapters/store/tables.ts';
import { Money } from '../../src/domain/index.ts';
import { buildWorld, chargeFor, T0_MS, type World } from '../support/world.ts';
import { info } from './harness.ts';

export const PG_URL = process.env['PALIER_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Sessions per subscriber: a subscriber's monthly budget check reads only its own holds, as in life. */
const SESSIONS_PER_SUBSCRIBER = 20;
/** Holds placed per setup transaction. */
const HOLDS_PER_SETUP_TRANSACTION = 500;
const MONTHLY_CAP = Money.of('1000.00', 'EUR');
const PERIOD = '2026-10';

export interface FreshDatabase {
  readonly database: OpenDatabase;
  /** What the figures were measured on (file system, schema). */
  readonly where: string;
  dispose(): Promise<void>;
}

/** A migrated SQLite file in a new temporary directory, removed by `dispose`. */
export async function freshSqlite(): Promise<FreshDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'palier-bench-'));
  const path = join(dir, 'palier.sqlite');
  const database = openDatabase({ dialect: 'sqlite', path });
  await migrate(database.db, 'sqlite');
  return { database, where: path, dispose: async () => { await database.close(); rmSync(dir, { recursive: true, force: true }); } };
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(text);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Null when PostgreSQL answers, else why not. */
export async function postgresProblem(): Promise<string | null> {
  try {
    await adminQuery('select 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A migrated schema of its own on the PostgreSQL server, dropped by `dispose`. */
export async function freshPostgres(poolSize: number): Promise<FreshDatabase> {
  const schema = `palier_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const database = openDatabase({ dialect: 'postgres', url: PG_URL, searchPath: schema, poolSize });
  await migrate(database.db, 'postgres');
  return {
    database, where: `schema ${schema}`,
    dispose: async () => { await database.close(); await adminQuery(`drop schema if exists ${schema} cascade`); },
  };
}

/** Runs `work` on a fresh PostgreSQL schema (dropped after), or prints `label` skipped when the server is not reachable. */
export async function onFreshPostgres(label: string, poolSize: number, work: (fresh: FreshDatabase) => Promise<void>): Promise<void> {
  const problem = await postgresProblem();
  if (problem !== null) {
    info(label, `skipped: not reachable (${problem})`);
    return;
  }
  const fresh = await freshPostgres(poolSize);
  try {
    await work(fresh);
  } finally {
    await fresh.dispose();
  }
}

/** What the closes run so far must have written. */
interface Expected {
  charges: number;
  postings: number;
  amountMinor: bigint;
  readonly balances: Map<string, bigint>;
}

/**
 * Rated sessions ready to close: a world (two carriers, a merchant, an offer), subscribers added
 * as sessions need them, each session's charge and journal built and its hold placed up front.
 * `closed` records each close the benchmark performs; `verify` checks the database.
 */
export class CloseWorkload {
  private sessions = 0;
  private readonly expected: Expected = { charges: 0, postings: 0, amountMinor: 0n, balances: new Map() };
  /** Findings of `verify` that are not failures of the benchmark. */
  readonly notes: string[] = [];

  private constructor(private readonly store: Store, private readonly world: World) {}

  static async create(store: Store): Promise<CloseWorkload> {
    return new CloseWorkload(store, await buildWorld(store, 'bench'));
  }

  /** Builds `count` closes (outside any timing) and places their holds, committed before returning. */
  async prepare(count: number): Promise<CloseCharge[]> {
    const closes: CloseCharge[] = [];
    for (let i = 0; i < count; i += 1) {
      const index = this.sessions;
      this.sessions += 1;
      const subscriberId = `sub_bench_${String(Math.floor(index / SESSIONS_PER_SUBSCRIBER))}`;
      if (index % SESSIONS_PER_SUBSCRIBER === 0) {
        await this.store.insertSubscriber({
          id: subscriberId, msisdnHmac: `hmac_${subscriberId}`, billingCarrierId: this.world.billingCarrierId, monthlyCap: MONTHLY_CAP, status: 'active',
        }, T0_MS);
      }
      // 1 to 20 minutes, so amounts and the rating's spans vary from one session to the next.
      const seconds = 60 + ((index * 37) % 1140);
      closes.push(chargeFor({ ...this.world, subscriberId }, `ses_bench_${String(index)}`, seconds));
    }
    for (let start = 0; start < closes.length; start += HOLDS_PER_SETUP_TRANSACTION) {
      await this.store.transaction(async (tx) => {
        for (const { charge } of closes.slice(start, start + HOLDS_PER_SETUP_TRANSACTION)) {
          const placed = await tx.placeHold({
            id: `hld_${charge.sessionId}`, subscriberId: charge.subscriberId, sessionId: charge.sessionId, period: PERIOD, currency: 'EUR',
            // The hold reserves the cap estimate: the billed amount plus a margin, as a session would.
            amountMinor: charge.amount.toMinorUnits() + 100n, monthlyCapMinor: MONTHLY_CAP.toMinorUnits(), atMs: T0_MS,
          });
          assert.ok(placed.ok, 'setup: the hold fits the monthly budget');
        }
      });
    }
    return closes;
  }

  /** Records a close that the benchmark performed (and that reported writing). */
  closed({ charge, journal }: CloseCharge): void {
    this.expected.charges += 1;
    this.expected.postings += journal.postings.length;
    this.expected.amountMinor += charge.amount.toMinorUnits();
    for (const posting of journal.postings) {
      const key = `${posting.account}|${posting.currency}`;
      this.expected.balances.set(key, (this.expected.balances.get(key) ?? 0n) + posting.amountMinor);
    }
  }

  /**
   * Checks the database against every recorded close: charge count and amounts, journals and
   * postings, every running balance (against the expectation and against the sum of its
   * postings), and the holds posted at the charged amounts. Throws on any difference.
   */
  async verify(db: Kysely<Database>, sample: readonly CloseCharge[]): Promise<string> {
    const expected = this.expected;
    const one = <T>(rows: readonly T[]): T => { assert.equal(rows.length, 1); return rows[0] as T; };
    const charges = one(await db.selectFrom('charges').select((eb) => [eb.fn.countAll<bigint>().as('n'), eb.fn.sum<bigint | string>('amount_minor').as('total')]).execute());
    assert.equal(asBigInt(charges.n), BigInt(expected.charges), 'one charge per close');
    assert.equal(asBigInt(charges.total), expected.amountMinor, 'charged amounts');
    const journals = one(await db.selectFrom('ledger_journals').select((eb) => eb.fn.countAll<bigint>().as('n')).execute());
    assert.equal(asBigInt(journals.n), BigInt(expected.charges), 'one journal per close');
    const postings = one(await db.selectFrom('ledger_postings').select((eb) => eb.fn.countAll<bigint>().as('n')).execute());
    assert.equal(asBigInt(postings.n), BigInt(expected.postings), 'postings');
    const balances = await db.selectFrom('ledger_balances').select(['account', 'currency', 'balance_minor']).execute();
    assert.equal(balances.length, expected.balances.size, 'one running balance per account touched');
    let sumMinor = 0n;
    for (const row of balances) {
      assert.equal(asBigInt(row.balance_minor), expected.balances.get(`${row.account}|${row.currency}`), `running balance of ${row.account}`);
      sumMinor += asBigInt(row.balance_minor);
    }
    assert.equal(sumMinor, 0n, 'the running balances sum to zero');
    const sums = await db.selectFrom('ledger_postings').select(['account', 'currency', (eb) => eb.fn.sum<bigint | string>('amount_minor').as('total')])
      .groupBy(['account', 'currency']).execute();
    for (const row of sums) assert.equal(asBigInt(row.total), expected.balances.get(`${row.account}|${row.currency}`), `postings of ${row.account}`);
    const holds = await db.selectFrom('holds').select(['status', (eb) => eb.fn.countAll<bigint>().as('n'), (eb) => eb.fn.sum<bigint | string | null>('posted_minor').as('posted')])
      .groupBy('status').execute();
    assert.deepEqual(holds.map((h) => h.status), ['posted'], 'every placed hold was posted');
    assert.equal(asBigInt(one(holds).n), BigInt(expected.charges));
    assert.equal(asBigInt(one(holds).posted ?? 0n), expected.amountMinor, 'holds posted at the charged amounts');
    // Read back through the store (row mappers included), then the stored text of the precise amount.
    for (const { charge } of sample) {
      const row = await db.selectFrom('charges').select(['amount_minor', 'amount_precise', 'split_json']).where('session_id', '=', charge.sessionId).executeTakeFirst();
      assert.ok(row !== undefined, `the charge of ${charge.sessionId} is stored`);
      assert.equal(asBigInt(row.amount_minor), charge.amount.toMinorUnits());
      assert.equal(row.amount_precise, charge.precise.toString(), 'the precise amount is stored beside the rounded one');
      const stored = await this.store.getChargeForSession(charge.sessionId);
      assert.equal(stored?.amount.toString(), charge.amount.toString(), 'a charge reads back through the store');
      assert.ok(stored.precise.equals(charge.precise), 'its precise amount too, however long');
      assert.deepEqual(stored.split, charge.split);
    }
    return `${expected.charges.toLocaleString('en-US')} charges, ${expected.postings.toLocaleString('en-US')} postings, ${balances.length} running balances = sum of postings, holds posted`;
  }
}
