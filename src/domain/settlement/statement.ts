/**
 * Statements (docs/settlement.md): what one party owes another for a period, from the aggregates
 * of the charges and refunds it settles, with the late items of earlier periods as adjustments.
 * Pure: the aggregation happens in SQL; this assembles, checks and renders.
 */
import { assert } from '../assert.ts';
import { type Currency, decimalRounding, isCurrency, minorUnitsText, Money, toDec } from '../money/index.ts';

export const STATEMENT_KINDS = ['carrier', 'merchant'] as const;
/** `carrier`: billing carrier (debtor) → hosting carrier; `merchant`: hosting carrier (debtor) → merchant. */
export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** Sums over a set of charges or refunds, in minor units. */
export interface Totals {
  readonly count: number;
  readonly billedSeconds: bigint;
  readonly grossMinor: bigint;
  readonly vatMinor: bigint;
  readonly netMinor: bigint;
  readonly collectionFeeMinor: bigint;
  readonly badDebtMinor: bigint;
  readonly interconnectMinor: bigint;
  readonly hostingShareMinor: bigint;
  readonly merchantShareMinor: bigint;
}

export const ZERO_TOTALS: Totals = {
  count: 0, billedSeconds: 0n, grossMinor: 0n, vatMinor: 0n, netMinor: 0n, collectionFeeMinor: 0n, badDebtMinor: 0n,
  interconnectMinor: 0n, hostingShareMinor: 0n, merchantShareMinor: 0n,
};

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    count: a.count + b.count, billedSeconds: a.billedSeconds + b.billedSeconds, grossMinor: a.grossMinor + b.grossMinor,
    vatMinor: a.vatMinor + b.vatMinor, netMinor: a.netMinor + b.netMinor, collectionFeeMinor: a.collectionFeeMinor + b.collectionFeeMinor,
    badDebtMinor: a.badDebtMinor + b.badDebtMinor, interconnectMinor: a.interconnectMinor + b.interconnectMinor,
    hostingShareMinor: a.hostingShareMinor + b.hostingShareMinor, merchantShareMinor: a.merchantShareMinor + b.merchantShareMinor,
  };
}

/** One aggregate row: a pair's charges or refunds of one home period. */
export interface StatementAggregate {
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly currency: Currency;
  readonly itemType: 'charge' | 'refund';
  /** The period the items belong to (the statement's own, or an earlier one for adjustments). */
  readonly homePeriod: string;
  readonly totals: Totals;
}

export interface StatementPart {
  readonly charges: Totals;
  readonly refunds: Totals;
}

export interface Statement {
  readonly id: string;
  readonly period: string;
  readonly kind: StatementKind;
  readonly debtorId: string;
  readonly creditorId: string;
  readonly currency: Currency;
  /** Items of the period itself. */
  readonly current: StatementPart;
  /** Late items of earlier periods, by the period they belong to (sorted). */
  readonly adjustments: readonly (StatementPart & { readonly period: string })[];
  /** What the debtor owes the creditor for this statement (negative: the creditor owes back). */
  readonly amountDueMinor: bigint;
}

/** The part of a set of items the creditor is owed: hosting + merchant shares (carrier), merchant share (merchant). */
export function dueOf(kind: StatementKind, part: StatementPart): bigint {
  const owed = (t: Totals): bigint => (kind === 'carrier' ? t.hostingShareMinor + t.merchantShareMinor : t.merchantShareMinor);
  return owed(part.charges) - owed(part.refunds);
}

export function statementId(period: string, kind: StatementKind, debtorId: string, creditorId: string): string {
  return `stm_${period}_${kind}_${debtorId}_${creditorId}`;
}

/** Assembles the statements of `period` from aggregate rows; one statement per (kind, debtor, creditor, currency). */
export function assembleStatements(period: string, rows: readonly StatementAggregate[]): Statement[] {
  const byPair = new Map<string, StatementAggregate[]>();
  for (const row of rows) {
    assert(row.homePeriod <= period, 'an item belongs to the statement\'s period or an earlier one');
    const key = `${row.kind}|${row.debtorId}|${row.creditorId}|${row.currency}`;
    const pairRows = byPair.get(key);
    if (pairRows === undefined) byPair.set(key, [row]);
    else pairRows.push(row);
  }
  const statements = [...byPair.values()].map((pairRows) => {
    const first = pairRows[0];
    assert(first !== undefined, 'a pair has rows');
    const parts = new Map<string, { charges: Totals; refunds: Totals }>();
    for (const row of pairRows) {
      const part = parts.get(row.homePeriod) ?? { charges: ZERO_TOTALS, refunds: ZERO_TOTALS };
      if (row.itemType === 'charge') part.charges = addTotals(part.charges, row.totals);
      else part.refunds = addTotals(part.refunds, row.totals);
      parts.set(row.homePeriod, part);
    }
    const current = parts.get(period) ?? { charges: ZERO_TOTALS, refunds: ZERO_TOTALS };
    const adjustments = [...parts.entries()].filter(([home]) => home !== period).sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([home, part]) => ({ period: home, ...part }));
    const amountDueMinor = dueOf(first.kind, current) + adjustments.reduce((sum, adjustment) => sum + dueOf(first.kind, adjustment), 0n);
    return {
      id: statementId(period, first.kind, first.debtorId, first.creditorId), period, kind: first.kind, debtorId: first.debtorId,
      creditorId: first.creditorId, currency: first.currency, current, adjustments, amountDueMinor,
    } satisfies Statement;
  });
  return statements.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Billed minutes as shown on statements: seconds / 60, two decimals, rounded half-up ("72.00"). */
