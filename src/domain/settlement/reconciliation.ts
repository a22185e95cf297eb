/**
 * Reconciliation (docs/settlement.md): our charges of a closed statement against the lines a
 * counterparty declares, matched by charge id or session id. Our side is indexed in memory (a
 * closed statement is fixed and its charges are read once); their side streams through one line
 * at a time, so only the lines that need reporting are kept, and only up to a limit.
 *
 * Precedence of a declared line: a row that breaks the format is an error; else a second line for
 * a charge already declared is a duplicate (not compared again); else an unknown charge is missing
 * on our side; else it is matched, and compared on amount (exactly) and billed seconds (within the
 * tolerance). Whatever is left of ours at the end is missing on their side.
 */
import { assert } from '../assert.ts';
import { RECONCILIATION_LISTED_MAX } from '../limits.ts';
import type { Currency } from '../money/index.ts';
import type { DeclaredLine, LineError } from './declaration.ts';

/** One of our charges in the statement. */
export interface OurCharge {
  readonly chargeId: string;
  readonly sessionId: string;
  /** When metering started (the session's start on the bill). */
  readonly startMs: number;
  readonly billedSeconds: number;
  /** Tax included, in minor units. */
  readonly amountMinor: bigint;
}

export interface AmountMismatch {
  readonly line: number;
  readonly chargeId: string;
  readonly sessionId: string;
  readonly oursMinor: bigint;
  readonly theirsMinor: bigint;
}

export interface DurationMismatch {
  readonly line: number;
  readonly chargeId: string;
  readonly sessionId: string;
  readonly oursSeconds: number;
  readonly theirsSeconds: number;
}

export interface Duplicate {
  readonly line: number;
  /** The row that declared the same charge first. */
  readonly firstLine: number;
  readonly chargeId: string | null;
  readonly sessionId: string | null;
}

/** The lists of a report, each cut at RECONCILIATION_LISTED_MAX entries (the counts are complete). */
export const RECONCILIATION_LISTS = ['missingTheirs', 'missingOurs', 'amountMismatches', 'durationMismatches', 'duplicates', 'errors'] as const;
export type ReconciliationList = (typeof RECONCILIATION_LISTS)[number];

export interface ReconciliationReport {
  readonly currency: Currency;
  readonly toleranceSeconds: number;
  /** True when every charge of ours is declared once, exactly, and every row is valid. */
  readonly ok: boolean;
  /** Data rows read (header and blank lines excepted), and how many broke the format. */
  readonly rows: { readonly read: number; readonly invalid: number };
  readonly counts: { readonly ours: number; readonly matched: number } & Readonly<Record<ReconciliationList, number>>;
  /** Sums tax included: ours over the statement's charges, theirs over every valid row (duplicates too); difference = ours − theirs. */
  readonly totals: { readonly oursMinor: bigint; readonly theirsMinor: bigint; readonly differenceMinor: bigint };
  /** Ours not declared: the first by charge id. */
  readonly missingTheirs: readonly OurCharge[];
  /** Declared and unknown to us, in file order. */
  readonly missingOurs: readonly DeclaredLine[];
  readonly amountMismatches: readonly AmountMismatch[];
  readonly durationMismatches: readonly DurationMismatch[];
  readonly duplicates: readonly Duplicate[];
  readonly errors: readonly LineError[];
  /** Lists that hold fewer entries than their count. */
  readonly truncated: readonly ReconciliationList[];
}

/** Our charge as indexed (one object per charge: a million are kept): `declaredLine` is 0 until a row declares it. */
interface Entry extends OurCharge {
  declaredLine: number;
}

/** Keeps the `max` smallest charges by id, sorted (the listing of a million unmatched stays small). */
function keepSmallest(list: OurCharge[], charge: OurCharge, max: number): void {
  const last = list[list.length - 1];
  if (list.length >= max && last !== undefined && last.chargeId <= charge.chargeId) return;
  let index = list.length;
  while (index > 0 && (list[index - 1]?.chargeId ?? '') > charge.chargeId) index -= 1;
  list.splice(index, 0, { chargeId: charge.chargeId, sessionId: charge.sessionId, startMs: charge.startMs, billedSeconds: charge.billedSeconds, amountMinor: charge.amountMinor });
  if (list.length > max) list.pop();
}

