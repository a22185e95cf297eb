/**
 * Which band prices each instant: the wall-clock side of rating, DST-correct.
 *
 * Each second is priced by the highest-priority band whose local time window (in the band's own
 * IANA zone) covers the second's start (ties go to the band listed first); no band means the base
 * tiers. A UTC day is computed once per tariff and cached: the zone's offset is constant between
 * transitions, so inside each constant-offset piece a band's windows are plain arithmetic on local
 * time. This is exact across both DST changes: a window in the spring-forward gap covers nothing,
 * and a window in the fall-back hour covers both of its occurrences.
 */
import { assert } from '../assert.ts';
import { BAND_TIMELINE_DAYS_CACHED_MAX } from '../limits.ts';
import type { BandSegment, CompiledBand, CompiledTariff } from './compiled-tariff.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Zone offsets are sampled every six hours (in minutes); no zone changes its offset twice within six hours. */
const OFFSET_SAMPLE_MIN = 6 * 60;

interface OffsetPiece { readonly startMs: number; readonly endMs: number; readonly offsetMs: number }
interface Window { readonly startMs: number; readonly endMs: number; readonly band: number }

/** The band segments covering [fromMs, toMs), merged, in order. Requires at least one band. */
export function bandSegments(compiled: CompiledTariff, fromMs: number, toMs: number): BandSegment[] {
  const out: BandSegment[] = [];
  for (let day = Math.floor(fromMs / DAY_MS); day * DAY_MS < toMs; day += 1) {
    for (const segment of daySegments(compiled, day)) {
      const startMs = Math.max(segment.startMs, fromMs);
      const endMs = Math.min(segment.endMs, toMs);
      if (startMs >= endMs) continue;
      const last = out[out.length - 1];
      if (last !== undefined && last.band === segment.band && last.endMs === startMs) out[out.length - 1] = { ...last, endMs };
      else out.push({ startMs, endMs, band: segment.band });
    }
  }
  return out;
}

function daySegments(compiled: CompiledTariff, day: number): readonly BandSegment[] {
  let segments = compiled.bandDays.get(day);
  if (segments === undefined) {
    if (compiled.bandDays.size >= BAND_TIMELINE_DAYS_CACHED_MAX) compiled.bandDays.clear();
    segments = computeDay(compiled.bands, day * DAY_MS, (day + 1) * DAY_MS);
    compiled.bandDays.set(day, segments);
  }
  return segments;
}

function computeDay(bands: readonly CompiledBand[], dayStartMs: number, dayEndMs: number): BandSegment[] {
  const windows = bands.flatMap((band, index) => bandWindows(band, index, dayStartMs, dayEndMs));
  const cuts = [...new Set([dayStartMs, dayEndMs, ...windows.flatMap((w) => [w.startMs, w.endMs])])].sort((a, b) => a - b);
  const segments: BandSegment[] = [];
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const startMs = cuts[i] ?? 0;
    const endMs = cuts[i + 1] ?? 0;
    let chosen = -1;
    for (const window of windows) {
      if (window.startMs > startMs || window.endMs < endMs) continue;
      const current = bands[chosen];
      const candidate = bands[window.band];
      if (candidate === undefined) continue;
      if (current === undefined || candidate.band.priority > current.band.priority ||
        (candidate.band.priority === current.band.priority && window.band < chosen)) chosen = window.band;
    }
    const last = segments[segments.length - 1];
    if (last !== undefined && last.band === chosen) segments[segments.length - 1] = { ...last, endMs };
    else segments.push({ startMs, endMs, band: chosen });
  }
  return segments;
}

/** The UTC intervals of [dayStartMs, dayEndMs) that `band`'s local windows cover. */
function bandWindows(band: CompiledBand, index: number, dayStartMs: number, dayEndMs: number): Window[] {
  const out: Window[] = [];
  const { fromMinute, toMinute, days } = band.band;
  const lengthMs = ((toMinute > fromMinute ? toMinute : toMinute + 1440) - fromMinute) * MINUTE_MS;
  for (const piece of offsetPieces(band, dayStartMs, dayEndMs)) {
    const firstLocalDay = Math.floor((piece.startMs + piece.offsetMs) / DAY_MS) - 1;
    const lastLocalDay = Math.floor((piece.endMs - 1 + piece.offsetMs) / DAY_MS);
    for (let localDay = firstLocalDay; localDay <= lastLocalDay; localDay += 1) {
      // 1970-01-01 was a Thursday (ISO weekday 4).
      const weekday = (((localDay + 3) % 7) + 7) % 7 + 1;
      if (!days.includes(weekday as 1)) continue;
      const openUtcMs = localDay * DAY_MS + fromMinute * MINUTE_MS - piece.offsetMs;
      const startMs = Math.max(openUtcMs, piece.startMs);
      const endMs = Math.min(openUtcMs + lengthMs, piece.endMs);
      if (startMs < endMs) out.push({ startMs, endMs, band: index });
    }
  }
  return out;
}

/**
 * Splits [fromMs, toMs) (whole minutes) where the zone's UTC offset changes. Transitions fall on
 * whole minutes, so the search works in minutes.
 */
function offsetPieces(band: CompiledBand, fromMs: number, toMs: number): OffsetPiece[] {
  assert(fromMs % MINUTE_MS === 0 && toMs % MINUTE_MS === 0, 'offsetPieces: bounds on whole minutes');
  const offsetAt = (minute: number): number => band.zone.offset(minute * MINUTE_MS) * MINUTE_MS;
  const pieces: OffsetPiece[] = [];
  let pieceStart = fromMs / MINUTE_MS;
  let pieceOffset = offsetAt(pieceStart);
  const close = (transition: number, nextOffset: number): void => {
    pieces.push({ startMs: pieceStart * MINUTE_MS, endMs: transition * MINUTE_MS, offsetMs: pieceOffset });
    pieceStart = transition;
    pieceOffset = nextOffset;
  };
  for (let sample = fromMs / MINUTE_MS; sample < toMs / MINUTE_MS; sample += OFFSET_SAMPLE_MIN) {
    const startOffset = offsetAt(sample);
    if (startOffset !== pieceOffset) close(sample, startOffset);
    let lo = sample;
    let hi = Math.min(sample + OFFSET_SAMPLE_MIN, toMs / MINUTE_MS) - 1;
    const endOffset = offsetAt(hi);
    if (endOffset === startOffset) continue;
    // Invariant: offsetAt(lo) is the old offset, offsetAt(hi) is not.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(mid) === startOffset) lo = mid;
      else hi = mid;
    }
    close(hi, offsetAt(hi));
  }
  pieces.push({ startMs: pieceStart * MINUTE_MS, endMs: toMs, offsetMs: pieceOffset });
  return pieces;
}
