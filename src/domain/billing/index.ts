/** Charges, holds and billing periods. */
export { type Charge, type Hold, HOLD_STATUSES, type HoldStatus, type Refund } from './charge.ts';
export { periodBounds, periodOf } from './period.ts';
