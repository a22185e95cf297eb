/**
 * A session the broker is running: its state as last committed, its tariff, its timers and a
 * promise chain that serialises every change to it (REST calls and timers alike).
 */
import type { BillingCurve, Session, Tariff } from '../../domain/index.ts';
import type { TimerHandle } from '../ports/index.ts';
import type { CapPlan } from './cap-plan.ts';

export interface LiveSession {
  session: Session;
  readonly tariff: Tariff;
  readonly billingCarrierId: string;
  readonly billingTimeZone: string;
  readonly hostingCarrierId: string;
  /** Serialises work on this session. */
  chain: Promise<unknown>;
  /** Work queued on the chain and not yet settled (0: nothing of this session is running). */
  queued: number;
  /** Its row in the broker's tick table while it ticks. */
  tickRow: number | null;
  timers: TimerHandle[];
  /** The planned stop (cap, maxCost or the longest session) and why, from capPlan. */
  stopAtMs: number | null;
  stopReason: CapPlan['stopReason'];
  /** Proof of life as last persisted (the older side), to throttle heartbeat writes. */
  persistedProofMs: number;
  /** The billed amount as a function of metered seconds while the run in progress goes on (null when not metering). */
  curve: BillingCurve | null;
  /** Metered seconds in the closed intervals (the tick adds the run in progress). */
  closedSeconds: number;
}
