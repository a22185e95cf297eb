/**
 * The server's purge of idempotency records (src/app/idempotency-purge.ts), on both databases,
 * over a manual clock: a record completed at T is replayed until T + 24 h and gone one purge
 * later; purges are planned when the oldest record becomes due, never closer than one interval,
 * about once a day with nothing kept; they go on after one fails; none runs after stop().
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { ManualClock } from '../../src/adapters/clock/index.ts';
import { KyselyStore } from '../../src/adapters/store/index.ts';
import { IDEMPOTENCY_PURGE_INTERVAL_MS, IDEMPOTENCY_RECORD_TTL_MS, IdempotencyPurge, type Store } from '../../src/app/index.ts';
import { describeEachDatabase } from '../support/databases.ts';
import { T0_MS } from '../support/world.ts';

const HASH = 'sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b';
const RESPONSE = { status: 201, body: '{"id":"ses_1"}' } as const;

describeEachDatabase('idempotency purge: the server removes records a day after they completed', ({ database }) => {
  let store: Store;
  before(() => { store = new KyselyStore(database().db, database().dialect); });

  /** A purge job over `clock`, with the counts it reports and the errors of its runs. */
  function startPurge(clock: ManualClock, purgeStore: Pick<Store, 'purgeIdempotent' | 'nextIdempotentPurgeMs'> = store) {
    const counts: number[] = [];
    /** When each purge ran, from T0. */
    const times: number[] = [];
    const failures: unknown[] = [];
    const purge = new IdempotencyPurge({
      store: purgeStore, clock, scheduler: clock,
      background: (work) => { clock.track(work.catch((error: unknown) => { failures.push(error); })); },
      purged: (count) => { counts.push(count); times.push(clock.nowMs() - T0_MS); },
    });
    purge.start();
    return { purge, counts, times, failures };
  }

  async function completed(principal: string, key: string, atMs: number): Promise<void> {
    assert.equal((await store.beginIdempotent(principal, key, HASH, atMs)).outcome, 'started');
    await store.completeIdempotent(principal, key, RESPONSE, atMs);
  }

  const outcome = async (principal: string, key: string, atMs: number) => (await store.beginIdempotent(principal, key, HASH, atMs)).outcome;

  it('a record completed at T replays through T + 24 h and goes at the next purge; each purge is planned when the oldest record is due, an interval apart at least', async () => {
    const clock = new ManualClock(T0_MS);
    const MINUTE = 60_000;
    const DAY = IDEMPOTENCY_RECORD_TTL_MS;
    assert.equal(IDEMPOTENCY_PURGE_INTERVAL_MS, MINUTE, 'the times below are written for a purge a minute');
    await completed('prn_purge_job', 'a', T0_MS);
    const { purge, counts, times, failures } = startPurge(clock);
    await clock.advanceBy(10 * MINUTE);
    await completed('prn_purge_job', 'b', clock.nowMs());
    await clock.advanceTo(T0_MS + DAY);
    assert.equal(await outcome('prn_purge_job', 'a', clock.nowMs()), 'replay', 'exactly 24 h after: still kept');
    await clock.advanceTo(T0_MS + DAY + 11 * MINUTE);
    assert.deepEqual(times, [MINUTE, DAY, DAY + MINUTE, DAY + 10 * MINUTE, DAY + 11 * MINUTE]);
    assert.deepEqual(counts, [0, 0, 1, 0, 1], 'a a minute after its day, b a minute after its own');
    for (const key of ['a', 'b']) {
      assert.equal(await outcome('prn_purge_job', key, clock.nowMs()), 'started', `${key}: the key is new again`);
      await store.abandonIdempotent('prn_purge_job', key);
    }
    // Nothing kept: a purge a day, also across a long jump of the manual clock.
    await clock.advanceBy(100 * DAY);
    assert.equal(times.length, 5 + 100);
    await purge.stop();
    assert.deepEqual(failures, []);
  });

  it('a purge that fails is reported, and the next one runs', async () => {
    const clock = new ManualClock(T0_MS);
    await completed('prn_purge_retry', 'old', T0_MS - 2 * IDEMPOTENCY_RECORD_TTL_MS);
    let calls = 0;
    const flaky: Pick<Store, 'purgeIdempotent' | 'nextIdempotentPurgeMs'> = {
      purgeIdempotent: (nowMs) => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('database unavailable')) : store.purgeIdempotent(nowMs);
      },
      nextIdempotentPurgeMs: () => store.nextIdempotentPurgeMs(),
    };
    const { purge, counts, failures } = startPurge(clock, flaky);
    await clock.advanceBy(IDEMPOTENCY_PURGE_INTERVAL_MS);
    assert.equal(failures.length, 1, 'the failure reached the background handler');
    assert.deepEqual(counts, []);
    await clock.advanceBy(IDEMPOTENCY_PURGE_INTERVAL_MS);
    assert.deepEqual(counts, [1], 'the next purge ran and removed the old record');
    await purge.stop();
  });

  it('after stop(), no purge runs', async () => {
    const clock = new ManualClock(T0_MS);
    await completed('prn_purge_stopped', 'old', T0_MS - 2 * IDEMPOTENCY_RECORD_TTL_MS);
    const { purge, counts } = startPurge(clock);
    await purge.stop();
    await clock.advanceBy(10 * IDEMPOTENCY_PURGE_INTERVAL_MS);
    assert.deepEqual(counts, []);
    assert.equal(await outcome('prn_purge_stopped', 'old', clock.nowMs()), 'replay');
  });
});
