/**
 * Issue 6 §6 benchmark: reconciling a 1,000,000-line counterparty file against a closed statement
 * of 1,000,000 charges, on SQLite. Targets: ≤ 30 s wall time, ≤ 1 GB of memory.
 *
 * Method. A fresh SQLite file; the parties through the Store port and one real charge (for its
 * journal); then a million charges and the statement items that settle them with two
 * INSERT … SELECT over a recursive counter (seconds, not the subject). The declaration is written
 * to a temporary file with known discrepancies: charges left out, wrong amounts, durations off by
 * more than the tolerance, duplicated rows, unknown charges, rows that break the format. The timed
 * part is what `palier reconcile` does: the statement's charges streamed from a worker thread
 * into the index, then the file streamed from disk through the CSV reader and the matcher. The
 * process's resident set is sampled every 20 ms during the run (its peak is the figure; the
 * resident set before the run is printed beside it). The report's counts are checked against the
 * discrepancies written.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { KyselyStore } from '../../src/adapters/store/index.ts';
import { closedStatement, reconcileStatement } from '../../src/app/settlement/reconcile.ts';
import { buildWorld, chargeFor } from '../support/world.ts';
import { freshSqlite } from './close-workload.ts';
import { info, report } from './harness.ts';

const CHARGES = 1_000_000;
const WALL_S_TARGET = 30;
const RSS_BYTES_TARGET = 1024 ** 3;
const PERIOD_START_MS = Date.parse('2026-10-01T00:00:00Z');
const STATEMENT_ID = 'stm_2026-10_merchant_car_host_b_mer_b';

const chargeId = (i: number): string => `chg_01JBENCH${String(i).padStart(16, '0')}`;
const sessionId = (i: number): string => `ses_01JBENCH${String(i).padStart(16, '0')}`;
/** The bulk charges' figures, the same in SQL and here: a start every 2 s, 60–659 billed seconds, 0.53 € a started minute. */
const startMs = (i: number): number => PERIOD_START_MS + i * 2000;
const billedSeconds = (i: number): number => 60 + (i % 600);
const amountMinor = (i: number): number => 53 * Math.ceil(billedSeconds(i) / 60);

interface Expected {
  missingTheirs: number;
  missingOurs: number;
  amountMismatches: number;
  durationMismatches: number;
  duplicates: number;
  invalidRows: number;
  lines: number;
}

/** A million charges and the items of a closed merchant statement settling them, in bulk. */
export async function seedStatement(store: KyselyStore, db: Awaited<ReturnType<typeof freshSqlite>>['database']['db']): Promise<void> {
  const world = await buildWorld(store, 'b');
  const { charge, journal } = chargeFor(world, 'ses_bench_seed', 60);
  await store.closeCharge({ charge, journal });
  await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${CHARGES})
    insert into charges (id, session_id, subscriber_id, merchant_id, offer_id, billing_carrier_id, hosting_carrier_id, tariff_hash, currency, metered_s, billed_s,
      amount_minor, amount_precise, net_minor, vat_minor, split_json, rating_json, journal_id, metering_started_at_ms, created_at_ms)
    select printf('chg_01JBENCH%016d', i), printf('ses_01JBENCH%016d', i), ${world.subscriberId}, ${world.merchantId}, ${world.offerId}, ${world.billingCarrierId},
      ${world.hostingCarrierId}, ${world.tariff.hash}, 'EUR', 60 + (i % 600), 60 + (i % 600), 53 * ((60 + (i % 600) + 59) / 60), '0', 0, 0, '{}', '{}', ${charge.journalId},
      ${PERIOD_START_MS} + i * 2000, ${PERIOD_START_MS} + i * 2000 + 600000 from n`.execute(db);
  await sql`insert into settlement_runs (id, period, closed_at_ms, report_json) values ('set_2026-10', '2026-10', ${PERIOD_START_MS + 40 * 86_400_000}, '{}')`.execute(db);
  await sql`insert into statements (id, run_id, period, kind, debtor_id, creditor_id, currency, amount_due_minor, body_json)
    values (${STATEMENT_ID}, 'set_2026-10', '2026-10', 'merchant', ${world.hostingCarrierId}, ${world.merchantId}, 'EUR', 0, '{}')`.execute(db);
  await sql`insert into statement_items (kind, item_type, item_id, statement_id, home_period)
    select 'merchant', 'charge', id, ${STATEMENT_ID}, '2026-10' from charges where id like 'chg_01JBENCH%'`.execute(db);
}

/** Writes the declaration with its discrepancies, 10,000 rows per write; returns what the report must count. */
export function writeDeclaration(path: string): Expected {
  const expected: Expected = { missingTheirs: 0, missingOurs: 0, amountMismatches: 0, durationMismatches: 0, duplicates: 0, invalidRows: 0, lines: 0 };
  const fd = openSync(path, 'w');
  let rows: string[] = ['charge_id,session_id,start,billed_seconds,amount'];
  const row = (id: string, session: string, ms: number, seconds: number, minor: number): string =>
    `${id},${session},${new Date(ms).toISOString()},${seconds},${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
  for (let i = 1; i <= CHARGES; i += 1) {
    if (i % 2000 === 0) { expected.missingTheirs += 1; continue; }
    const wrongAmount = i % 1000 === 7;
    const wrongDuration = i % 1500 === 3;
    if (wrongAmount) expected.amountMismatches += 1;
    if (wrongDuration) expected.durationMismatches += 1;
    const line = row(chargeId(i), sessionId(i), startMs(i), billedSeconds(i) + (wrongDuration ? 5 : 0), amountMinor(i) + (wrongAmount ? 1 : 0));
    rows.push(line);
    if (i % 5000 === 11) { rows.push(line); expected.duplicates += 1; }
    if (i % 3333 === 0) { rows.push(row(`chg_unknown_${i}`, `ses_unknown_${i}`, startMs(i), 60, 53)); expected.missingOurs += 1; }
    if (i % 10_000 === 17) { rows.push(`${chargeId(i)},,not a date,-1,1.234`); expected.invalidRows += 1; }
    if (rows.length >= 10_000) {
      expected.lines += rows.length;
      writeSync(fd, `${rows.join('\n')}\n`);
      rows = [];
    }
  }
  expected.lines += rows.length;
  writeSync(fd, `${rows.join('\n')}\n`);
  closeSync(fd);
  return expected;
}

