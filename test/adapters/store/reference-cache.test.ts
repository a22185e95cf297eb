/**
 * The reference cache (src/adapters/store/reference-cache.ts): what the store answers is what the
 * database holds, whoever wrote it — this store, a transaction that rolled back, another
 * connection — on both databases (PostgreSQL reads every time; SQLite answers from memory while
 * nothing changed). The cache's own rules (reads overtaken by a write are not kept, not-found
 * answers are not kept, the bound) are checked on the class itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KyselyStore, openDatabase } from '../../../src/adapters/store/index.ts';
import { REFERENCE_ENTRIES_CACHED_MAX } from '../../../src/adapters/store/limits.ts';
import { ReferenceCache, referenceCacheOf } from '../../../src/adapters/store/reference-cache.ts';
import { Money, Rate } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildWorld, T0_MS } from '../../support/world.ts';

describeEachDatabase('reference rows read through the store', ({ database, target }) => {
  it('a change made by another connection is seen at the next read', async () => {
    const store = new KyselyStore(database().db, database().dialect);
    const world = await buildWorld(store, 'x');
    assert.equal((await store.getSubscriber(world.subscriberId))?.status, 'active');
    assert.equal((await store.getSubscriber(world.subscriberId))?.status, 'active');
    const other = openDatabase(target().config());
    try {
      await other.db.updateTable('subscribers').set({ status: 'barred' }).where('id', '=', world.subscriberId).execute();
      await other.db.updateTable('offers').set({ name: 'Renamed elsewhere' }).where('id', '=', world.offerId).execute();
    } finally {
      await other.close();
    }
    assert.equal((await store.getSubscriber(world.subscriberId))?.status, 'barred');
    assert.equal((await store.getOffer(world.offerId))?.name, 'Renamed elsewhere');
  });

  it("the store's own writes are seen at once: a new agreement version, a closed one", async () => {
    const store = new KyselyStore(database().db, database().dialect);
    const world = await buildWorld(store, 'y');
    const before = await store.carrierAgreementAt(world.billingCarrierId, world.hostingCarrierId, T0_MS);
    assert.equal(before?.id, 'agr_c_y');
    assert.equal(await store.closeAgreement('agr_c_y', T0_MS + 1_000), 'closed');
    assert.equal(await store.carrierAgreementAt(world.billingCarrierId, world.hostingCarrierId, T0_MS + 1_000), null);
    assert.equal((await store.carrierAgreementAt(world.billingCarrierId, world.hostingCarrierId, T0_MS))?.id, 'agr_c_y', 'still in force before its end');
    await store.insertAgreement({
      id: 'agr_c_y2', kind: 'carrier', billingCarrierId: world.billingCarrierId, hostingCarrierId: world.hostingCarrierId, effectiveFromMs: T0_MS + 1_000,
      effectiveToMs: null, terms: { collectionFeeRate: Rate.of('0.10'), badDebtRate: Rate.of('0.01'), interconnectPerMinute: null },
    }, T0_MS);
    assert.equal((await store.carrierAgreementAt(world.billingCarrierId, world.hostingCarrierId, T0_MS + 5_000))?.id, 'agr_c_y2');
    assert.equal((await store.merchantAgreementAt(world.hostingCarrierId, world.merchantId, T0_MS + 5_000))?.id, 'agr_m_y');
  });

  it('a row written in a transaction that rolls back is never answered, not even after being read inside it', async () => {
    const store = new KyselyStore(database().db, database().dialect);
    const world = await buildWorld(store, 'z');
    await assert.rejects(store.transaction(async (tx) => {
      await tx.insertSubscriber({ id: 'sub_ghost', msisdnHmac: 'hmac_ghost', billingCarrierId: world.billingCarrierId, monthlyCap: Money.of('10.00', 'EUR'), status: 'active' }, T0_MS);
      assert.equal((await tx.getSubscriber('sub_ghost'))?.id, 'sub_ghost', 'seen inside its transaction');
      throw new Error('roll back');
    }), /roll back/);
    assert.equal(await store.getSubscriber('sub_ghost'), null);
    await store.transaction(async (tx) => {
      await tx.insertSubscriber({ id: 'sub_late', msisdnHmac: 'hmac_late', billingCarrierId: world.billingCarrierId, monthlyCap: Money.of('10.00', 'EUR'), status: 'active' }, T0_MS);
    });
    assert.equal((await store.getSubscriber('sub_late'))?.id, 'sub_late', 'committed: seen after the transaction');
  });

  it('SQLite keeps what it read, PostgreSQL keeps nothing', async () => {
    const store = new KyselyStore(database().db, database().dialect);
    const world = await buildWorld(store, 'w');
    await store.getOffer(world.offerId);
    const cache = referenceCacheOf(database().db);
    if (database().dialect === 'postgres') assert.equal(cache, null);
    else assert.ok((cache?.size ?? 0) > 0, 'the offer read was kept');
  });
});

describe('ReferenceCache', () => {
  const counting = () => {
    let loads = 0;
    return { load: (value: { v: number } | null) => { loads += 1; return Promise.resolve(value); }, loads: () => loads };
  };

  const nextTurn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });

  it('answers from memory until the data version changes', async () => {
    let version = 1;
    const cache = new ReferenceCache(() => version, () => 0);
    const loader = counting();
    assert.deepEqual(await cache.get('a', () => loader.load({ v: 1 })), { v: 1 });
    assert.deepEqual(await cache.get('a', () => loader.load({ v: 2 })), { v: 1 });
    assert.equal(loader.loads(), 1);
    version = 2;
    await nextTurn();
    assert.deepEqual(await cache.get('a', () => loader.load({ v: 2 })), { v: 2 });
    assert.equal(loader.loads(), 2);
  });

  it('compares the data version again after a statement ran, and at each turn of the event loop; in between, once', async () => {
    let version = 1;
    let compared = 0;
    let statements = 0;
    const cache = new ReferenceCache(() => { compared += 1; return version; }, () => statements);
    compared = 0;
    const loader = counting();
    await cache.get('a', () => { statements += 1; return loader.load({ v: 1 }); });
    assert.equal(compared, 2, 'a miss compares before and after its read (a statement)');
    for (let i = 0; i < 5; i += 1) await cache.get('a', () => loader.load({ v: -1 }));
    assert.equal(compared, 2, 'hits in the same turn with no statement between: no comparison');
    version = 2;
    statements += 1;
    assert.deepEqual(await cache.get('a', () => { statements += 1; return loader.load({ v: 2 }); }), { v: 2 }, 'a statement ran: compared, changed, read again');
    assert.equal(compared, 4);
    version = 3;
    assert.deepEqual(await cache.get('a', () => loader.load({ v: 3 })), { v: 2 }, 'same turn, no statement: as of the last comparison');
    await nextTurn();
    assert.deepEqual(await cache.get('a', () => loader.load({ v: 3 })), { v: 3 }, 'a new turn: compared again');
    await nextTurn();
    compared = 0;
    await cache.get('a', () => loader.load({ v: -1 }));
    await cache.get('a', () => loader.load({ v: -1 }));
    assert.equal(compared, 1, 'two hits in a turn: one comparison');
  });

  it('does not keep a read that a write overtook, nor a not-found answer', async () => {
    const cache = new ReferenceCache(() => 0, () => 0);
    let release: (value: { v: number }) => void = () => undefined;
    const reading = cache.get('a', () => new Promise<{ v: number }>((resolve) => { release = resolve; }));
    await cache.writing(() => Promise.resolve());
    release({ v: 1 });
    assert.deepEqual(await reading, { v: 1 });
    assert.equal(cache.size, 0, 'read before the write completed: not kept');
    assert.equal(await cache.get('missing', () => Promise.resolve(null)), null);
    assert.equal(cache.size, 0);
  });

  it("a transaction's read uses an entry but never adds one", async () => {
    const cache = new ReferenceCache(() => 0, () => 0);
    assert.deepEqual(await cache.peek('a', () => Promise.resolve({ v: 1 })), { v: 1 });
    assert.equal(cache.size, 0);
    await cache.get('a', () => Promise.resolve({ v: 2 }));
    assert.deepEqual(await cache.peek('a', () => Promise.resolve({ v: 3 })), { v: 2 });
  });

  it(`holds at most ${REFERENCE_ENTRIES_CACHED_MAX} entries, dropping the oldest`, async () => {
    const cache = new ReferenceCache(() => 0, () => 0);
    for (let i = 0; i <= REFERENCE_ENTRIES_CACHED_MAX; i += 1) await cache.get(`k${i}`, () => Promise.resolve({ v: i }));
    assert.equal(cache.size, REFERENCE_ENTRIES_CACHED_MAX);
    const loader = counting();
    assert.deepEqual(await cache.get('k0', () => loader.load({ v: -1 })), { v: -1 }, 'the oldest was dropped');
    assert.deepEqual(await cache.get(`k${REFERENCE_ENTRIES_CACHED_MAX}`, () => loader.load({ v: -1 })), { v: REFERENCE_ENTRIES_CACHED_MAX });
  });
});
