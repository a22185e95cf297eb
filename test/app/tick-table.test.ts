import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/adapters/clock/index.ts';
import type { TickSink } from '../../src/app/index.ts';
import type { LiveSession } from '../../src/app/sessions/live-session.ts';
import { TickTable } from '../../src/app/sessions/tick-table.ts';

/** The table only keeps a session's LiveSession and reads its session: that is all these tests give it. */
function live(id: string): LiveSession {
  return { session: { id } } as unknown as LiveSession;
}

/** A tick sink that the table owns: these tests read ticks from the table's callback. */
const closed: string[] = [];
function sink(name = ''): TickSink {
  return { tick: () => undefined, close: () => { closed.push(name); } };
}

/** A table over a manual clock that records each tick as `id@dueMs` and lets a test act inside a tick. */
function world(): { clock: ManualClock; table: TickTable; fired: string[]; during: Map<string, () => void> } {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  const during = new Map<string, () => void>();
  const table: TickTable = new TickTable(clock, (row, dueMs) => {
    const id = table.lives[row]?.session.id ?? '?';
    fired.push(`${id}@${dueMs}`);
    during.get(`${id}@${dueMs}`)?.();
  });
  return { clock, table, fired, during };
}

describe('tick table: sessions ticking by the millisecond of the second', () => {
  it('ticks each session every second on its own millisecond, from that millisecond\'s next firing', async () => {
    const { clock, table, fired } = world();
    table.add(live('a'), 1_003, sink());
    table.add(live('b'), 1_043, sink());
    await clock.advanceTo(1_500);
    table.add(live('c'), 2_003, sink());
    await clock.advanceTo(2_999);
    assert.deepEqual(fired, ['a@1003', 'b@1043', 'a@2003', 'c@2003', 'b@2043']);
  });

  it('a session removed during a tick of its millisecond, by itself or by another, ticks no more; one added meanwhile starts next second', async () => {
    const { clock, table, fired, during } = world();
    const rows = new Map<string, number>();
    for (const id of ['a', 'b', 'c', 'd']) rows.set(id, table.add(live(id), 1_005, sink()));
    during.set('a@1005', () => {
      table.remove(rows.get('a') ?? -1);
      table.remove(rows.get('c') ?? -1);
      rows.set('e', table.add(live('e'), 2_005, sink()));
    });
    await clock.advanceTo(2_500);
    // The order within a millisecond is not kept across removals (the last row takes a removed one's place).
    assert.deepEqual(fired.slice(0, 3), ['a@1005', 'b@1005', 'd@1005']);
    assert.deepEqual(fired.slice(3).sort(), ['b@2005', 'd@2005', 'e@2005']);
  });

  it('a row freed and taken again by a session of the same millisecond ticks once a second', async () => {
    const { clock, table, fired } = world();
    const first = table.add(live('a'), 1_007, sink());
    table.add(live('b'), 1_007, sink());
    table.remove(first);
    const again = table.add(live('c'), 1_007, sink());
    assert.equal(again, first, 'the freed row is reused');
    await clock.advanceTo(2_500);
    assert.deepEqual(fired, ['b@1007', 'c@1007', 'b@2007', 'c@2007']);
  });

  it('once its last session is gone, a millisecond\'s timer is cancelled; a later session there gets a new one', async () => {
    const { clock, table, fired } = world();
    const row = table.add(live('a'), 1_009, sink());
    await clock.advanceTo(1_500);
    table.remove(row);
    await clock.advanceTo(3_500);
    table.add(live('b'), 4_009, sink());
    await clock.advanceTo(5_500);
    assert.deepEqual(fired, ['a@1009', 'b@4009', 'b@5009']);
  });

  it('a removed row closes its sink, once, whether removed during a tick or not', async () => {
    const { clock, table, during } = world();
    closed.length = 0;
    const a = table.add(live('a'), 1_011, sink('a'));
    const b = table.add(live('b'), 1_011, sink('b'));
    during.set('a@1011', () => { table.remove(b); });
    await clock.advanceTo(1_500);
    assert.deepEqual(closed, ['b'], 'closed when removed within the tick');
    table.remove(a);
    table.remove(a);
    assert.deepEqual(closed, ['b', 'a'], 'closed once');
  });

  it('per-session timers (the benchmark\'s baseline) tick the same', async () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const table = new TickTable(clock, (row) => { fired.push(row); }, 'per-session');
    const a = table.add(live('a'), 1_003, sink());
    const b = table.add(live('b'), 1_003, sink());
    await clock.advanceTo(1_500);
    table.remove(a);
    await clock.advanceTo(2_500);
    assert.deepEqual(fired, [a, b, b]);
  });
});
