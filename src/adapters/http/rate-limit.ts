/**
 * Per-credential rate limits: a token bucket per principal (or per client address when there is
 * none), refilled continuously. A refused request gets 429 with Retry-After in whole seconds.
 *
 * At most RATE_LIMIT_BUCKETS_MAX buckets are kept. A bucket that has refilled to its burst says
 * nothing a missing one would not (a new bucket starts full), so when the bound is reached the
 * full ones are dropped, in one sweep; only if that frees less than a tenth of the bound are the
 * oldest buckets dropped too (as many distinct callers within one refill time as the bound).
 * A request touches its bucket in place: no reordering of the map at every request.
 */
import { RATE_LIMIT_BUCKETS_MAX } from './limits.ts';

interface Bucket {
  tokens: number;
  updatedMs: number;
  /** When it will be full again if not used: from then on it may be dropped. */
  fullAtMs: number;
}

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly bucketsMax = RATE_LIMIT_BUCKETS_MAX) {}

  /** Takes one token for `key`: 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, limit: RateLimit, nowMs: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.bucketsMax) this.evict(nowMs);
      bucket = { tokens: limit.burst, updatedMs: nowMs, fullAtMs: nowMs };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * limit.perSecond);
      bucket.updatedMs = nowMs;
    }
    let wait = 0;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else wait = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    bucket.fullAtMs = nowMs + ((limit.burst - bucket.tokens) / limit.perSecond) * 1000;
    return wait;
  }

  /** Buckets kept now. */
  get size(): number {
    return this.buckets.size;
  }

  private evict(nowMs: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.fullAtMs <= nowMs) this.buckets.delete(key);
    const target = this.bucketsMax - Math.ceil(this.bucketsMax / 10);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
