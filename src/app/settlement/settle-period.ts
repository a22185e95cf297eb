/**
 * Settlement runs (docs/settlement.md): the statements of a period for every counterparty pair,
 * checked against the ledger, the netting between carriers, and — when asked, once the period is
 * over in every zone — the close that locks them. A closed period is served as stored.
 */
import {
  assembleStatements, assert, type Currency, err, isCurrency, net, type Netting, ok, periodBounds, periodOf, type Result, type Statement,
  type StatementAggregate, statementFromJson, statementId, statementJson, type Totals, ZERO_TOTALS, Money,
} from '../../domain/index.ts';
import type { Clock, LateItem, SettlementScope, Store } from '../ports/index.ts';

export type SettleError = 'period_invalid' | 'period_not_over' | 'ledger_mismatch';

export interface SettlementReport {
  readonly id: string;
  readonly period: string;
  readonly closed: boolean;
  /** When the run closed (null for a draft). */
  readonly closedAtMs: number | null;
  readonly statements: readonly Statement[];
  readonly netting: readonly (Netting & { readonly currency: Currency })[];
  /** The report as JSON text: for a closed run, exactly what was stored when it closed. */
  readonly json: string;
}

const PERIOD = /^(20[0-9]{2})-(0[1-9]|1[0-2])$/;

