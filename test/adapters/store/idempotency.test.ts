/**
 * Idempotency records at the store level (IETF Idempotency-Key draft), on both databases: a claim
 * per (principal, key) with the hash of its request, replayed once completed, refused for another
 * request, kept at least 24 h. Concurrent claims run over separate PostgreSQL connection pools.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { KyselyStore, type OpenDatabase, openDatabase } from '../../../src/adapters/store/index.ts';
import { IDEMPOTENCY_PURGED_PER_STATEMENT } from '../../../src/adapters/store/limits.ts';
import { IDEMPOTENCY_RECORD_TTL_MS } from '../../../src/app/limits.ts';
import type { IdempotencyBegin, Store } from '../../../src/app/ports/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { T0_MS } from '../../support/world.ts';

const HASH_A = 'sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b';
const HASH_B = 'sha256:d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35';
const CREATED = { status: 201, body: '{"id":"ses_1","cap":{"amount":"30.00","currency":"EUR"},"note":"café ☕"}' } as const;
/** Parallel claims per key, and keys raced, in the concurrency tests. */
const CLAIMS_PER_KEY = 16;
const RACED_KEYS = 20;
const POOLS = 4;

describeEachDatabase('idempotency: keys, request hashes and retention', ({ database, target }) => {
  let store: Store;
  /** Stores over separate connections: one pool each on PostgreSQL; the suite's one connection on SQLite. */
  let parallel: Store[];
  let pools: OpenDatabase[] = [];
  /** The store for the `claim`-th of several parallel calls, round robin over the connections. */
  const storeFor = (claim: number): Store => parallel[claim % parallel.length] ?? store;

  before(() => {
    store = new KyselyStore(database().db, database().dialect);
    const config = target().config();
    if (config.dialect === 'postgres') pools = Array.from({ length: POOLS }, () => openDatabase({ ...config, poolSize: POOLS }));
    parallel = pools.length > 0 ? pools.map((pool) => new KyselyStore(pool.db, pool.dialect)) : [store];
  });

  after(async () => { await Promise.all(pools.map((pool) => pool.close())); });

  it('idempotency: a new key starts', async () => {
    assert.deepEqual(await store.beginIdempotent('prn_new', 'key-1', HASH_A, T0_MS), { outcome: 'started' });
  });

  it('idempotency: the same key and request hash after completion replays the stored status and body, every time', async () => {
    assert.equal((await store.beginIdempotent('prn_replay', 'key-1', HASH_A, T0_MS)).outcome, 'started');
    await store.completeIdempotent('prn_replay', 'key-1', CREATED, T0_MS + 5);
    for (const atMs of [T0_MS + 10, T0_MS + 3_600_000]) {
      assert.deepEqual(await store.beginIdempotent('prn_replay', 'key-1', HASH_A, atMs), { outcome: 'replay', response: CREATED });
    }
  });

  it('idempotency: completing a key twice keeps the first response', async () => {
    await store.beginIdempotent('prn_twice', 'key-1', HASH_A, T0_MS);
    await store.completeIdempotent('prn_twice', 'key-1', CREATED, T0_MS + 1);
    await store.completeIdempotent('prn_twice', 'key-1', { status: 500, body: 'second' }, T0_MS + 2);
    assert.deepEqual(await store.beginIdempotent('prn_twice', 'key-1', HASH_A, T0_MS + 3), { outcome: 'replay', response: CREATED });
  });

  it('idempotency: the same key with another request hash is a mismatch, whether the first request is in flight or completed', async () => {
    await store.beginIdempotent('prn_mismatch', 'key-1', HASH_A, T0_MS);
    assert.deepEqual(await store.beginIdempotent('prn_mismatch', 'key-1', HASH_B, T0_MS + 1), { outcome: 'mismatch' });
    await store.completeIdempotent('prn_mismatch', 'key-1', CREATED, T0_MS + 2);
    assert.deepEqual(await store.beginIdempotent('prn_mismatch', 'key-1', HASH_B, T0_MS + 3), { outcome: 'mismatch' });
    assert.deepEqual(await store.beginIdempotent('prn_mismatch', 'key-1', HASH_A, T0_MS + 4), { outcome: 'replay', response: CREATED }, 'a mismatch changes nothing');
  });

  it('idempotency: the same key and request hash while the first is still in flight is in progress', async () => {
    await store.beginIdempotent('prn_flight', 'key-1', HASH_A, T0_MS);
    assert.deepEqual(await store.beginIdempotent('prn_flight', 'key-1', HASH_A, T0_MS + 1), { outcome: 'in_progress' });
    assert.deepEqual(await store.beginIdempotent('prn_flight', 'key-1', HASH_A, T0_MS + 2), { outcome: 'in_progress' });
  });

  it('idempotency: abandoning an in-flight key lets the same key start again, with any request', async () => {
    await store.beginIdempotent('prn_abandon', 'key-1', HASH_A, T0_MS);
    await store.abandonIdempotent('prn_abandon', 'key-1');
    assert.deepEqual(await store.beginIdempotent('prn_abandon', 'key-1', HASH_A, T0_MS + 1), { outcome: 'started' });
    await store.abandonIdempotent('prn_abandon', 'key-1');
    assert.deepEqual(await store.beginIdempotent('prn_abandon', 'key-1', HASH_B, T0_MS + 2), { outcome: 'started' }, 'the abandoned hash is forgotten too');
  });

  it('idempotency: abandoning a completed key changes nothing: it still replays', async () => {
    await store.beginIdempotent('prn_abandon_done', 'key-1', HASH_A, T0_MS);
    await store.completeIdempotent('prn_abandon_done', 'key-1', CREATED, T0_MS + 1);
    await store.abandonIdempotent('prn_abandon_done', 'key-1');
    assert.deepEqual(await store.beginIdempotent('prn_abandon_done', 'key-1', HASH_A, T0_MS + 2), { outcome: 'replay', response: CREATED });
  });

  it('idempotency: keys are per principal: one key under two principals is two independent records', async () => {
    assert.equal((await store.beginIdempotent('prn_one', 'shared-key', HASH_A, T0_MS)).outcome, 'started');
    assert.equal((await store.beginIdempotent('prn_two', 'shared-key', HASH_B, T0_MS)).outcome, 'started', 'another hash under another principal is no mismatch');
    await store.completeIdempotent('prn_one', 'shared-key', CREATED, T0_MS + 1);
    assert.deepEqual(await store.beginIdempotent('prn_two', 'shared-key', HASH_B, T0_MS + 2), { outcome: 'in_progress' }, "completing one principal's key leaves the other in flight");
    await store.abandonIdempotent('prn_two', 'shared-key');
    assert.deepEqual(await store.beginIdempotent('prn_one', 'shared-key', HASH_A, T0_MS + 3), { outcome: 'replay', response: CREATED }, "abandoning one principal's key leaves the other");
  });

  it('idempotency: purging at nowMs removes records completed more than 24 h ago and claims dead in progress for more than 5 min, and keeps the rest', async () => {
    // Every other test writes at or after T0_MS, so purging at T0_MS can only remove these records.
    const nowMs = T0_MS;
    const records = [
      { key: 'completed-24h-plus-1ms', createdAtMs: nowMs - IDEMPOTENCY_RECORD_TTL_MS - 1, complete: true, purged: true },
      { key: 'completed-30d', createdAtMs: nowMs - 30 * IDEMPOTENCY_RECORD_TTL_MS, complete: true, purged: true },
      { key: 'completed-exactly-24h', createdAtMs: nowMs - IDEMPOTENCY_RECORD_TTL_MS, complete: true, purged: false },
      { key: 'completed-24h-minus-1ms', createdAtMs: nowMs - IDEMPOTENCY_RECORD_TTL_MS + 1, complete: true, purged: false },
      { key: 'completed-1h', createdAtMs: nowMs - 3_600_000, complete: true, purged: false },
      { key: 'in-flight-30d', createdAtMs: nowMs - 30 * IDEMPOTENCY_RECORD_TTL_MS, complete: false, purged: true },
      { key: 'in-flight-1h', createdAtMs: nowMs - 3_600_000, complete: false, purged: true },
      { key: 'in-flight-1min', createdAtMs: nowMs - 60_000, complete: false, purged: false },
    ];
    for (const record of records) {
      assert.equal((await store.beginIdempotent('prn_purge', record.key, HASH_A, record.createdAtMs)).outcome, 'started');
      if (record.complete) await store.completeIdempotent('prn_purge', record.key, CREATED, record.createdAtMs);
    }
    assert.equal(await store.purgeIdempotent(nowMs), records.filter((r) => r.purged).length);
    for (const record of records) {
      const expected: IdempotencyBegin = record.purged ? { outcome: 'started' } : record.complete ? { outcome: 'replay', response: CREATED } : { outcome: 'in_progress' };
      assert.deepEqual(await store.beginIdempotent('prn_purge', record.key, HASH_A, nowMs), expected, record.key);
    }
    assert.equal(await store.purgeIdempotent(nowMs), 0, 'a second purge finds nothing more');
  });

  it(`idempotency: a purge removes a backlog larger than one DELETE (${IDEMPOTENCY_PURGED_PER_STATEMENT} rows) in full, and nothing kept`, async () => {
    const nowMs = T0_MS;
    const oldMs = nowMs - 2 * IDEMPOTENCY_RECORD_TTL_MS;
    const backlog = 2 * IDEMPOTENCY_PURGED_PER_STATEMENT + 345;
    const record = (key: string, atMs: number) => ({
      principal: 'prn_backlog', key, request_hash: HASH_A, status: 'completed', response_status: 201, response_body: CREATED.body, created_at_ms: atMs, completed_at_ms: atMs,
    });
    const rows = [...Array.from({ length: backlog }, (_, i) => record(`old-${i}`, oldMs)), ...Array.from({ length: 3 }, (_, i) => record(`recent-${i}`, nowMs - 60_000))];
    for (let i = 0; i < rows.length; i += 500) await database().db.insertInto('idempotency_records').values(rows.slice(i, i + 500)).execute();
    assert.equal(await store.purgeIdempotent(nowMs), backlog);
    const left = await database().db.selectFrom('idempotency_records').select('key').where('principal', '=', 'prn_backlog').orderBy('key').execute();
    assert.deepEqual(left.map((row) => row.key), ['recent-0', 'recent-1', 'recent-2']);
  });

  it(`idempotency: ${CLAIMS_PER_KEY} concurrent claims of one key (over ${POOLS} connection pools on PostgreSQL) yield exactly one started; the others are in progress or, with another hash, a mismatch`, async () => {
    for (let round = 0; round < RACED_KEYS; round += 1) {
      const key = `raced-${round}`;
      const hashes = Array.from({ length: CLAIMS_PER_KEY }, (_, claim) => (claim % 3 === 0 ? HASH_B : HASH_A));
      const outcomes = await Promise.all(hashes.map((hash, claim) => storeFor(claim).beginIdempotent('prn_race', key, hash, T0_MS)));
      const winners = hashes.filter((_, claim) => outcomes[claim]?.outcome === 'started');
      assert.equal(winners.length, 1, `${key}: ${JSON.stringify(outcomes)}`);
      const others = hashes.map((hash, claim) => ({ hash, outcome: outcomes[claim]?.outcome })).filter(({ outcome }) => outcome !== 'started');
      for (const { hash, outcome } of others) assert.equal(outcome, hash === winners[0] ? 'in_progress' : 'mismatch', key);
    }
  });

  it(`idempotency: ${CLAIMS_PER_KEY} concurrent retries of a completed key all replay the stored response`, async () => {
    await store.beginIdempotent('prn_race_done', 'key-1', HASH_A, T0_MS);
    await store.completeIdempotent('prn_race_done', 'key-1', CREATED, T0_MS + 1);
    const outcomes = await Promise.all(Array.from({ length: CLAIMS_PER_KEY }, (_, claim) => storeFor(claim).beginIdempotent('prn_race_done', 'key-1', HASH_A, T0_MS + 2)));
    assert.deepEqual(outcomes, Array.from({ length: CLAIMS_PER_KEY }, () => ({ outcome: 'replay', response: CREATED })));
  });

  it('idempotency: a claim is answered while another write transaction is open, without waiting for its commit; a record that transaction is to write is in progress until then', async () => {
    await store.beginIdempotent('prn_open_tx', 'done', HASH_A, T0_MS);
    await store.completeIdempotent('prn_open_tx', 'done', CREATED, T0_MS + 1);
    await store.beginIdempotent('prn_open_tx', 'completing', HASH_A, T0_MS + 2);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let entered = (): void => undefined;
    const inside = new Promise<void>((resolve) => { entered = resolve; });
    // A write transaction held open (on SQLite: a group commit's batch, its transaction begun on the one connection).
    const open = store.transaction(async () => { entered(); await gate; });
    await inside;
    // On SQLite this record goes to the next batch, behind the open one.
    const completing = store.completeIdempotent('prn_open_tx', 'completing', CREATED, T0_MS + 3);
    const WAITED = 'waited for the open transaction';
    const answered = (begun: Promise<IdempotencyBegin>) => Promise.race([begun, new Promise<string>((resolve) => { setTimeout(() => { resolve(WAITED); }, 1_000); })]);
    try {
      assert.deepEqual(await answered(store.beginIdempotent('prn_open_tx', 'done', HASH_A, T0_MS + 4)), { outcome: 'replay', response: CREATED });
      assert.deepEqual(await answered(store.beginIdempotent('prn_open_tx', 'fresh', HASH_A, T0_MS + 4)), { outcome: 'started' });
      const meanwhile = await answered(store.beginIdempotent('prn_open_tx', 'completing', HASH_A, T0_MS + 4));
      assert.notEqual(meanwhile, WAITED);
      if (database().dialect === 'sqlite') assert.deepEqual(meanwhile, { outcome: 'in_progress' }, 'its record is not committed yet');
      else assert.ok(['in_progress', 'replay'].includes((meanwhile as IdempotencyBegin).outcome), JSON.stringify(meanwhile));
    } finally {
      release();
      await open;
      await completing;
    }
    assert.deepEqual(await store.beginIdempotent('prn_open_tx', 'completing', HASH_A, T0_MS + 5), { outcome: 'replay', response: CREATED });
  });

  it('idempotency: a claim racing the abandon of the same key is started or in progress, never an error', async () => {
    const failures: string[] = [];
    for (let round = 0; round < RACED_KEYS; round += 1) {
      const key = `abandon-raced-${round}`;
      await store.beginIdempotent('prn_abandon_race', key, HASH_A, T0_MS);
      const claims = Array.from({ length: CLAIMS_PER_KEY }, (_, claim) => storeFor(claim).beginIdempotent('prn_abandon_race', key, HASH_A, T0_MS)
        .then((begun) => begun.outcome, (error: unknown) => { failures.push(`${key}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`); return 'error'; }));
      // The abandon is queued last, so on SQLite's one connection it lands between the claims' INSERTs and SELECTs.
      const outcomes = await Promise.all([...claims, store.abandonIdempotent('prn_abandon_race', key).then(() => 'abandoned')]);
      assert.ok(outcomes.filter((outcome) => outcome === 'started').length <= 1, `${key}: at most one claim starts`);
    }
    assert.equal(failures.length, 0, `${failures.length} of ${RACED_KEYS * CLAIMS_PER_KEY} claims threw, e.g. ${failures[0] ?? ''}`);
  });
});
