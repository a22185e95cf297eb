/**
 * The live benchmark's watchers, in a process of their own so that the server's CPU is measured
 * alone (live.bench.ts forks it with `--import tsx` and drives it over IPC). Each watcher reads
 * its snapshot (`meteringStartedAt`), then stamps every tick on arrival: a tick showing
 * `meteredSeconds` n was due at meteringStartedAt + n s, so its lateness is arrival − due on the
 * machine's one wall clock (the server's clock is anchored to it too), to the millisecond.
 */
import WebSocket from 'ws';
import { isEntry } from './harness.ts';

export type ClientCommand =
  | { readonly type: 'connect'; readonly urls: readonly string[]; readonly concurrency: number }
  | { readonly type: 'measure'; readonly durationMs: number }
  | { readonly type: 'close' }
  | { readonly type: 'exit' };

/** Lateness above this is counted at this value (a stall that long fails any target anyway). */
export const LATENESS_MS_MAX = 5_000;

export interface Measured {
  readonly type: 'measured';
  readonly ticks: number;
  /** Bytes of every message received in the window (payloads, not framing). */
  readonly bytes: number;
  readonly otherMessages: number;
  /** Watchers that received at least one tick in the window. */
  readonly watchersTicked: number;
  /** Ticks by whole milliseconds of lateness, 0 to LATENESS_MS_MAX (early arrivals, within the clock's resolution, count as 0). */
  readonly latenessCounts: readonly number[];
}

export type ClientReport =
  | { readonly type: 'ready' }
  | { readonly type: 'connected'; readonly open: number; readonly failed: number; readonly elapsedMs: number }
  | Measured
  | { readonly type: 'closed' };

interface Watch {
  readonly ws: WebSocket;
  startedAtMs: number | null;
  ticked: boolean;
}

const watches: Watch[] = [];
let window: { ticks: number; bytes: number; other: number; lateness: Uint32Array } | null = null;

function onMessage(watch: Watch, data: Buffer): void {
  // The wall clock, as the server's clock (performance.timeOrigin may sit a few ms off it).
  const arrivedMs = Date.now();
  const message = JSON.parse(data.toString('utf8')) as { type: string; meteringStartedAt?: string | null; meteredSeconds?: number };
  if (message.type === 'snapshot' && typeof message.meteringStartedAt === 'string') watch.startedAtMs = Date.parse(message.meteringStartedAt);
  if (window === null) return;
  window.bytes += data.length;
  if (message.type !== 'tick' || watch.startedAtMs === null || message.meteredSeconds === undefined) {
    window.other += 1;
    return;
  }
  window.ticks += 1;
  watch.ticked = true;
  const latenessMs = Math.min(LATENESS_MS_MAX, Math.max(0, arrivedMs - (watch.startedAtMs + message.meteredSeconds * 1000)));
  window.lateness[latenessMs] = (window.lateness[latenessMs] ?? 0) + 1;
}

/** Opens one watcher; resolves true once its first message (the snapshot) arrived. */
function openOne(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const watch: Watch = { ws, startedAtMs: null, ticked: false };
    ws.on('message', (data: Buffer) => {
      onMessage(watch, data);
      resolve(true);
    });
    ws.once('error', () => { resolve(false); });
    ws.once('close', () => { resolve(false); });
    watches.push(watch);
  });
}

async function connect(urls: readonly string[], concurrency: number): Promise<ClientReport> {
  const startedMs = performance.now();
  let next = 0;
  let open = 0;
  let failed = 0;
  const lane = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next];
      next += 1;
      if (url === undefined) continue;
      if (await openOne(url)) open += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { type: 'connected', open, failed, elapsedMs: performance.now() - startedMs };
}

async function measure(durationMs: number): Promise<Measured> {
  for (const watch of watches) watch.ticked = false;
  window = { ticks: 0, bytes: 0, other: 0, lateness: new Uint32Array(LATENESS_MS_MAX + 1) };
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const done = window;
  window = null;
  return {
    type: 'measured', ticks: done.ticks, bytes: done.bytes, otherMessages: done.other,
    watchersTicked: watches.filter((w) => w.ticked).length, latenessCounts: [...done.lateness],
  };
}

async function closeAll(): Promise<ClientReport> {
  const closed = watches.map((watch) => new Promise<void>((resolve) => {
    if (watch.ws.readyState === WebSocket.CLOSED) resolve();
    else {
      watch.ws.once('close', () => { resolve(); });
      watch.ws.terminate();
    }
  }));
  await Promise.all(closed);
  watches.length = 0;
  return { type: 'closed' };
}

async function handle(command: ClientCommand): Promise<ClientReport | null> {
  switch (command.type) {
    case 'connect': return connect(command.urls, command.concurrency);
    case 'measure': return measure(command.durationMs);
    case 'close': return closeAll();
    case 'exit': {
      await closeAll();
      process.disconnect();
      return null;
    }
  }
}

if (process.send !== undefined && isEntry(import.meta.url)) {
  process.on('message', (command: ClientCommand) => {
    void handle(command).then((report) => { if (report !== null) process.send?.(report); });
  });
  process.send({ type: 'ready' } satisfies ClientReport);
}
