/**
 * Idempotency records are kept IDEMPOTENCY_RECORD_TTL_MS after their request completed (long
 * enough for any client's retries), then removed: without this job the table would keep every
 * POST's response forever. It runs on the shared scheduler, one purge at a time: the first one
 * interval after start, each next one when the oldest record kept becomes due, but never sooner
 * than IDEMPOTENCY_PURGE_INTERVAL_MS after the last — so a busy server purges every interval, a
 * quiet one about once a day, and a manual clock moved across months runs a purge for each day
 * with records, not one a minute. Each purge removes what is due in small chunks
 * (Store.purgeIdempotent). Several processes sharing a PostgreSQL database each purge: a record
 * removed twice is removed once.
 */
import { IDEMPOTENCY_PURGE_INTERVAL_MS, IDEMPOTENCY_RECORD_TTL_MS } from './limits.ts';
import type { Clock, Scheduler, Store, TimerHandle } from './ports/index.ts';

export interface IdempotencyPurgeDeps {
  readonly store: Pick<Store, 'purgeIdempotent' | 'nextIdempotentPurgeMs'>;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** Where a purge's promise goes (the server logs its failure; the next purge is planned anyway). */
  readonly background: (work: Promise<unknown>) => void;
  /** Told how many records each purge removed. */
  readonly purged?: (count: number) => void;
}

export class IdempotencyPurge {
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: IdempotencyPurgeDeps) {}

  /** Plans the first purge, one interval from now. */
  start(): void {
    this.plan(this.deps.clock.nowMs() + IDEMPOTENCY_PURGE_INTERVAL_MS);
  }

  /** No purge after this; resolves once the one running, if any, has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.deps.scheduler.cancel(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private plan(atMs: number): void {
    if (this.stopped) return;
    this.timer = this.deps.scheduler.at(atMs, (dueMs) => {
      this.timer = null;
      this.running = this.purge(dueMs);
      this.deps.background(this.running);
    });
  }

  private async purge(nowMs: number): Promise<void> {
    // After a failure, the next attempt one interval later.
    let nextMs = nowMs + IDEMPOTENCY_PURGE_INTERVAL_MS;
    try {
      this.deps.purged?.(await this.deps.store.purgeIdempotent(nowMs));
      // Nothing kept: whatever comes next is created from now on, and due a retention later.
      const dueMs = await this.deps.store.nextIdempotentPurgeMs() ?? nowMs + IDEMPOTENCY_RECORD_TTL_MS;
      nextMs = Math.max(nextMs, dueMs);
    } finally {
      this.running = null;
      this.plan(nextMs);
    }
  }
}
