/** The storage port of settlement: SQL aggregates in, closed runs out. */
import type { Currency, LedgerAccountSum, StatementAggregate, StatementKind } from '../../domain/index.ts';

/** A month an item may belong to, with its first instant in the debtors' time zone. */
export interface PeriodStart {
  readonly period: string;
  readonly startMs: number;
}

/**
 * Debtors that share a time zone, and the run's period in it: `[startMs, endMs)`. An item of the
 * zone belongs to the latest of `periods` (newest first, the run's own first, back to the month
 * of the earliest charge) whose start it is at or after; an item rated before the last of them is
 * left to a later run.
 */
export interface ZoneScope {
  readonly debtorIds: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  readonly periods: readonly PeriodStart[];
}

/** What a run settles of one kind of statement: its debtors, zone by zone (at least one). */
export interface SettlementScope {
  readonly kind: StatementKind;
  readonly zones: readonly ZoneScope[];
}

/**
 * What the ledger posted, for a pair's unsettled items of one type, on one account: the sum of
 * the postings of their journals (subscribers' receivables summed as one, `SUBSCRIBER_RECEIVABLES`).
 */
export type LedgerSum = LedgerAccountSum;

/**
 * The run's data, read on one snapshot: the unsettled items' aggregates per pair, item type and
 * the period they belong to, and the ledger's postings of the same items.
 */
export interface SettlementData {
  readonly items: readonly StatementAggregate[];
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

/** A closed run and its statements, to be stored with the items they settle. */
export interface CloseSettlement {
  readonly run: StoredRun;
  readonly statements: readonly StoredStatement[];
}

/** What a close does with the data of its snapshot: store the run (and answer `result`), or refuse. */
export type CloseDecision<R> = { readonly close: CloseSettlement; readonly result: R } | { readonly refuse: R };

/** How a close ended: stored, refused by its decision, or found already closed (nothing read). */
export type CloseOutcome<R> = { readonly outcome: 'closed' | 'refused'; readonly result: R } | { readonly outcome: 'already_closed' };

export interface SettlementStore {
  /** When the earliest charge was rated (null: there is none): how far back late items may go. */
  earliestChargeAtMs(): Promise<number | null>;
  /** Reads the data of `scopes` on one snapshot (on SQLite in a worker thread: the event loop is never held). */
  settlementData(scopes: readonly SettlementScope[]): Promise<SettlementData>;
  /**
   * Closes `period`: reads the data of `scopes` on one snapshot, asks `decide`, and stores the
   * run, its statements and exactly the items that data counted, in one transaction (anything
   * committed meanwhile is left to a later period; `decide` may be asked again when another close
   * settled items meanwhile). `already_closed` when the period has a run. Never blocks the event
   * loop: on SQLite in worker threads (the process's other queries wait while it writes), on
   * PostgreSQL at REPEATABLE READ.
   */
  closeSettlement<R>(period: string, scopes: readonly SettlementScope[], decide: (data: SettlementData) => CloseDecision<R> | Promise<CloseDecision<R>>): Promise<CloseOutcome<R>>;
  getSettlementRun(by: { readonly period: string } | { readonly id: string }): Promise<StoredRun | null>;
  getStatement(id: string): Promise<(StoredStatement & { readonly runId: string; readonly period: string }) | null>;
  listSettlementRuns(): Promise<StoredRun[]>;
}
