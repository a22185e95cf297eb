/**
 * The WebSocket endpoint `/v1/live` (ws). Credentials are checked at the upgrade — a missing or
 * bad one is answered 401 before any 101 — and so is the Origin (403 outside the allowlist).
 * Once upgraded, a watcher not entitled to the session is closed with 1008 before any message.
 * Frames over LIVE_MESSAGE_BYTES_MAX close with 1009 (ws's maxPayload). Pings every
 * LIVE_PING_INTERVAL_MS; a pong, like a client `ping` message, is proof of presence for the
 * watcher's side of the session.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { SessionBroker, Store } from '../../app/index.ts';
import type { Clock } from '../../app/ports/index.ts';
import { type Authenticator, bearerSecret, type Principal } from '../http/principal.ts';
import { sessionInScope } from '../http/routes/scope.ts';
import { LIVE_MESSAGE_BYTES_MAX, LIVE_PING_INTERVAL_MS, LIVE_WATCHERS_PER_SESSION_MAX } from './limits.ts';
import type { LiveHub } from './live-hub.ts';
import { clientMessage, snapshotMessage } from './protocol.ts';

export interface LiveServerDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: LiveHub;
  readonly authenticator: Authenticator;
  /** Origins allowed to open the feed from a browser; requests without Origin (not browsers) pass. */
  readonly allowedOrigins: (origin: string, host: string | undefined) => boolean;
}

/** RFC 6455 policy violation: not entitled to this session, or no session named. */
export const CLOSE_POLICY = 1008;

function refuse(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n\r\n`
    + JSON.stringify({ type: 'about:blank', title: reason, status, code: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'route_not_found' }));
}

function credentialOf(req: IncomingMessage, url: URL): string | null {
  return bearerSecret(req.headers.authorization) ?? url.searchParams.get('access_token');
}

/** Attaches the live feed to an HTTP server's upgrade requests. Returns a function that stops it. */
export function attachLiveServer(server: Server, deps: LiveServerDeps): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIVE_MESSAGE_BYTES_MAX, clientTracking: true });
  server.on('upgrade', (req, socket, head) => {
    void upgrade(deps, wss, req, socket, head);
  });
  const pinger = setInterval(() => {
    for (const client of wss.clients) {
      const state = client as WebSocket & { palierAlive?: boolean };
      if (state.palierAlive === false) {
        client.terminate();
        continue;
      }
      state.palierAlive = false;
      client.ping();
    }
  }, LIVE_PING_INTERVAL_MS);
  pinger.unref();
  return () => {
    clearInterval(pinger);
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}

async function upgrade(deps: LiveServerDeps, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/v1/live') {
    refuse(socket, 404, 'Not Found');
    return;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !deps.allowedOrigins(origin, req.headers.host)) {
    refuse(socket, 403, 'Forbidden');
    return;
  }
  const secret = credentialOf(req, url);
  const principal = secret === null ? null : await deps.authenticator.authenticate(secret).catch(() => null);
  if (principal === null || principal.kind === 'quote') {
    refuse(socket, 401, 'Unauthorized');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    void watch(deps, ws, principal, principal.kind === 'user' ? principal.sessionId : url.searchParams.get('session'));
  });
}

async function watch(deps: LiveServerDeps, ws: WebSocket, principal: Principal, sessionId: string | null): Promise<void> {
  const alive = ws as WebSocket & { palierAlive?: boolean };
  alive.palierAlive = true;
  // Protocol errors (an oversized frame: 1009) close the socket; they are the client's, not ours.
  ws.on('error', () => { ws.terminate(); });
  if (sessionId === null || !/^[A-Za-z0-9_-]{1,64}$/.test(sessionId)
    || !(await sessionInScope(deps, principal, sessionId).then(() => true, () => false))) {
    ws.close(CLOSE_POLICY, 'not entitled to this session');
    return;
  }
  if (!deps.hub.watch(sessionId, ws, LIVE_WATCHERS_PER_SESSION_MAX)) {
    ws.close(CLOSE_POLICY, 'too many watchers');
    return;
  }
  const side = principal.kind === 'user' ? 'user' : principal.kind === 'merchant' ? 'advisor' : null;
  ws.on('pong', () => {
    alive.palierAlive = true;
    if (side !== null) void deps.broker.heartbeat(sessionId, side);
  });
  ws.on('message', (data, isBinary) => { void onMessage(deps, ws, principal, sessionId, data, isBinary); });
  await sendSnapshot(deps, ws, sessionId);
}

async function sendSnapshot(deps: LiveServerDeps, ws: WebSocket, sessionId: string): Promise<void> {
  const seq = deps.hub.seqOf(sessionId);
  const view = await deps.broker.view(sessionId);
  const tariff = view === null ? null : await deps.store.getTariff(view.session.tariffHash);
  if (view === null || tariff === null) {
    ws.close(CLOSE_POLICY, 'no such session');
    return;
  }
  deps.hub.send(ws, JSON.stringify(snapshotMessage(view, tariff, seq)), false);
  if (view.session.status === 'rated') ws.close(1000, 'session ended');
}

async function onMessage(deps: LiveServerDeps, ws: WebSocket, principal: Principal, sessionId: string, data: RawData, isBinary: boolean): Promise<void> {
  let parsed: unknown;
  try {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(new Uint8Array(data)).toString('utf8');
    parsed = isBinary ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  const message = clientMessage.safeParse(parsed);
  if (!message.success) {
    deps.hub.send(ws, JSON.stringify({ type: 'error', code: 'bad_message', detail: 'expected {"type":"ping"|"end"|"resume"}' }), false);
    return;
  }
  switch (message.data.type) {
    case 'ping': {
      if (principal.kind === 'user' || principal.kind === 'merchant') await deps.broker.heartbeat(sessionId, principal.kind === 'user' ? 'user' : 'advisor');
      deps.hub.send(ws, JSON.stringify({ type: 'pong', at: new Date(deps.clock.nowMs()).toISOString() }), false);
      return;
    }
    case 'end': {
      const reason = principal.kind === 'user' ? 'user' : principal.kind === 'merchant' ? 'advisor' : 'operator';
      const ended = await deps.broker.end(sessionId, reason);
      if (!ended.ok) deps.hub.send(ws, JSON.stringify({ type: 'error', code: ended.error }), false);
      return;
    }
    case 'resume': {
      const missed = deps.hub.replaySince(sessionId, message.data.lastSeq);
      if (missed === null) await sendSnapshot(deps, ws, sessionId);
      else for (const text of missed) deps.hub.send(ws, text, false);
      return;
    }
  }
}
