import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import { KyselyStore } from '../../../src/adapters/store/index.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { settlePeriod } from '../../../src/app/settlement/settle-period.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildWorld, chargeFor, T0_MS, type World } from '../../support/world.ts';

describeEachDatabase('settlement: smoke', ({ database, target }) => {
  let store: Store;
  let world: World;
  before(async () => {
    const config = target().config();
    store = new KyselyStore(database().db, database().dialect, false, config.dialect === 'sqlite' ? config.path : null);
    world = await buildWorld(store);
    for (const [i, seconds] of [[1, 600], [2, 61], [3, 3600]] as const) {
      const { charge, journal } = chargeFor(world, `ses_set_${i}`, seconds, T0_MS + i * 3_600_000);
      await store.closeCharge({ charge, journal });
    }
  });

  it('a draft, then a close, then the same bytes again', async () => {
    const clock = new ManualClock(Date.parse('2026-11-02T00:00:00Z'));
    const draft = await settlePeriod({ store, clock }, { period: '2026-10', close: false });
    assert.ok(draft.ok, draft.ok ? '' : draft.error.detail);
    assert.equal(draft.value.statements.length, 2);
    const closed = await settlePeriod({ store, clock }, { period: '2026-10', close: true });
    assert.ok(closed.ok, closed.ok ? '' : closed.error.detail);
    const again = await settlePeriod({ store, clock }, { period: '2026-10', close: false });
    assert.ok(again.ok);
    assert.equal(again.value.json, closed.value.json);
    const next = await settlePeriod({ store, clock }, { period: '2026-11', close: false });
    assert.ok(next.ok);
    assert.equal(next.value.statements.length, 0, 'nothing left: October settled its items');
  });
});
