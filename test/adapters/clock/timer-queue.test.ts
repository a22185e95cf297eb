import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, TimerQueue } from '../../../src/adapters/clock/index.ts';

describe('timer queue: the 1 Hz wheel', () => {
  it('timer queue: once a slot\'s ticks have fired, the next due instant is the next slot\'s tick, not that slot\'s a second later', () => {
    const queue = new TimerQueue(0);
    queue.everySecond(1_003, () => undefined);
    queue.everySecond(1_043, () => undefined);
    assert.equal(queue.nextDueMs(), 1_003);
    queue.runDue(1_003);
    assert.equal(queue.nextDueMs(), 1_043);
    queue.runDue(1_043);
    assert.equal(queue.nextDueMs(), 2_003, 'every tick of this second fired: the earliest of the next');
  });

  it('timer queue: a one-shot earlier than every tick comes first', () => {
    const queue = new TimerQueue(0);
    queue.everySecond(1_500, () => undefined);
    queue.at(1_200, () => undefined);
    assert.equal(queue.nextDueMs(), 1_200);
  });

  it('manual clock: ticks of sessions in different slots each fire at their own instant, every second', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    for (const phaseMs of [3, 43, 83, 997]) clock.everySecond(1_000 + phaseMs, (dueMs) => { fired.push(`${dueMs}@${clock.nowMs()}`); });
    await clock.advanceTo(3_000);
    assert.deepEqual(fired, ['1003@1003', '1043@1043', '1083@1083', '1997@1997', '2003@2003', '2043@2043', '2083@2083', '2997@2997']);
  });
});