/**
 * Matches one statement's charges with a declaration: `addOurs` every charge first, then
 * `declare` or `reject` each row in file order, then `finish`.
 *
 * @example
 * const r = new Reconciler('EUR', 1);
 * r.addOurs([{ chargeId: 'chg_1', sessionId: 'ses_1', startMs: 0, billedSeconds: 60, amountMinor: 53n }]);
 * r.declare({ line: 2, chargeId: 'chg_1', sessionId: null, startMs: 0, billedSeconds: 61, amountMinor: 53n });
 * r.finish().ok // true: one second apart is within the tolerance
 */
export class Reconciler {
  private readonly byChargeId = new Map<string, Entry>();
  /** Built on the first row that names only a session: most files name charges. */
  private bySessionId: Map<string, Entry> | null = null;
  /** Unknown ids already declared: their first row, to spot duplicates among them too. */
  private readonly unknown = new Map<string, number>();
  private declaring = false;
  private oursMinor = 0n;
  private theirsMinor = 0n;
  private readonly rows = { read: 0, invalid: 0 };
  private matched = 0;
  private readonly counts: Record<ReconciliationList, number> = {
    missingTheirs: 0, missingOurs: 0, amountMismatches: 0, durationMismatches: 0, duplicates: 0, errors: 0,
  };
  private readonly lists = {
    missingOurs: [] as DeclaredLine[], amountMismatches: [] as AmountMismatch[], durationMismatches: [] as DurationMismatch[],
    duplicates: [] as Duplicate[], errors: [] as LineError[],
  };

  constructor(readonly currency: Currency, readonly toleranceSeconds: number, private readonly listedMax = RECONCILIATION_LISTED_MAX) {
    assert(Number.isSafeInteger(toleranceSeconds) && toleranceSeconds >= 0, 'the tolerance is a whole number of seconds');
  }

  /** Indexes a batch of our charges (before any row is declared). */
  addOurs(charges: readonly OurCharge[]): void {
    assert(!this.declaring, 'every charge of ours is added before the first row');
    for (const charge of charges) {
      // The message is built only on failure: this runs a million times.
      if (this.byChargeId.has(charge.chargeId)) assert(false, `a statement settles charge ${charge.chargeId} once`);
      this.byChargeId.set(charge.chargeId, {
        chargeId: charge.chargeId, sessionId: charge.sessionId, startMs: charge.startMs, billedSeconds: charge.billedSeconds, amountMinor: charge.amountMinor, declaredLine: 0,
      });
      this.oursMinor += charge.amountMinor;
    }
  }

  /** A row that broke the format: its errors are listed, the row is not matched. */
  reject(errors: readonly LineError[]): void {
    assert(errors.length > 0, 'a rejected row breaks at least one rule');
    this.declaring = true;
    this.rows.read += 1;
    this.rows.invalid += 1;
    for (const error of errors) this.note('errors', this.lists.errors, error);
  }

  /** A valid row: matched, duplicate or unknown. */
  declare(line: DeclaredLine): void {
    this.declaring = true;
    this.rows.read += 1;
    this.theirsMinor += line.amountMinor;
    const entry = this.find(line);
    if (entry === null) {
      const key = line.chargeId === null ? `s:${line.sessionId ?? ''}` : `c:${line.chargeId}`;
      const firstLine = this.unknown.get(key);
      if (firstLine !== undefined) {
        this.note('duplicates', this.lists.duplicates, { line: line.line, firstLine, chargeId: line.chargeId, sessionId: line.sessionId });
        return;
      }
      this.unknown.set(key, line.line);
      this.note('missingOurs', this.lists.missingOurs, line);
      return;
    }
    if (entry.declaredLine !== 0) {
      this.note('duplicates', this.lists.duplicates, { line: line.line, firstLine: entry.declaredLine, chargeId: line.chargeId, sessionId: line.sessionId });
      return;
    }
    entry.declaredLine = line.line;
    this.matched += 1;
    this.compare(entry, line);
  }

