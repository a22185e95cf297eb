/**
 * Settlement runs (docs/settlement.md): the statements of a period for every counterparty pair,
 * checked against the ledger, the netting between carriers, and — when asked, once the period is
 * over in every zone — the close that locks them. A closed period is served as stored.
 */
import {
  assembleStatements, assert, type Currency, err, isCurrency, ledgerDiscrepancies, minorUnitsText, net, type Netting, ok, periodBounds, periodOf, type Result, type Statement,
  statementFromJson, statementJson, Money,
} from '../../domain/index.ts';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock, PeriodStart, SettlementData, SettlementScope, Store, ZoneScope } from '../ports/index.ts';

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

type Draft = Omit<SettlementReport, 'json'>;

const PERIOD = /^(20[0-9]{2})-(0[1-9]|1[0-2])$/;

/**
 * The earliest period anything is settled in (PERIOD's first): an item rated before it, in its
 * debtor's zone, belongs to no period and is never settled. Rated instants come from the clock,
 * so there are none.
 */
export const SETTLEMENT_PERIOD_FIRST = '2000-01';

/**
 * The periods an item of a run of `period` may belong to: `period` and the months before it back
 * to the month of the earliest charge (`earliestMs`, null: none), newest first, each with its
 * start in `zone`. A charge rated earlier than all of them (stored after this was read) is left
 * to a later run, which starts further back.
 */
function periodsBack(period: string, zone: string, earliestMs: number | null): PeriodStart[] {
  const earliest = earliestMs === null ? period : periodOf(earliestMs, zone);
  const first = earliest < SETTLEMENT_PERIOD_FIRST ? SETTLEMENT_PERIOD_FIRST : earliest;
  const periods: PeriodStart[] = [];
  let year = Number.parseInt(period.slice(0, 4), 10);
  let month = Number.parseInt(period.slice(5, 7), 10);
  for (;;) {
    const name = `${String(year)}-${String(month).padStart(2, '0')}`;
    periods.push({ period: name, startMs: periodBounds(name, zone).startMs });
    if (name <= first) return periods;
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
}

/** Scopes of a period: carrier statements (billing carriers' debts) and merchant statements (hosts'), the carriers grouped by time zone. */
async function scopesOf(store: Store, period: string): Promise<{ scopes: SettlementScope[]; endMs: number }> {
  const earliestMs = await store.earliestChargeAtMs();
  const byZone = new Map<string, string[]>();
  for (const carrier of await store.listCarriers()) {
    const ids = byZone.get(carrier.timeZone);
    if (ids === undefined) byZone.set(carrier.timeZone, [carrier.id]);
    else ids.push(carrier.id);
  }
  const zones: ZoneScope[] = [...byZone.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([zone, debtorIds]) => ({ debtorIds, ...periodBounds(period, zone), periods: periodsBack(period, zone, earliestMs) }));
  const endMs = Math.max(0, ...zones.map((zone) => zone.endMs));
  return { scopes: zones.length === 0 ? [] : [{ kind: 'carrier', zones }, { kind: 'merchant', zones }], endMs };
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

function reportJson(report: Draft): string {
  const money = (minor: bigint, currency: Currency): string => minorUnitsText(minor, currency);
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
 * The run of `period` from its data: the statements, checked against the ledger (every figure it
 * holds, to the cent), and the netting. `ledger_mismatch` names the first discrepancies. Each
 * step is milliseconds, tens the first time a process runs them (a server settles once a month):
 * the event loop turns between them, so that no step adds to another's hold on it.
 */
async function runOf(period: string, data: SettlementData, closedAtMs: number | null): Promise<Result<SettlementReport, { code: 'ledger_mismatch'; detail: string }>> {
  const statements = assembleStatements(period, data.items);
  await yieldToEventLoop();
  const problems = ledgerDiscrepancies(statements, data.ledger);
  if (problems.length > 0) return err({ code: 'ledger_mismatch', detail: problems.slice(0, 10).join('; ') });
  await yieldToEventLoop();
  const draft: Draft = { id: `set_${period}`, period, closed: closedAtMs !== null, closedAtMs, statements, netting: nettingOf(statements) };
  const json = reportJson(draft);
  await yieldToEventLoop();
  return ok({ ...draft, json });
}

/**
 * Settles `period` ("YYYY-MM"): a draft, or with `close` the locked statements. Refusals:
 * `period_invalid`, `period_not_over` (closing before the month ended in every carrier's zone),
 * `ledger_mismatch` (a statement differs from the ledger: nothing is closed).
 *
 * A close reads, checks and stores in one transaction (`Store.closeSettlement`): the items it
 * marks settled are exactly those its statements count, and an item committed meanwhile is left
 * to a later period.
 */
export async function settlePeriod(deps: { readonly store: Store; readonly clock: Clock }, input: { readonly period: string; readonly close: boolean })
  : Promise<Result<SettlementReport, { code: SettleError; detail: string }>> {
  if (!PERIOD.test(input.period)) return err({ code: 'period_invalid', detail: 'a period is YYYY-MM' });
  const stored = await deps.store.getSettlementRun({ period: input.period });
  if (stored !== null) return ok(storedReport(stored.reportJson));
  const { scopes, endMs } = await scopesOf(deps.store, input.period);
  const now = deps.clock.nowMs();
  if (input.close && now < endMs) return err({ code: 'period_not_over', detail: `${input.period} ends at ${new Date(endMs).toISOString()} in the last carrier's zone` });
  await yieldToEventLoop();
  if (!input.close) return runOf(input.period, await deps.store.settlementData(scopes), null);
  type Run = Awaited<ReturnType<typeof runOf>>;
  const outcome = await deps.store.closeSettlement<Run>(input.period, scopes, async (data) => {
    const run = await runOf(input.period, data, now);
    if (!run.ok) return { refuse: run };
    const statements = run.value.statements.map((s) => ({
      id: s.id, kind: s.kind, debtorId: s.debtorId, creditorId: s.creditorId, currency: s.currency, amountDueMinor: s.amountDueMinor,
      bodyJson: JSON.stringify(statementJson(s)),
    }));
    return { close: { run: { id: run.value.id, period: input.period, closedAtMs: now, reportJson: run.value.json }, statements }, result: run };
  });
  if (outcome.outcome !== 'already_closed') return outcome.result;
  const winner = await deps.store.getSettlementRun({ period: input.period });
  assert(winner !== null, 'a run closed concurrently is stored');
  return ok(storedReport(winner.reportJson));
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
