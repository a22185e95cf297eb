/** The storage port of settlement: SQL aggregates in, closed runs out. */
import type { Currency, StatementKind, Totals, Waterfall } from '../../domain/index.ts';

/** Debtors that share a time zone, and the period's bounds in it. */
export interface SettlementScope {
  readonly kind: StatementKind;
  readonly debtorIds: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
}

export interface PairKey {
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly currency: Currency;
}

/** Aggregates of the period's own unsettled items, per pair. */
export interface CurrentAggregate extends PairKey {
  readonly itemType: 'charge' | 'refund';
  readonly totals: Totals;
}

/** An unsettled item of an earlier period (settled now as an adjustment). */
export interface LateItem extends PairKey {
  readonly itemType: 'charge' | 'refund';
  readonly itemId: string;
  /** When its charge was rated: it decides the period the item belongs to. */
  readonly chargeCreatedAtMs: number;
  readonly billedSeconds: bigint;
  readonly split: Waterfall;
}

/** What the ledger says the same items put on the debtor's account towards the creditor. */
export interface LedgerSum {
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly postedMinor: bigint;
}

export interface SettlementData {
  readonly current: readonly CurrentAggregate[];
  readonly late: readonly LateItem[];
  readonly ledger: readonly LedgerSum[];
}

export interface StoredStatement {
  readonly id: string;
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly currency: Currency;
  readonly amountDueMinor: bigint;
  readonly bodyJson: string;
}

export interface StoredRun {
  readonly id: string;
  readonly period: string;
  readonly closedAtMs: number;
  /** The run's report as written when closed: served again byte for byte. */
  readonly reportJson: string;
}

export interface CloseSettlement {
  readonly run: StoredRun;
  readonly statements: readonly StoredStatement[];
  readonly scopes: readonly SettlementScope[];
  /** Late items with the statement and period they are settled in. */
  readonly lateItems: readonly { readonly kind: StatementKind; readonly itemType: 'charge' | 'refund'; readonly itemId: string; readonly statementId: string; readonly homePeriod: string }[];
}

export interface SettlementStore {
  /** Runs the settlement aggregates of `scopes` (without blocking the event loop on SQLite). */
  settlementData(scopes: readonly SettlementScope[]): Promise<SettlementData>;
  /** Stores a closed run, its statements and the items they settle, in one transaction. */
  closeSettlement(close: CloseSettlement): Promise<'closed' | 'already_closed'>;
  getSettlementRun(by: { readonly period: string } | { readonly id: string }): Promise<StoredRun | null>;
  getStatement(id: string): Promise<(StoredStatement & { readonly runId: string; readonly period: string }) | null>;
  listSettlementRuns(): Promise<StoredRun[]>;
}