export async function runReconcileBenchmarks(): Promise<void> {
  const fresh = await freshSqlite();
  const dir = mkdtempSync(join(tmpdir(), 'palier-reconcile-bench-'));
  try {
    const store = new KyselyStore(fresh.database.db, 'sqlite', false, fresh.where);
    const seededAt = performance.now();
    await seedStatement(store, fresh.database.db);
    const file = join(dir, 'theirs.csv');
    const expected = writeDeclaration(file);
    info('setup', `${CHARGES.toLocaleString('en-US')} charges and statement items, ${expected.lines.toLocaleString('en-US')}-line declaration in ${((performance.now() - seededAt) / 1000).toFixed(1)} s`);
    const statement = await closedStatement(store, STATEMENT_ID);
    if (!statement.ok) throw new Error(statement.error.detail);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
    const started = performance.now();
    const result = await reconcileStatement({ store }, { statement: statement.value, declaration: createReadStream(file, { highWaterMark: 256 * 1024 }), toleranceSeconds: 1 });
    const wallS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (!result.ok) throw new Error(result.error.detail);
    const { counts, rows } = result.value;
    const checks = [
      counts.ours === CHARGES, counts.missingTheirs === expected.missingTheirs, counts.missingOurs === expected.missingOurs,
      counts.amountMismatches === expected.amountMismatches, counts.durationMismatches === expected.durationMismatches, counts.duplicates === expected.duplicates,
      rows.invalid === expected.invalidRows, rows.read === expected.lines - 1, counts.matched === CHARGES - expected.missingTheirs,
    ];
    info('report', `${rows.read.toLocaleString('en-US')} rows, matched ${counts.matched}, missing theirs ${counts.missingTheirs}, missing ours ${counts.missingOurs}, `
      + `amount ${counts.amountMismatches}, duration ${counts.durationMismatches}, duplicates ${counts.duplicates}, invalid rows ${rows.invalid}, errors ${counts.errors}`);
    report('reconcile: every discrepancy written is found, and nothing else', checks.every(Boolean) ? 'yes' : `no (${checks.map((c) => (c ? '1' : '0')).join('')})`, 'yes', checks.every(Boolean));
    report('reconcile 1,000,000 lines against 1,000,000 charges (SQLite): wall time', `${wallS.toFixed(1)} s`, `≤ ${WALL_S_TARGET} s`, wallS <= WALL_S_TARGET);
    report('reconcile 1,000,000 lines: peak resident memory', `${(rssPeak / 1024 ** 2).toFixed(0)} MB (${(rssBefore / 1024 ** 2).toFixed(0)} MB before)`, '≤ 1024 MB', rssPeak <= RSS_BYTES_TARGET);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await fresh.dispose();
  }
}
