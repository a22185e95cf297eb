/**
 * What the broker tells watchers (the live feed of issue 5, metrics, logs). Published only after
 * the state it shows is committed (STYLE.md rule 13).
 */
import type { EndReason, PricePoint, Session, SessionEventType } from '../../domain/index.ts';

export type BrokerEvent =
  | { readonly type: 'state'; readonly session: Session; readonly change: SessionEventType }
  | { readonly type: 'notice'; readonly session: Session; readonly atMs: number; readonly notice: NoticeKind; readonly price?: PricePoint | null }
  | { readonly type: 'ended'; readonly session: Session; readonly reason: EndReason; readonly billedMinor: bigint; readonly chargeId: string | null };

/** Notices of the live display: the free window ends, the price changes, the cap is near. */
export type NoticeKind = 'free_window_ending' | 'price_change' | 'cap_warning_80' | 'cap_warning_1min';

/**
 * Where one session's 1 Hz ticks go while it ticks: the amount shown at `atMs`, rate() of the
 * metered time. Obtained when the session starts ticking, closed when it stops (a transition
 * stops it and starts it again with a new sink).
 */
export interface TickSink {
  tick(atMs: number, meteredSeconds: number, billedMinor: bigint): void;
  close(): void;
}

export interface LiveFeed {
  /** Every event but the ticks. */
  publish(event: BrokerEvent): void;
  /**
   * The sink of a session's ticks. Ticks come 100,000 a second: a sink reaches its session's
   * watchers without a lookup by id, and the broker passes it figures only.
   */
  ticksOf(session: Session): TickSink;
}

/** Tokens handed to clients: random secrets; only their SHA-256 is stored. */
export interface Secrets {
  newToken(prefix: string): string;
}
