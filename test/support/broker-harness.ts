/**
 * A broker on a real database with a manual clock, for scenario tests: time moves only when the
 * test says so, and every event the broker publishes is recorded.
 */
import { ManualClock } from '../../src/adapters/clock/index.ts';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { randomSecrets } from '../../src/adapters/secrets/index.ts';
import { KyselyStore, type OpenDatabase } from '../../src/adapters/store/index.ts';
import { type BrokerEvent, feedOf, SessionBroker, type Store } from '../../src/app/index.ts';

export interface BrokerHarness {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly events: BrokerEvent[];
}

export function brokerHarness(database: OpenDatabase, startMs: number, livenessGraceMs = 30_000): BrokerHarness {
  const clock = new ManualClock(startMs);
  const store = new KyselyStore(database.db, database.dialect);
  const events: BrokerEvent[] = [];
  const broker = new SessionBroker({
    store, clock, scheduler: clock, ids: ulidGenerator(() => clock.nowMs()), secrets: randomSecrets,
    feed: feedOf((event) => { events.push(event); }),
    background: (work) => { clock.track(work); },
    config: { livenessGraceMs },
  });
  return { broker, store, clock, events };
}
