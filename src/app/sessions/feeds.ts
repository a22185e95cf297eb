/**
 * Feeds built from others: the server's (the live hub and any extra feed, as one) and, for tests
 * and tools, a feed of two functions.
 */
import type { Session } from '../../domain/index.ts';
import type { BrokerEvent, LiveFeed, TickSink } from '../ports/index.ts';

/** One tick of one session, as `feedOf` hands it over. */
export interface Tick {
  readonly sessionId: string;
  readonly atMs: number;
  readonly meteredSeconds: number;
  readonly billedMinor: bigint;
}

/** A feed calling `onEvent` for each event and `onTick` (when given) for each tick. */
export function feedOf(onEvent: (event: BrokerEvent) => void, onTick?: (tick: Tick) => void): LiveFeed {
  return {
    publish: onEvent,
    ticksOf: (session: Session): TickSink => ({
      tick: (atMs, meteredSeconds, billedMinor) => { onTick?.({ sessionId: session.id, atMs, meteredSeconds, billedMinor }); },
      close: () => undefined,
    }),
  };
}

/** Every feed of `feeds` as one, in order; with one feed, its own sinks (a tick is one call). */
export function feedOfAll(feeds: readonly LiveFeed[]): LiveFeed {
  const [only] = feeds;
  if (feeds.length === 1 && only !== undefined) return only;
  return {
    publish: (event) => { for (const feed of feeds) feed.publish(event); },
    ticksOf: (session) => {
      const sinks = feeds.map((feed) => feed.ticksOf(session));
      return {
        tick: (atMs, meteredSeconds, billedMinor) => { for (const sink of sinks) sink.tick(atMs, meteredSeconds, billedMinor); },
        close: () => { for (const sink of sinks) sink.close(); },
      };
    },
  };
}
