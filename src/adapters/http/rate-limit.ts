/**
 * Per-credential rate limits: a token bucket per principal (or per client address when there is
 * none), refilled continuously. A refused request gets 429 with Retry-After in whole seconds.
 */
import { RATE_LIMIT_BUCKETS_MAX } from './limits.ts';

interface Bucket { tokens: number; updatedMs: number }

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one token for `key`: 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, limit: RateLimit, nowMs: number): number {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: limit.burst, updatedMs: nowMs };
      if (this.buckets.size >= RATE_LIMIT_BUCKETS_MAX) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
    } else {
      // Re-insert so that the map's order is least recently used first.
      this.buckets.delete(key);
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * limit.perSecond);
      bucket.updatedMs = nowMs;
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  }
}
