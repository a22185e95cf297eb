import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { type OpenDatabase, openDatabase } from '../../../src/adapters/store/database.ts';
import { GroupCommit } from '../../../src/adapters/store/group-commit.ts';
import { GROUP_COMMIT_MAX } from '../../../src/adapters/store/limits.ts';
import { insertRows, rowBy } from '../../../src/adapters/store/prepared.ts';
import type { Database } from '../../../src/adapters/store/tables.ts';
import { describeEachDatabase } from '../../support/databases.ts';

/**
 * Group commit on a real database: a scratch table; a batch is recognised by the connection its
 * members are given (one per batch); what is committed is read from a second connection. And the
 * direct path of prepared queries on SQLite (direct-sqlite.ts) keeps out of an open batch.
 */
describeEachDatabase('storage: group commit', ({ database, target }) => {
  let reader: OpenDatabase;
  let queue: GroupCommit;

  before(async () => {
    const { db, dialect } = database();
    await sql`create table scratch (label text primary key)`.execute(db);
    queue = new GroupCommit(db, dialect === 'sqlite' ? 'begin immediate' : 'begin');
    reader = openDatabase(target().config());
  });

  after(async () => {
    await reader.close();
  });

  const insert = (connection: Kysely<Database>, label: string) => sql`insert into scratch (label) values (${label})`.execute(connection);
  /** What another connection sees: only what is committed. */
  const committedLabels = async (): Promise<string[]> => (await sql<{ label: string }>`select label from scratch`.execute(reader.db)).rows.map((r) => r.label);

  it('transactions started together commit in batches of at most GROUP_COMMIT_MAX, each resolving after its commit', async () => {
    const count = GROUP_COMMIT_MAX * 2 + 5;
    const labels = Array.from({ length: count }, (_v, i) => `batch-${String(i)}`);
    const batches = new Set<Kysely<Database>>();
    const seenAtResolve: boolean[] = [];
    await Promise.all(labels.map(async (label) => {
      const result = await queue.run(async (connection) => {
        batches.add(connection);
        await insert(connection, label);
        return label;
      });
      assert.equal(result, label);
      seenAtResolve.push((await committedLabels()).includes(label));
    }));
    assert.deepEqual(seenAtResolve, labels.map(() => true), 'each write was visible to another connection when its promise resolved');
    assert.equal(batches.size, Math.ceil(count / GROUP_COMMIT_MAX), 'one transaction per batch');
  });

  it('a member that throws is undone and rejected with its own error; the others of its batch commit', async () => {
    const outcomes = await Promise.allSettled([
      queue.run((connection) => insert(connection, 'kept-1')),
      queue.run(async (connection) => {
        await insert(connection, 'undone');
        throw new Error('refused by the domain');
      }),
      // A constraint violation after a write of its own: the label is already taken.
      queue.run(async (connection) => {
        await insert(connection, 'undone-too');
        await insert(connection, 'kept-1');
      }),
      queue.run((connection) => insert(connection, 'kept-2')),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /refused by the domain/);
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE constraint failed|duplicate key value/);
    const labels = await committedLabels();
    assert(labels.includes('kept-1') && labels.includes('kept-2'));
    assert(!labels.includes('undone') && !labels.includes('undone-too'), 'nothing of a failed member remains');
  });

  it('PostgreSQL: two queues that deadlock each other both commit (the victim is run again)', async (t) => {
    const { dialect } = database();
    if (dialect === 'sqlite') {
      t.skip('PostgreSQL only: SQLite has a single writer, whose BEGIN IMMEDIATE cannot deadlock');
      return;
    }
    await sql`insert into scratch (label) values ('x'), ('y')`.execute(database().db);
    const other = openDatabase(target().config());
    try {
      const second = new GroupCommit(other.db, 'begin');
      // Each takes one row, waits until the other has taken its own, then asks for the other's.
      let arrived = 0;
      let release: () => void = () => undefined;
      const bothHoldOne = new Promise<void>((resolve) => { release = resolve; });
      const attempts = [0, 0];
      const crosswise = (index: number, first: string, then: string) => async (connection: Kysely<Database>) => {
        attempts[index] = (attempts[index] ?? 0) + 1;
        await sql`update scratch set label = label where label = ${first}`.execute(connection);
        if (attempts[index] === 1) {
          arrived += 1;
          if (arrived === 2) release();
          await bothHoldOne;
        }
        await sql`update scratch set label = label where label = ${then}`.execute(connection);
        return index;
      };
      assert.deepEqual(await Promise.all([queue.run(crosswise(0, 'x', 'y')), second.run(crosswise(1, 'y', 'x'))]), [0, 1]);
      // One is the deadlock's victim and runs again; the other runs once. A CI run saw the victim
      // run three times ([3, 1], cause not found): the group commit promises retries up to
      // GROUP_COMMIT_ATTEMPTS_MAX, not exactly one, so the test asks for at least one.
      assert.ok(attempts.includes(1) && (attempts[0] ?? 0) + (attempts[1] ?? 0) >= 3, `one of the two ran again: ${JSON.stringify(attempts)}`);
    } finally {
      await other.close();
    }
  });

  it('a lone transaction that throws leaves nothing and the queue goes on', async () => {
    await assert.rejects(queue.run(async (connection) => { await insert(connection, 'lone-undone'); throw new Error('no'); }), /no/);
    await queue.run((connection) => insert(connection, 'after'));
    const labels = await committedLabels();
    assert(!labels.includes('lone-undone') && labels.includes('after'));
  });

  it('a prepared read of the database handle while a batch is open waits for it, and never sees what the batch did not commit', async () => {
    const { db } = database();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let inserted = (): void => undefined;
    const insertedYet = new Promise<void>((resolve) => { inserted = resolve; });
    const batch = queue.run(async (connection) => {
      await insertRows(connection, 'carriers', [{ id: 'car_never_committed', name: 'Never', country: 'FR', currency: 'EUR', time_zone: 'Europe/Paris', created_at_ms: 1 }]);
      inserted();
      await gate;
      throw new Error('rolled back after the read was asked');
    });
    await insertedYet;
    // SQLite: the transaction is open on the one connection; a direct read would run inside it (direct-sqlite.ts).
    const read = rowBy('carriers', 'id').first(db, { value: 'car_never_committed' });
    release();
    await assert.rejects(batch, /rolled back after the read was asked/);
    assert.equal(await read, undefined);
    assert.equal(await rowBy('carriers', 'id').first(db, { value: 'car_never_committed' }), undefined);
  });
});