export function billedMinutes(billedSeconds: bigint): string {
  return toDec(billedSeconds).div(60).toDecimalPlaces(2, decimalRounding('half-up')).toFixed(2); // ok: minutes, exact decimal
}

function totalsJson(t: Totals, currency: Currency): Record<string, unknown> {
  const money = (minor: bigint): string => minorUnitsText(minor, currency);
  return {
    count: t.count, billedSeconds: t.billedSeconds.toString(), billedMinutes: billedMinutes(t.billedSeconds),
    gross: money(t.grossMinor), vat: money(t.vatMinor), net: money(t.netMinor), collectionFee: money(t.collectionFeeMinor),
    badDebtAllowance: money(t.badDebtMinor), interconnect: money(t.interconnectMinor), hostingShare: money(t.hostingShareMinor),
    merchantShare: money(t.merchantShareMinor),
  };
}

/** The statement as JSON (amounts as decimal strings with the currency), stable key order. */
export function statementJson(statement: Statement): Record<string, unknown> {
  const part = (p: StatementPart): Record<string, unknown> => ({ charges: totalsJson(p.charges, statement.currency), refunds: totalsJson(p.refunds, statement.currency) });
  return {
    id: statement.id, period: statement.period, kind: statement.kind, debtorId: statement.debtorId, creditorId: statement.creditorId,
    currency: statement.currency, ...part(statement.current),
    adjustments: statement.adjustments.map((adjustment) => ({ period: adjustment.period, ...part(adjustment) })),
    amountDue: minorUnitsText(statement.amountDueMinor, statement.currency),
  };
}

type JsonObject = Readonly<Record<string, unknown>>;

function objectOf(value: unknown, what: string): JsonObject {
  assert(typeof value === 'object' && value !== null && !Array.isArray(value), `${what} is a JSON object`);
  return value as JsonObject;
}

function textOf(object: JsonObject, key: string): string {
  const value = object[key];
  assert(typeof value === 'string', `${key} is a string`);
  return value;
}

function totalsFromJson(value: unknown, currency: Currency): Totals {
  const t = objectOf(value, 'totals');
  const minor = (key: string): bigint => Money.of(textOf(t, key), currency).toMinorUnits();
  const count = t['count'];
  assert(typeof count === 'number' && Number.isSafeInteger(count) && count >= 0, 'count is a whole number');
  return {
    count, billedSeconds: BigInt(textOf(t, 'billedSeconds')), grossMinor: minor('gross'), vatMinor: minor('vat'), netMinor: minor('net'),
    collectionFeeMinor: minor('collectionFee'), badDebtMinor: minor('badDebtAllowance'), interconnectMinor: minor('interconnect'),
    hostingShareMinor: minor('hostingShare'), merchantShareMinor: minor('merchantShare'),
  };
}

/**
 * A statement read back from its JSON (`statementJson`), as stored by a closed run. The inverse
 * of `statementJson`, asserted: the statement read renders to exactly the JSON it was read from.
 */
export function statementFromJson(value: unknown): Statement {
  const o = objectOf(value, 'statement');
  const currency = textOf(o, 'currency');
  const kind = textOf(o, 'kind');
  assert(isCurrency(currency), `statement currency ${currency}`);
  assert(kind === 'carrier' || kind === 'merchant', `statement kind ${kind}`);
  const part = (p: JsonObject): StatementPart => ({ charges: totalsFromJson(p['charges'], currency), refunds: totalsFromJson(p['refunds'], currency) });
  const adjustments = o['adjustments'];
  assert(Array.isArray(adjustments), 'adjustments is a list');
  const statement: Statement = {
    id: textOf(o, 'id'), period: textOf(o, 'period'), kind, debtorId: textOf(o, 'debtorId'), creditorId: textOf(o, 'creditorId'), currency,
    current: part(o), adjustments: adjustments.map((a: unknown) => { const adjustment = objectOf(a, 'adjustment'); return { period: textOf(adjustment, 'period'), ...part(adjustment) }; }),
    amountDueMinor: Money.of(textOf(o, 'amountDue'), currency).toMinorUnits(),
  };
  assert(JSON.stringify(statementJson(statement)) === JSON.stringify(o), `statement ${statement.id} reads back to the same JSON`);
  return statement;
}