/** Scopes of a period: the carriers grouped by time zone, once as billing carriers, once as hosts. */
async function scopesOf(store: Store, period: string): Promise<{ scopes: SettlementScope[]; zoneOf: Map<string, string>; endMs: number }> {
  const carriers = await store.listCarriers();
  const byZone = new Map<string, string[]>();
  const zoneOf = new Map<string, string>();
  for (const carrier of carriers) {
    byZone.set(carrier.timeZone, [...(byZone.get(carrier.timeZone) ?? []), carrier.id]);
    zoneOf.set(carrier.id, carrier.timeZone);
  }
  const scopes: SettlementScope[] = [];
  let endMs = 0;
  for (const [zone, debtorIds] of [...byZone.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const bounds = periodBounds(period, zone);
    endMs = Math.max(endMs, bounds.endMs);
    scopes.push({ kind: 'carrier', debtorIds, ...bounds }, { kind: 'merchant', debtorIds, ...bounds });
  }
  return { scopes, zoneOf, endMs };
}

function lateTotals(item: LateItem): Totals {
  const s = item.split;
  return {
    ...ZERO_TOTALS, count: 1, billedSeconds: item.billedSeconds, grossMinor: s.grossMinor, vatMinor: s.vatMinor, netMinor: s.netMinor,
    collectionFeeMinor: s.collectionFeeMinor, badDebtMinor: s.badDebtMinor, interconnectMinor: s.interconnectMinor,
    hostingShareMinor: s.hostingCarrierShareMinor, merchantShareMinor: s.merchantShareMinor,
  };
}

/** Every statement must equal what the ledger posted on the debtor's account towards the creditor. */
function ledgerProblems(statements: readonly Statement[], ledger: readonly { kind: string; debtorId: string; creditorId: string; postedMinor: bigint }[]): string[] {
  const posted = new Map<string, bigint>();
  for (const row of ledger) {
    const key = `${row.kind}|${row.debtorId}|${row.creditorId}`;
    posted.set(key, (posted.get(key) ?? 0n) + row.postedMinor);
  }
  const problems: string[] = [];
  for (const statement of statements) {
    const key = `${statement.kind}|${statement.debtorId}|${statement.creditorId}`;
    const ledgerDue = -(posted.get(key) ?? 0n);
    if (ledgerDue !== statement.amountDueMinor) problems.push(`${statement.id}: statement ${statement.amountDueMinor}, ledger ${ledgerDue} minor units`);
    posted.delete(key);
  }
  for (const [key, minor] of posted) if (minor !== 0n) problems.push(`${key}: ledger ${-minor} minor units without a statement`);
  return problems;
}

function nettingOf(statements: readonly Statement[]): (Netting & { currency: Currency })[] {
  const currencies = [...new Set(statements.filter((s) => s.kind === 'carrier').map((s) => s.currency))].sort();
  return currencies.map((currency) => ({
    currency,
    ...net(statements.filter((s) => s.kind === 'carrier' && s.currency === currency).map((s) => (s.amountDueMinor >= 0n
      ? { debtorId: s.debtorId, creditorId: s.creditorId, amountMinor: s.amountDueMinor }
      : { debtorId: s.creditorId, creditorId: s.debtorId, amountMinor: -s.amountDueMinor }))),
  }));
}

function reportJson(report: Omit<SettlementReport, 'json'>): string {
  const money = (minor: bigint, currency: Currency): string => Money.fromMinorUnits(minor, currency).toString();
  return JSON.stringify({
    id: report.id, period: report.period, closed: report.closed, closedAt: report.closedAtMs === null ? null : new Date(report.closedAtMs).toISOString(),
    statements: report.statements.map(statementJson),
    netting: report.netting.map((n) => ({
      currency: n.currency,
      positions: n.positions.map((p) => ({ carrierId: p.carrierId, net: money(p.netMinor, n.currency) })),
      transfers: n.transfers.map((t) => ({ from: t.debtorId, to: t.creditorId, amount: money(t.amountMinor, n.currency) })),
    })),
  });
}

/**
 * Settles `period` ("YYYY-MM"): a draft, or with `close` the locked statements. Refusals:
 * `period_invalid`, `period_not_over` (closing before the month ended in every carrier's zone),
 * `ledger_mismatch` (a statement differs from the ledger: nothing is closed).
 */
export async function settlePeriod(deps: { readonly store: Store; readonly clock: Clock }, input: { readonly period: string; readonly close: boolean })
  : Promise<Result<SettlementReport, { code: SettleError; detail: string }>> {
  if (!PERIOD.test(input.period)) return err({ code: 'period_invalid', detail: 'a period is YYYY-MM' });
  const stored = await deps.store.getSettlementRun({ period: input.period });
  if (stored !== null) return ok(storedReport(stored.reportJson));
  const { scopes, zoneOf, endMs } = await scopesOf(deps.store, input.period);
  const now = deps.clock.nowMs();
  if (input.close && now < endMs) return err({ code: 'period_not_over', detail: `${input.period} ends at ${new Date(endMs).toISOString()} in the last carrier's zone` });
  const data = await deps.store.settlementData(scopes);
  const lateRows: StatementAggregate[] = data.late.map((item) => ({
    kind: item.kind, debtorId: item.debtorId, creditorId: item.creditorId, currency: item.currency, itemType: item.itemType,
    homePeriod: periodOf(item.chargeCreatedAtMs, zoneOf.get(item.debtorId) ?? 'UTC'), totals: lateTotals(item),
  }));
  const statements = assembleStatements(input.period, [...data.current.map((row) => ({ ...row, homePeriod: input.period })), ...lateRows]);
  const problems = ledgerProblems(statements, data.ledger);
  if (problems.length > 0) return err({ code: 'ledger_mismatch', detail: problems.slice(0, 10).join('; ') });
  const draft = { id: `set_${input.period}`, period: input.period, closed: input.close, closedAtMs: input.close ? now : null, statements, netting: nettingOf(statements) };
  const json = reportJson(draft);
  if (!input.close) return ok({ ...draft, json });
  const outcome = await deps.store.closeSettlement({
    run: { id: draft.id, period: input.period, closedAtMs: now, reportJson: json },
    statements: statements.map((s) => ({ id: s.id, kind: s.kind, debtorId: s.debtorId, creditorId: s.creditorId, currency: s.currency, amountDueMinor: s.amountDueMinor, bodyJson: JSON.stringify(statementJson(s)) })),
    scopes,
    lateItems: data.late.map((item, index) => ({
      kind: item.kind, itemType: item.itemType, itemId: item.itemId, statementId: statementId(input.period, item.kind, item.debtorId, item.creditorId),
      homePeriod: lateRows[index]?.homePeriod ?? input.period,
    })),
  });
  if (outcome === 'already_closed') {
    const winner = await deps.store.getSettlementRun({ period: input.period });
    assert(winner !== null, 'a run closed concurrently is stored');
    return ok(storedReport(winner.reportJson));
  }
  return ok({ ...draft, json });
}

interface StoredReportJson {
  readonly id: string;
  readonly period: string;
  readonly closedAt: string;
  readonly statements: readonly unknown[];
  readonly netting: readonly {
    readonly currency: string;
    readonly positions: readonly { readonly carrierId: string; readonly net: string }[];
    readonly transfers: readonly { readonly from: string; readonly to: string; readonly amount: string }[];
  }[];
}

/**
 * A closed run as stored: its report is served as is (`json`, byte for byte); statements and
 * netting are re-read from it, and must render back to the very same text (asserted).
 */
export function storedReport(json: string): SettlementReport {
  const parsed = JSON.parse(json) as StoredReportJson;
  const netting = parsed.netting.map((n) => {
    const currency = n.currency;
    assert(isCurrency(currency), `netting currency ${currency}`);
    const minor = (amount: string): bigint => Money.of(amount, currency).toMinorUnits();
    return {
      currency, positions: n.positions.map((p) => ({ carrierId: p.carrierId, netMinor: minor(p.net) })),
      transfers: n.transfers.map((t) => ({ debtorId: t.from, creditorId: t.to, amountMinor: minor(t.amount) })),
    };
  });
  const closedAtMs = Date.parse(parsed.closedAt);
  assert(Number.isFinite(closedAtMs), `run ${parsed.id} has its closing instant`);
  const report = { id: parsed.id, period: parsed.period, closed: true, closedAtMs, statements: parsed.statements.map(statementFromJson), netting };
  assert(reportJson(report) === json, `run ${parsed.id} reads back to its stored bytes`);
  return { ...report, json };
}
