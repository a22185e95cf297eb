/**
 * A real `ws` client of the live feed (/v1/live) for protocol tests: it keeps every message it
 * receives, parsed, in order (each must come in a text frame), and tells when its connection closed.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { HttpHarness } from './http-harness.ts';

export interface Watcher {
  readonly ws: WebSocket;
  readonly messages: any[];
  readonly closed: Promise<{ code: number; reason: string }>;
}

export interface WatchOptions {
  /** Called on each message as it arrives, before the next one is read. */
  readonly onMessage?: (message: any) => void;
  /** The Origin header of a browser page. */
  readonly origin?: string;
  /** Other request headers (a credential in `Authorization`, say). */
  readonly headers?: Record<string, string>;
  /** False: the client answers no WebSocket ping by itself. */
  readonly autoPong?: boolean;
}

/** Opens `/v1/live?<query>` on the harness's server; rejects with `HTTP <status>` when the upgrade is refused. */
export function openWatcher(h: HttpHarness, query: string, options: WatchOptions = {}): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.server.url.replace('http', 'ws')}/v1/live?${query}`, {
      ...(options.origin === undefined ? {} : { origin: options.origin }), headers: options.headers ?? {}, autoPong: options.autoPong ?? true,
    });
    const messages: any[] = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => { ws.on('close', (code, reason) => { done({ code, reason: reason.toString() }); }); });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // A browser hands a binary frame to the page as a Blob, not text: every message is a text frame.
      assert.equal(isBinary, false, 'a live message arrives in a text frame');
      const message = JSON.parse(data.toString('utf8'));
      messages.push(message);
      options.onMessage?.(message);
    });
    ws.once('open', () => { resolve({ ws, messages, closed }); });
    ws.once('unexpected-response', (_req, res) => { reject(new Error(`HTTP ${res.statusCode ?? 0}`)); });
    ws.once('error', reject);
  });
}

/** Polls `predicate` every 5 ms of real time; fails saying `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(predicate(), what);
}

export const ofType = (watcher: Watcher, type: string): any[] => watcher.messages.filter((m) => m.type === type);

/**
 * Waits until the watcher has received the session's current seq — or its `ended`: once a session
 * has ended and its watchers are gone, the hub forgets it (its seq reads 0).
 */
export async function caughtUp(h: HttpHarness, watcher: Watcher, sessionId: string): Promise<void> {
  const seq = h.server.hub.seqOf(sessionId);
  await until(() => watcher.messages.some((m) => (seq === 0 ? m.type === 'ended' : m.seq === seq)), `watcher reached seq ${seq}`);
}

/** Asserts that `messages` carry the seqs fromSeq, fromSeq + 1, … with no gap. */
export function assertContiguous(messages: readonly any[], fromSeq: number, what: string): void {
  assert.deepEqual(messages.map((m) => m.seq as number), messages.map((_, i) => fromSeq + i), `${what}: seq grows by one`);
}
