/**
 * From metered time to spans. A span is a run of metered seconds under one band, one tier and
 * one kind (free window, flat-price inclusion or charged): the unit the closed form prices.
 *
 * Metered time is a list of intervals: runs of consecutive metered seconds, each starting at a
 * wall-clock instant (a free hold leaves a gap between two intervals). Elapsed positions (tiers,
 * free window, inclusion) count metered seconds; band positions use each second's wall-clock start.
 */
import { assert } from '../assert.ts';
import { bandSegments } from './band-timeline.ts';
import type { CompiledTariff, CompiledTier } from './compiled-tariff.ts';

/** A run of consecutive metered seconds starting at `startMs` (epoch milliseconds, UTC). */
export interface MeteredInterval {
  readonly startMs: number;
  readonly seconds: number;
}

export type SpanKind = 'free' | 'included' | 'charged';

export interface Span {
  /** First elapsed metered second of the span (inclusive). */
  readonly fromSecond: number;
  /** End (exclusive). */
  readonly toSecond: number;
  /** Band index, -1 for the base tiers. */
  readonly band: number;
  /** The tier in force; null only for a pure ticket tariff (a flat price and no tiers). */
  readonly tier: CompiledTier | null;
  readonly kind: SpanKind;
}

interface ElapsedRun { fromSecond: number; toSecond: number; band: number }

/** Checks intervals: whole non-negative seconds, integral instants, in order and not overlapping. */
export function assertIntervals(intervals: readonly MeteredInterval[]): void {
  let previousEndMs = Number.NEGATIVE_INFINITY;
  for (const interval of intervals) {
    assert(Number.isSafeInteger(interval.startMs), 'metered interval: startMs is an integer of milliseconds');
    assert(Number.isSafeInteger(interval.seconds) && interval.seconds >= 0, 'metered interval: whole non-negative seconds');
    assert(interval.startMs >= previousEndMs, 'metered intervals are in order and do not overlap');
    previousEndMs = interval.startMs + interval.seconds * 1000;
  }
}

/**
 * Intervals covering exactly [0, endSecond) of elapsed metered time. Past the given intervals,
 * time continues from `continueAtMs` (default: the end of the last interval): this is how a
 * minimum block extends a short session, and how the cap inverse looks into the future.
 */
export function extendIntervals(intervals: readonly MeteredInterval[], endSecond: number, continueAtMs?: number): MeteredInterval[] {
  const out: MeteredInterval[] = [];
  let elapsed = 0;
  for (const interval of intervals) {
    if (elapsed >= endSecond) break;
    const seconds = Math.min(interval.seconds, endSecond - elapsed);
    if (seconds > 0) out.push({ startMs: interval.startMs, seconds });
    elapsed += seconds;
  }
  if (elapsed < endSecond) {
    const last = intervals[intervals.length - 1];
    const startMs = continueAtMs ?? (last === undefined ? 0 : last.startMs + last.seconds * 1000);
    const tail = out[out.length - 1];
    if (continueAtMs === undefined && tail !== undefined) out[out.length - 1] = { ...tail, seconds: tail.seconds + endSecond - elapsed };
    else out.push({ startMs, seconds: endSecond - elapsed });
  }
  return out;
}

/** Elapsed runs priced by one band, merged across intervals. */
function elapsedRuns(compiled: CompiledTariff, intervals: readonly MeteredInterval[]): ElapsedRun[] {
  const runs: ElapsedRun[] = [];
  const push = (run: ElapsedRun): void => {
    if (run.fromSecond >= run.toSecond) return;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.band === run.band && last.toSecond === run.fromSecond) last.toSecond = run.toSecond;
    else runs.push(run);
  };
  let elapsed = 0;
  for (const interval of intervals) {
    const end = elapsed + interval.seconds;
    if (compiled.bands.length === 0) {
      push({ fromSecond: elapsed, toSecond: end, band: -1 });
    } else {
      for (const segment of bandSegments(compiled, interval.startMs, interval.startMs + interval.seconds * 1000)) {
        // A second belongs to the segment holding its start instant.
        const from = elapsed + Math.ceil((segment.startMs - interval.startMs) / 1000);
        const to = elapsed + Math.ceil((segment.endMs - interval.startMs) / 1000);
        push({ fromSecond: Math.max(from, elapsed), toSecond: Math.min(to, end), band: segment.band });
      }
    }
    elapsed = end;
  }
  return runs;
}

/** The tier of `list` in force at elapsed second `second`. */
function tierAt(list: readonly CompiledTier[], second: number): CompiledTier {
  let found = list[0];
  for (const tier of list) {
    if (tier.fromSecond > second) break;
    found = tier;
  }
  assert(found !== undefined, 'a tier list is never empty when seconds are charged');
  return found;
}

function nextTierStart(list: readonly CompiledTier[], tier: CompiledTier): number {
  return list[tier.index + 1]?.fromSecond ?? Number.POSITIVE_INFINITY;
}

/** Splits metered intervals into spans, in elapsed order. */
export function buildSpans(compiled: CompiledTariff, intervals: readonly MeteredInterval[]): Span[] {
  const { freeSeconds, flatPrice } = compiled.tariff;
  const includedEnd = flatPrice === null ? 0 : flatPrice.includedSeconds ?? Number.POSITIVE_INFINITY;
  const spans: Span[] = [];
  for (const run of elapsedRuns(compiled, intervals)) {
    const list = run.band < 0 ? compiled.tiers : (compiled.bands[run.band]?.tiers ?? compiled.tiers);
    let position = run.fromSecond;
    while (position < run.toSecond) {
      const kind: SpanKind = position < freeSeconds ? 'free' : position < includedEnd ? 'included' : 'charged';
      const kindEnd = kind === 'free' ? freeSeconds : kind === 'included' ? includedEnd : Number.POSITIVE_INFINITY;
      const tier = list.length === 0 ? null : tierAt(list, position);
      const end = Math.min(run.toSecond, kindEnd, tier === null ? Number.POSITIVE_INFINITY : nextTierStart(list, tier));
      const last = spans[spans.length - 1];
      if (last !== undefined && last.toSecond === position && last.band === run.band && last.tier === tier && last.kind === kind) {
        spans[spans.length - 1] = { ...last, toSecond: end };
      } else {
        spans.push({ fromSecond: position, toSecond: end, band: run.band, tier, kind });
      }
      position = end;
    }
  }
  return spans;
}
