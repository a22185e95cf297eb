/**
 * The server's WAL checkpoints on a worker thread (sqlite-tuning.ts): the log is copied back after
 * the writes of a busy spell, and again after an idle one (the worker skips the turns with nothing
 * new to copy). Seen from outside: once a checkpoint has copied the whole log, the next write
 * starts it over from its first frame, so a small write after the worker's turn leaves a short log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { SQLITE_CHECKPOINT_INTERVAL_MS } from '../../../src/adapters/store/limits.ts';
import { checkpointInWorker } from '../../../src/adapters/store/sqlite-tuning.ts';

const PAGES = 500;

describe('WAL checkpoints on a worker thread', () => {
  it('copy the log back after each busy spell, an idle one between them included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palier-checkpoint-'));
    const path = join(dir, 'db.sqlite');
    const writer = new SqliteDatabase(path);
    writer.pragma('journal_mode = WAL');
    writer.exec('create table blobs (id integer primary key, body blob not null)');
    const stop = await checkpointInWorker(writer, path);
    const insert = writer.prepare('insert into blobs (body) values (?)');
    // Frames in the log, as a PASSIVE checkpoint of another connection reports them (it copies nothing the worker left).
    const observer = new SqliteDatabase(path);
    const framesInLog = (): number => (observer.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]?.log ?? -1;
    const busySpell = async (): Promise<number> => {
      writer.transaction(() => { for (let i = 0; i < PAGES; i += 1) insert.run(Buffer.alloc(3_000)); })();
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
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
