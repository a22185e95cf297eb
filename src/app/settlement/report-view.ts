/**
 * What one party may see of a settlement run (docs/settlement.md, "Who sees what"): a carrier sees
 * the statements it is a party to — either side of a carrier statement, the hosting (owing) side
 * of a merchant statement — and, of the netting, its own position and the transfers it pays or
 * receives. Other carriers' statements and positions are left out, never just hidden.
 */
import { type Statement, statementsCsv } from '../../domain/index.ts';
import type { SettlementReport } from './settle-period.ts';

/** Who is looking: a carrier (an operator, or `palier settle --carrier`), or everyone (the CLI without a filter). */
export type ReportViewer = { readonly carrierId: string } | null;

/** Whether `carrierId` is a party to `statement`: the debtor, or the creditor of a carrier statement. */
export function carrierIsParty(statement: Pick<Statement, 'kind' | 'debtorId' | 'creditorId'>, carrierId: string): boolean {
  return statement.debtorId === carrierId || (statement.kind === 'carrier' && statement.creditorId === carrierId);
}

interface ReportJson {
  readonly statements: readonly { readonly id: string }[];
  readonly netting: readonly {
    readonly positions: readonly { readonly carrierId: string }[];
    readonly transfers: readonly { readonly from: string; readonly to: string }[];
  }[];
}

/**
 * The report as `viewer` may see it, in the same JSON form. The text is the report's own (for a
 * closed run: the stored bytes) with the rest taken out; when nothing is taken out it is the very
 * same text, byte for byte.
 */
export function reportJsonFor(report: SettlementReport, viewer: ReportViewer): string {
  if (viewer === null) return report.json;
  const visible = new Set(report.statements.filter((s) => carrierIsParty(s, viewer.carrierId)).map((s) => s.id));
  const parsed = JSON.parse(report.json) as ReportJson;
  const mine = (id: string): boolean => id === viewer.carrierId;
  const netting = parsed.netting
    .map((n) => ({ ...n, positions: n.positions.filter((p) => mine(p.carrierId)), transfers: n.transfers.filter((t) => mine(t.from) || mine(t.to)) }))
    .filter((n) => n.positions.length > 0);
  const filtered = { ...parsed, statements: parsed.statements.filter((s) => visible.has(s.id)), netting };
  const entries = (list: ReportJson['netting']): number => list.reduce((sum, n) => sum + 1 + n.positions.length + n.transfers.length, 0);
  const unchanged = filtered.statements.length === parsed.statements.length && entries(netting) === entries(parsed.netting);
  return unchanged ? report.json : JSON.stringify(filtered);
}

/** The statements `viewer` may see, in the report's order. */
export function statementsFor(report: SettlementReport, viewer: ReportViewer): Statement[] {
  return report.statements.filter((s) => viewer === null || carrierIsParty(s, viewer.carrierId));
}

/** The CSV export of what `viewer` may see of the report: one row per statement. */
export function reportCsvFor(report: SettlementReport, viewer: ReportViewer, options: { readonly bom?: boolean } = {}): string {
  const closedAt = report.closedAtMs === null ? null : new Date(report.closedAtMs).toISOString();
  return statementsCsv(statementsFor(report, viewer), { closedAt }, options);
}
