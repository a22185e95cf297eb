/**
 * The server's WAL checkpoints on a worker thread (sqlite-tuning.ts): the log is copied back after
 * the writes of a busy spell, and again after an idle one (the worker skips the turns with nothing
 * new to copy). Seen from outside: once a checkpoint has copied the whole log, the next write
 * starts it over from its first frame, so a small write after the worker's turn leaves a short log.
 * Under writes that never pause, the worker has the writes held for one checkpoint once the log
 * is long, so that it starts over all the same.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { GroupCommit } from '../../../src/adapters/store/group-commit.ts';
import { openStore } from '../../../src/adapters/store/index.ts';
import { SQLITE_CHECKPOINT_INTERVAL_MS } from '../../../src/adapters/store/limits.ts';
import { insertRows } from '../../../src/adapters/store/prepared.ts';
import { checkpointInWorker } from '../../../src/adapters/store/sqlite-tuning.ts';

const PAGES = 500;
/** A smaller bound than the server's, so that the test sees it reached several times in 3 s. */
const RESTART_FRAMES = 400;
/**
 * The log may pass RESTART_FRAMES by what is written until the hold starts it over (a checkpoint
 * turn, the hold's wait for a transaction in progress): a few hundred frames here. Without the
 * hold it grows by every frame written, 5,000 to 11,000 in these 3 s.
 */
const LOG_FRAMES_MAX = RESTART_FRAMES * 4;
const WRITING_MS = 3_000;
const BLOB = Buffer.alloc(3_000);

/** A database file in a folder of its own; `remove` deletes the folder. */
function scratchFile(): { readonly path: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'palier-checkpoint-'));
  return { path: join(dir, 'db.sqlite'), remove: () => { rmSync(dir, { recursive: true, force: true }); } };
}

/** A connection of its own to `path`, in WAL mode, and an insert of a row into a table of blobs. */
function blobWriter(path: string): { readonly writer: SqliteDatabase.Database; readonly insert: SqliteDatabase.Statement } {
  const writer = new SqliteDatabase(path);
  writer.pragma('journal_mode = WAL');
  writer.exec('create table blobs (id integer primary key, body blob not null)');
  return { writer, insert: writer.prepare('insert into blobs (body) values (?)') };
}

/** Runs `write` about once a millisecond for WRITING_MS and answers the log file's largest size meanwhile. */
async function largestLogWhile(path: string, write: () => unknown): Promise<number> {
  let largest = 0;
  const until = Date.now() + WRITING_MS;
  while (Date.now() < until) {
    await write();
    largest = Math.max(largest, statSync(`${path}-wal`).size);
    await sleep(1);
  }
  return largest;
}

/** The bytes LOG_FRAMES_MAX frames take in the log of `sqlite`'s database (a frame: 24 bytes of header and a page). */
const logBytesMax = (sqlite: SqliteDatabase.Database): number => LOG_FRAMES_MAX * (Number(sqlite.pragma('page_size', { simple: true })) + 24);

