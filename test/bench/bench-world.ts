/**
 * The broker benchmark's world: a temporary SQLite file holding the demo data set, plus bench
 * subscribers (so that monthly budgets do not run out mid-run) and extra merchant API keys for the
 * demo merchant (so that the per-key rate limit is not what an HTTP benchmark measures). Everything
 * goes through the demo seed, with its checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { ulidGenerator } from '../../src/adapters/ids.ts';
import { newApiSecret } from '../../src/adapters/secrets/index.ts';
import type { Store } from '../../src/app/index.ts';
import { type DemoSeed, loadDemoDataSet, seedDemo } from '../../src/app/seed/index.ts';
import { Money } from '../../src/domain/index.ts';
import { createLogger } from '../../src/server.ts';

export const BENCH_OFFER_ID = 'off_windows_help';
export const BENCH_MERCHANT_ID = 'mer_depannage_pc';
const BENCH_SUBSCRIBER_LABEL = 'Bench subscriber';
const BENCH_KEY_LABEL = 'Bench front server';
/** The same monthly budget as the demo's Alice and Bruno. */
const BENCH_MONTHLY_CAP = Money.of('300.00', 'EUR');
const BILLING_CARRIERS = ['car_orange', 'car_sfr', 'car_bouygues', 'car_free'] as const;

export interface WorldSize {
  /** Bench subscribers (300 € a month each), spread over the four French carriers. */
  readonly subscribers: number;
  /** Extra merchant keys for BENCH_MERCHANT_ID, beside the demo's one. */
  readonly merchantKeys: number;
}

export interface BenchWorld {
  readonly seed: DemoSeed;
  /** Ids of the bench subscribers. */
  readonly subscriberIds: readonly string[];
  /** Every merchant key secret of BENCH_MERCHANT_ID (the demo's first). */
  readonly merchantKeys: readonly string[];
}

/** Seeds the demo data set with the bench's subscribers and keys into an empty database. */
export async function seedBenchWorld(store: Store, nowMs: number, size: WorldSize): Promise<BenchWorld> {
  const demo = loadDemoDataSet();
  const subscribers = Array.from({ length: size.subscribers }, (_, i) => ({
    label: `${BENCH_SUBSCRIBER_LABEL} ${i + 1}`, msisdn: `+3361${String(i).padStart(7, '0')}`,
    billingCarrierId: BILLING_CARRIERS[i % BILLING_CARRIERS.length] ?? 'car_orange', monthlyCap: BENCH_MONTHLY_CAP, status: 'active' as const,
  }));
  const keys = Array.from({ length: size.merchantKeys }, (_, i) => ({ role: 'merchant' as const, scopeId: BENCH_MERCHANT_ID, label: `${BENCH_KEY_LABEL} ${i + 1}` }));
  const seed = await seedDemo(store, {
    nowMs, ids: ulidGenerator(() => nowMs), msisdnKey: new Uint8Array(32).fill(7), newApiSecret: () => newApiSecret(),
    dataSet: { ...demo, subscribers: [...demo.subscribers, ...subscribers], apiKeys: [...demo.apiKeys, ...keys] },
  });
  return {
    seed,
    subscriberIds: seed.subscribers.filter((s) => s.label.startsWith(BENCH_SUBSCRIBER_LABEL)).map((s) => s.id),
    merchantKeys: seed.apiKeys.filter((k) => k.role === 'merchant' && k.scopeId === BENCH_MERCHANT_ID).map((k) => k.secret),
  };
}

/**
 * The server's own logger (createLogger: its level, its redaction) writing to /dev/null the way
 * pino writes to stdout by default: asynchronously, the lines logged while a write is in flight
 * going out together in the next.
 */
export function benchLogger(): Logger {
  return createLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) });
}

/** A path for a SQLite file in a new temporary directory, and how to remove it. */
export function temporarySqlitePath(): { readonly path: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'palier-broker-bench-'));
  return { path: join(dir, 'palier.sqlite'), remove: () => { rmSync(dir, { recursive: true, force: true }); } };
}
