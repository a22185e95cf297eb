import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, verifyLedger } from '../../../src/adapters/store/index.ts';
import type { WorldIds } from '../../support/ledger-writer.ts';
import { buildWorld } from '../../support/world.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const WRITER = fileURLToPath(new URL('../../support/ledger-writer.ts', import.meta.url));

/**
 * Kills: the issue asks for 20. Even runs are killed up to KILL_DELAY_MS_MAX after the writer's
 * first acknowledged write (mid-stream); odd runs up to that long after it was told to start, so
 * some die while opening the file or inside their first transaction.
 */
const KILLS = 20;
const KILL_DELAY_MS_MAX = 150;
/** The monthly cap the writer places its holds against (test/support/ledger-writer.ts), set on the world's subscriber. */
const WRITER_MONTHLY_CAP_MINOR = 10n ** 15n;
/** Writers started ahead: loading modules through tsx takes longer than a run, so they overlap. */
const WRITERS_LOADING_MAX = 4;

interface Acknowledged {
  readonly charges: Set<string>;
  readonly journals: Set<string>;
}

/** Records one complete line of the writer's stdout. */
function acknowledge(line: string, acked: Acknowledged): void {
  const [kind, first, second] = line.split(' ');
  if (kind === 'charge' && first !== undefined && second !== undefined) {
    acked.charges.add(first);
    acked.journals.add(second);
  } else if (kind === 'journal' && first !== undefined) {
    acked.journals.add(first);
  } else {
    assert.fail(`unexpected writer output: ${JSON.stringify(line)}`);
  }
}

interface Writer {
  /** Lets the writer open the file and write; resolves once it is killed and its stdout drained. */
  go(): Promise<{ lines: number; delayMs: number }>;
  /** Ends a writer that was never told to go (when the test fails early). */
  discard(): void;
}

/** Starts (loads) a writer on `path`; it touches the file only after `go()`. */
function startWriter(path: string, run: number, world: WorldIds, acked: Acknowledged): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, `r${run}`, JSON.stringify(world)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const delayMs = Math.floor(Math.random() * KILL_DELAY_MS_MAX);
  const killLater = (): void => { setTimeout(() => child.kill('SIGKILL'), delayMs); };
  let pending = '';
  let stderr = '';
  let lines = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    // A line cut by the kill was never acknowledged: only complete lines count.
    pending = complete.pop() ?? '';
    for (const line of complete) {
      acknowledge(line, acked);
      lines += 1;
      if (lines === 1 && run % 2 === 0) killLater();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const ended = new Promise<{ lines: number; delayMs: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ lines, delayMs });
      else reject(new Error(`writer run ${run} ended by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
  return {
    go: () => {
      child.stdin.end('go\n');
      if (run % 2 === 1) killLater();
      return ended;
    },
    discard: () => {
      ended.catch(() => undefined);
      child.kill('SIGKILL');
    },
  };
}

describe('crash safety: SQLite in WAL mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palier-crash-'));
  const path = join(dir, 'palier.sqlite');
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it(`a writer SIGKILLed ${KILLS} times at random moments loses no acknowledged charge or journal, and the ledger verifies clean`, { timeout: 60_000 }, async (t) => {
    const built = await openStore({ dialect: 'sqlite', path });
    const { tariff, ...ids } = await buildWorld(built.store);
    // Twenty runs of holds go far past the usual 300.00: ledger verify checks every month against the subscriber's own cap.
    await built.database.db.updateTable('subscribers').set({ monthly_cap_minor: WRITER_MONTHLY_CAP_MINOR }).where('id', '=', ids.subscriberId).execute();
    await built.close();
    const world: WorldIds = { ...ids, tariffHash: tariff.hash };

    const acked: Acknowledged = { charges: new Set(), journals: new Set() };
    // The next writers load while one writes; each opens the file only once the one before is dead.
    const loading: Writer[] = [];
    for (let run = 0; run < Math.min(WRITERS_LOADING_MAX, KILLS); run += 1) loading.push(startWriter(path, run, world, acked));
    try {
      for (let run = 0; run < KILLS; run += 1) {
        const current = loading.shift() ?? assert.fail('a writer is loaded');
        const ended = current.go();
        if (run + WRITERS_LOADING_MAX < KILLS) loading.push(startWriter(path, run + WRITERS_LOADING_MAX, world, acked));
        const { lines, delayMs } = await ended;
        if (run % 2 === 0) assert.ok(lines > 0, `run ${run} acknowledged a write before it was killed`);
        t.diagnostic(`run ${run}: ${lines} lines acknowledged, killed ${delayMs} ms after ${run % 2 === 0 ? 'the first' : 'it started'}`);
      }
    } finally {
      for (const writer of loading) writer.discard();
    }

    const reopened = await openStore({ dialect: 'sqlite', path });
    try {
      const report = await verifyLedger(reopened.database.db, reopened.database.dialect);
      assert.deepEqual(report.breaches, []);
      const { db } = reopened.database;
      const charges = new Set((await db.selectFrom('charges').select('id').execute()).map((row) => row.id));
      const journals = new Set((await db.selectFrom('ledger_journals').select('id').execute()).map((row) => row.id));
      assert.deepEqual([...acked.charges].filter((id) => !charges.has(id)), [], 'every acknowledged charge survived');
      assert.deepEqual([...acked.journals].filter((id) => !journals.has(id)), [], 'every acknowledged journal survived');
      assert.ok(acked.charges.size >= KILLS / 2, 'at least one charge per mid-stream kill');
      t.diagnostic(`${acked.charges.size} charges and ${acked.journals.size} journals acknowledged; ${report.checked.charges} charges and ${report.checked.journals} journals in the database`);
    } finally {
      await reopened.close();
    }
  });
});