describe('WAL checkpoints on a worker thread', () => {
  it('copy the log back after each busy spell, an idle one between them included', async () => {
    const file = scratchFile();
    const { writer, insert } = blobWriter(file.path);
    const stop = await checkpointInWorker(writer, file.path);
    // Frames in the log, as a PASSIVE checkpoint of another connection reports them (it copies nothing the worker left).
    const observer = new SqliteDatabase(file.path);
    const framesInLog = (): number => (observer.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]?.log ?? -1;
    const busySpell = async (): Promise<number> => {
      writer.transaction(() => { for (let i = 0; i < PAGES; i += 1) insert.run(BLOB); })();
      await sleep(SQLITE_CHECKPOINT_INTERVAL_MS * 6);
      insert.run(Buffer.alloc(10));
      return framesInLog();
    };
    try {
      assert.ok(await busySpell() < 10, 'after the first spell the log started over');
      await sleep(SQLITE_CHECKPOINT_INTERVAL_MS * 6);
      assert.ok(await busySpell() < 10, 'after an idle spell and a second busy one, the log started over again');
    } finally {
      observer.close();
      await stop();
      writer.close();
      file.remove();
    }
  });

  it('start the log over under writes that never pause, once it reaches a bound (SQLITE_WAL_RESTART_FRAMES in the server)', async () => {
    // A commit is always in progress somewhere in the worker's checkpoint, so without a pause the
    // log would never start over: it grew by 24 MB a second on the churn benchmark.
    const file = scratchFile();
    const { writer, insert } = blobWriter(file.path);
    const writes = { held: false, holds: 0, commits: 0 };
    const heldSeconds: number[] = [];
    const stop = await checkpointInWorker(writer, file.path, {
      restartFrames: RESTART_FRAMES,
      holdWrites: async (during) => {
        writes.held = true;
        writes.holds += 1;
        try { await during(); } finally { writes.held = false; }
      },
      onHeld: (seconds) => { heldSeconds.push(seconds); },
    });
    try {
      const largest = await largestLogWhile(file.path, () => {
        if (writes.held) return;
        insert.run(BLOB);
        writes.commits += 1;
      });
      assert.ok(writes.commits > RESTART_FRAMES * 3, `the writer committed ${writes.commits} times`);
      assert.ok(writes.holds > 0, 'the writes were held for a checkpoint at least once');
      assert.equal(heldSeconds.length, writes.holds, 'each hold reported its duration');
      assert.ok(heldSeconds.every((seconds) => seconds > 0 && seconds < 5), `hold durations ${heldSeconds.join(', ')} s`);
      assert.ok(largest <= logBytesMax(writer), `the log reached ${largest} bytes`);
    } finally {
      await stop();
      writer.close();
      file.remove();
    }
  });

  it("hold the server store's writes for the checkpoint: group commits, kysely's queries and statements run directly alike", async () => {
    const file = scratchFile();
    const errors: unknown[] = [];
    let holds = 0;
    const storage = await openStore({ dialect: 'sqlite', path: file.path }, {
      backgroundCheckpoints: true, walRestartFrames: RESTART_FRAMES, onCheckpointError: (error) => { errors.push(error); }, onWalHold: () => { holds += 1; },
    });
    const { db } = storage.database;
    const sqlite = storage.database.raw.sqlite;
    assert.ok(sqlite !== undefined);
    await sql`create table blobs (id integer primary key, body blob not null, way text not null)`.execute(db);
    const queue = new GroupCommit(db);
    // Three writers, each a commit at a time: a group commit's batch, a query through kysely, and
    // the direct path of prepared queries (autocommit on the handle, direct-sqlite.ts).
    const ways: Record<string, () => Promise<unknown>> = {
      batch: () => queue.run((connection) => sql`insert into blobs (body, way) values (${BLOB}, 'batch')`.execute(connection)),
      kysely: () => sql`insert into blobs (body, way) values (${BLOB}, 'kysely')`.execute(db),
      direct: () => insertRows(db, 'blobs' as never, [{ body: BLOB, way: 'direct' }]),
    };
    const committed: Record<string, number> = { batch: 0, kysely: 0, direct: 0 };
    try {
      const largest = Math.max(...await Promise.all(Object.entries(ways).map(([way, write]) => largestLogWhile(file.path, async () => {
        await write();
        committed[way] = (committed[way] ?? 0) + 1;
      }))));
      const { rows } = await sql<{ way: string; n: bigint }>`select way, count(*) as n from blobs group by way order by way`.execute(db);
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.way, Number(r.n)])), committed, 'every write acknowledged is there');
      assert.deepEqual(errors, []);
      assert.ok(holds > 0, 'the writes were held at least once');
      assert.ok(largest <= logBytesMax(sqlite), `the log reached ${largest} bytes (${Object.values(committed).reduce((a, b) => a + b)} commits)`);
      assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      await storage.close();
      file.remove();
    }
  });
});
