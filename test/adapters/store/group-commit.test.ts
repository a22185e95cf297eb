import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../../src/adapters/store/database.ts';
import { GroupCommit } from '../../../src/adapters/store/group-commit.ts';
import { SQLITE_GROUP_COMMIT_MAX } from '../../../src/adapters/store/limits.ts';
import type { Database } from '../../../src/adapters/store/tables.ts';

/** Group commit on a real SQLite file: a scratch table, the statements counted with kysely's log. */
describe('storage: group commit on SQLite', () => {
  let dir: string;
  let path: string;
  let opened: OpenDatabase;
  let db: Kysely<Database>;
  const begins: number[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palier-group-commit-'));
    path = join(dir, 'palier.sqlite');
    opened = openDatabase({ dialect: 'sqlite', path });
    const sqlite = opened.raw.sqlite;
    assert(sqlite !== undefined);
    sqlite.exec('create table scratch (id integer primary key, label text not null unique)');
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: sqlite }),
      log: (event) => { if (event.query.sql === 'begin immediate') begins.push(1); },
    });
  });

  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (connection: Kysely<Database>, label: string) => sql`insert into scratch (label) values (${label})`.execute(connection);
  /** What another connection sees: only what is committed. */
  const committedLabels = (): string[] => {
    const reader = new SqliteDatabase(path, { readonly: true });
    try {
      return (reader.prepare('select label from scratch order by id').pluck().all() as string[]);
    } finally {
      reader.close();
    }
  };

  it('transactions started together commit in batches of at most SQLITE_GROUP_COMMIT_MAX, each resolving after its commit', async () => {
    const queue = new GroupCommit(db);
    const count = SQLITE_GROUP_COMMIT_MAX * 2 + 5;
    const labels = Array.from({ length: count }, (_v, i) => `batch-${String(i)}`);
    begins.length = 0;
    const seenAtResolve: boolean[] = [];
    await Promise.all(labels.map(async (label) => {
      const result = await queue.run(async (connection) => { await insert(connection, label); return label; });
      assert.equal(result, label);
      seenAtResolve.push(committedLabels().includes(label));
    }));
    assert.deepEqual(seenAtResolve, labels.map(() => true), 'each write was visible to another connection when its promise resolved');
    assert.equal(begins.length, Math.ceil(count / SQLITE_GROUP_COMMIT_MAX), 'one BEGIN per batch');
  });

  it('a transaction alone runs as before: one BEGIN, no savepoint', async () => {
    const queue = new GroupCommit(db);
    begins.length = 0;
    assert.equal(await queue.run(async (connection) => { await insert(connection, 'alone'); return 1; }), 1);
    assert.equal(begins.length, 1);
    assert(committedLabels().includes('alone'));
  });

  it('a member that throws is undone and rejected with its own error; the others of its batch commit', async () => {
    const queue = new GroupCommit(db);
    const outcomes = await Promise.allSettled([
      queue.run((connection) => insert(connection, 'kept-1')),
      queue.run(async (connection) => {
        await insert(connection, 'undone');
        throw new Error('refused by the domain');
      }),
      // A constraint violation after a write of its own: the unique label is already taken.
      queue.run(async (connection) => {
        await insert(connection, 'undone-too');
        await insert(connection, 'kept-1');
      }),
      queue.run((connection) => insert(connection, 'kept-2')),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /refused by the domain/);
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    const labels = committedLabels();
    assert(labels.includes('kept-1') && labels.includes('kept-2'));
    assert(!labels.includes('undone') && !labels.includes('undone-too'), 'nothing of a failed member remains');
  });

  it('a lone transaction that throws leaves nothing and the queue goes on', async () => {
    const queue = new GroupCommit(db);
    await assert.rejects(queue.run(async (connection) => { await insert(connection, 'lone-undone'); throw new Error('no'); }), /no/);
    await queue.run((connection) => insert(connection, 'after'));
    const labels = committedLabels();
    assert(!labels.includes('lone-undone') && labels.includes('after'));
  });
});
