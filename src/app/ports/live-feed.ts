/**
 * What the broker tells watchers (the live feed of issue 5, metrics, logs). Published only after
 * the state it shows is committed (STYLE.md rule 13).
 */
import type { EndReason, PricePoint, Session, SessionEventType } from '../../domain/index.ts';

export type BrokerEvent =
  | { readonly type: 'state'; readonly session: Session; readonly change: SessionEventType }
  | { readonly type: 'tick'; readonly session: Session; readonly atMs: number; readonly meteredSeconds: number; readonly billedMinor: bigint }
  | { readonly type: 'notice'; readonly session: Session; readonly atMs: number; readonly notice: NoticeKind; readonly price?: PricePoint | null }
  | { readonly type: 'ended'; readonly session: Session; readonly reason: EndReason; readonly billedMinor: bigint; readonly chargeId: string | null };

/** Notices of the live display: the free window ends, the price changes, the cap is near. */
export type NoticeKind = 'free_window_ending' | 'price_change' | 'cap_warning_80' | 'cap_warning_1min';

export interface LiveFeed {
  publish(event: BrokerEvent): void;
}

/** Tokens handed to clients: random secrets; only their SHA-256 is stored. */
export interface Secrets {
  newToken(prefix: string): string;
}
