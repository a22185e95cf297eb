/**
 * The live benchmark's baseline (live.bench.ts), in a child process of its own so that its CPU is
 * measured apart from Palier's server, which goes on running (and ticking its sessions) in the
 * parent while this one is measured. Commands over IPC: `start` with the sessions (answers
 * `started` with the URL), `probe-begin` and `probe-end` around a measuring window (answers the
 * CPU time and the event loop's worst delay between the two), `stop`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type WebSocket, WebSocketServer } from 'ws';
import { LIVE_MESSAGE_BYTES_MAX, LIVE_PING_GROUP_EVERY_MS, LIVE_PING_INTERVAL_MS } from '../../src/adapters/live/limits.ts';
import { exposedGc, isEntry, settledMemory } from './harness.ts';

/** What the bare server knows of a session: its id, and when metering started (null: not metered, refused). */
export interface BareSession { readonly id: string; readonly meteringStartedAtMs: number | null }

export type BareCommand =
  | { readonly type: 'start'; readonly sessions: readonly BareSession[] }
  | { readonly type: 'probe-begin' }
  | { readonly type: 'probe-end' }
  | { readonly type: 'settle' }
  | { readonly type: 'stop' };

export type BareReport =
  | { readonly type: 'ready' }
  | { readonly type: 'started'; readonly url: string }
  | { readonly type: 'probed'; readonly userUs: number; readonly systemUs: number; readonly loopDelayMaxMs: number }
  | { readonly type: 'settled' }
  | { readonly type: 'stopped' };

/**
 * The baseline: a bare ws server that sends each watcher a snapshot and then, at its session's
 * instants, the same tick message Palier sends (serialised per tick), with pings as Palier's. A
 * 1 ms interval walks the second in 1 ms slots, so each tick leaves at the instant Palier's would
 * (sending the same bytes in coarser batches costs the kernel less, and would flatter the baseline).
 */
async function startBareServer(sessions: readonly BareSession[]): Promise<{ url: string; stop: () => Promise<void> }> {
  interface Due { readonly ws: WebSocket; readonly session: BareSession; readonly startedAtMs: number; nextMs: number; seq: number }
  const slots: Set<Due>[] = Array.from({ length: 1000 }, () => new Set<Due>());
  const http = createServer();
  const wss = new WebSocketServer({ server: http, maxPayload: LIVE_MESSAGE_BYTES_MAX });
  // Pings as Palier sends them: each client once per interval, a group every LIVE_PING_GROUP_EVERY_MS.
  const pingGroups: Set<WebSocket>[] = Array.from({ length: LIVE_PING_INTERVAL_MS / LIVE_PING_GROUP_EVERY_MS }, () => new Set());
  let joined = 0;
  wss.on('connection', (ws, req) => {
    const session = sessions[Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('i'))];
    if (session?.meteringStartedAtMs === null || session === undefined) {
      ws.close(1008);
      return;
    }
    const startedAtMs = session.meteringStartedAtMs;
    ws.send(JSON.stringify({ type: 'snapshot', v: 1, seq: 0, sessionId: session.id, status: 'active', meteringStartedAt: new Date(startedAtMs).toISOString() }));
    const nowMs = Date.now();
    const due: Due = { ws, session, startedAtMs, nextMs: startedAtMs + (Math.floor((nowMs - startedAtMs) / 1000) + 1) * 1000, seq: 0 };
    const slot = slots[due.nextMs % 1000];
    const pingGroup = pingGroups[joined % pingGroups.length];
    joined += 1;
    slot?.add(due);
    pingGroup?.add(ws);
    ws.on('close', () => {
      slot?.delete(due);
      pingGroup?.delete(ws);
    });
  });
  let doneMs = Date.now();
  const ticker = setInterval(() => {
    const nowMs = Date.now();
    for (let ms = doneMs + 1; ms <= nowMs; ms += 1) {
      for (const due of slots[ms % 1000] ?? []) {
        if (due.nextMs > nowMs) continue;
        const meteredSeconds = (due.nextMs - due.startedAtMs) / 1000;
        due.seq += 1;
        due.ws.send(JSON.stringify({ type: 'tick', sessionId: due.session.id, meteredSeconds, amount: '4.25', seq: due.seq }));
        due.nextMs += 1000;
      }
    }
    doneMs = nowMs;
  }, 1);
  let turn = 0;
  const pinger = setInterval(() => {
    for (const client of pingGroups[turn] ?? []) client.ping();
    turn = (turn + 1) % pingGroups.length;
  }, LIVE_PING_GROUP_EVERY_MS);
  await new Promise<void>((resolve) => { http.listen(0, '127.0.0.1', resolve); });
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    stop: async () => {
      clearInterval(ticker);
      clearInterval(pinger);
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}


if (process.send !== undefined && isEntry(import.meta.url)) {
  const send = (report: BareReport): void => { process.send?.(report); };
  let server: { url: string; stop: () => Promise<void> } | null = null;
  let probe: { cpu: NodeJS.CpuUsage; delay: ReturnType<typeof monitorEventLoopDelay> } | null = null;
  process.on('message', (command: BareCommand) => {
    void (async () => {
      switch (command.type) {
        case 'start':
          server = await startBareServer(command.sessions);
          send({ type: 'started', url: server.url });
          return;
        case 'probe-begin': {
          const delay = monitorEventLoopDelay({ resolution: 1 });
          delay.enable();
          probe = { cpu: process.cpuUsage(), delay };
          send({ type: 'probed', userUs: 0, systemUs: 0, loopDelayMaxMs: 0 });
          return;
        }
        case 'probe-end': {
          if (probe === null) throw new Error('probe-end without probe-begin');
          const cpu = process.cpuUsage(probe.cpu);
          probe.delay.disable();
          send({ type: 'probed', userUs: cpu.user, systemUs: cpu.system, loopDelayMaxMs: probe.delay.max / 1e6 });
          probe = null;
          return;
        }
        case 'settle':
          await settledMemory(exposedGc());
          send({ type: 'settled' });
          return;
        case 'stop':
          await server?.stop();
          send({ type: 'stopped' });
          process.disconnect();
          return;
      }
    })();
  });
  send({ type: 'ready' });
}