  /** The report; the reconciler is spent afterwards. */
  finish(): ReconciliationReport {
    const missingTheirs: OurCharge[] = [];
    for (const entry of this.byChargeId.values()) {
      if (entry.declaredLine !== 0) continue;
      this.counts.missingTheirs += 1;
      keepSmallest(missingTheirs, entry, this.listedMax);
    }
    assert(this.matched + this.counts.missingTheirs === this.byChargeId.size, 'each charge of ours is matched or missing on their side');
    const listed: Record<ReconciliationList, number> = {
      missingTheirs: missingTheirs.length, missingOurs: this.lists.missingOurs.length, amountMismatches: this.lists.amountMismatches.length,
      durationMismatches: this.lists.durationMismatches.length, duplicates: this.lists.duplicates.length, errors: this.lists.errors.length,
    };
    const discrepancies = Object.values(this.counts).reduce((sum, count) => sum + count, 0);
    return {
      currency: this.currency, toleranceSeconds: this.toleranceSeconds, ok: discrepancies === 0, rows: { ...this.rows },
      counts: { ours: this.byChargeId.size, matched: this.matched, ...this.counts },
      totals: { oursMinor: this.oursMinor, theirsMinor: this.theirsMinor, differenceMinor: this.oursMinor - this.theirsMinor },
      missingTheirs, ...this.lists,
      truncated: RECONCILIATION_LISTS.filter((list) => listed[list] < this.counts[list]),
    };
  }

  /** Ours by charge id first, by session id when the charge id is absent or unknown; a disagreeing other id is an error of the row. */
  private find(line: DeclaredLine): Entry | null {
    const byCharge = line.chargeId === null ? undefined : this.byChargeId.get(line.chargeId);
    if (byCharge !== undefined) {
      if (line.sessionId !== null && line.sessionId !== byCharge.sessionId) {
        this.note('errors', this.lists.errors, { line: line.line, field: 'session_id', rule: 'mismatch', message: `charge ${byCharge.chargeId} is of session ${byCharge.sessionId}` });
      }
      return byCharge;
    }
    if (line.sessionId === null) return null;
    const bySession = this.sessionIndex().get(line.sessionId);
    if (bySession === undefined) return null;
    if (line.chargeId !== null) {
      this.note('errors', this.lists.errors, { line: line.line, field: 'charge_id', rule: 'mismatch', message: `unknown; the session's charge is ${bySession.chargeId}` });
    }
    return bySession;
  }

  private sessionIndex(): Map<string, Entry> {
    if (this.bySessionId === null) {
      this.bySessionId = new Map();
      for (const entry of this.byChargeId.values()) this.bySessionId.set(entry.sessionId, entry);
    }
    return this.bySessionId;
  }

  private compare(ours: OurCharge, theirs: DeclaredLine): void {
    const ids = { line: theirs.line, chargeId: ours.chargeId, sessionId: ours.sessionId };
    if (ours.amountMinor !== theirs.amountMinor) {
      this.note('amountMismatches', this.lists.amountMismatches, { ...ids, oursMinor: ours.amountMinor, theirsMinor: theirs.amountMinor });
    }
    if (Math.abs(ours.billedSeconds - theirs.billedSeconds) > this.toleranceSeconds) {
      this.note('durationMismatches', this.lists.durationMismatches, { ...ids, oursSeconds: ours.billedSeconds, theirsSeconds: theirs.billedSeconds });
    }
  }

  private note<T>(list: Exclude<ReconciliationList, 'missingTheirs'>, entries: T[], entry: T): void {
    this.counts[list] += 1;
    if (entries.length < this.listedMax) entries.push(entry);
  }
}
