/**
 * The WebSocket endpoint `/v1/live` (ws). Credentials are checked at the upgrade — a missing or
 * bad one is answered 401 before any 101 — and so is the Origin (403 outside the allowlist).
 * Once upgraded, a watcher not entitled to the session is closed with 1008 before any message.
 * Frames over LIVE_MESSAGE_BYTES_MAX close with 1009 (ws's maxPayload). Each watcher is pinged
 * every LIVE_PING_INTERVAL_MS (in groups spread over the interval) and cut off when it has not
 * answered the previous ping; a pong, like a client `ping` message, is proof of presence for the
 * watcher's side of the session. A connection's messages are handled one at a time, after its
 * snapshot, in the order they came.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { SessionBroker, Store } from '../../app/index.ts';
import type { Clock } from '../../app/ports/index.ts';
import { type Authenticator, bearerSecret, type Principal } from '../http/principal.ts';
import { sessionInScope } from '../http/routes/scope.ts';
import {
  LIVE_MESSAGE_BYTES_MAX, LIVE_PENDING_MESSAGES_MAX, LIVE_PING_GROUP_EVERY_MS, LIVE_PING_INTERVAL_MS, LIVE_SNAPSHOT_ATTEMPTS_MAX, LIVE_WATCHERS_PER_SESSION_MAX,
} from './limits.ts';
import { CLOSE_SESSION_ENDED, CLOSE_TOO_SLOW, type LiveHub } from './live-hub.ts';
import { clientMessage, snapshotMessage } from './protocol.ts';

export interface LiveServerDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: LiveHub;
  readonly authenticator: Authenticator;
  /** Origins allowed to open the feed from a browser; requests without Origin (not browsers) pass. */
  readonly allowedOrigins: (origin: string, host: string | undefined) => boolean;
  /** Failures of the feed's own work (a bug, the store failing): reported here, and the watcher is closed with 1011. */
  readonly onError: (error: unknown) => void;
  /** WebSocket ping period (LIVE_PING_INTERVAL_MS by default; tests shorten it). Real time, not the session clock. */
  readonly pingIntervalMs?: number;
}

/** RFC 6455 policy violation: not entitled to this session, or no session named. */
export const CLOSE_POLICY = 1008;
/** RFC 6455 internal error: the server failed handling this connection (reported through `onError`). */
export const CLOSE_INTERNAL_ERROR = 1011;

function refuse(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n\r\n`
    + JSON.stringify({ type: 'about:blank', title: reason, status, code: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'route_not_found' }));
}

function credentialOf(req: IncomingMessage, url: URL): string | null {
  return bearerSecret(req.headers.authorization) ?? url.searchParams.get('access_token');
}

/** Attaches the live feed to an HTTP server's upgrade requests. Returns a function that stops it. */
export function attachLiveServer(server: Server, deps: LiveServerDeps): () => void {
  // permessage-deflate stays off: the hub writes whole frames to the connection itself (live-hub.ts).
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIVE_MESSAGE_BYTES_MAX, clientTracking: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    upgrade(deps, wss, req, socket, head).catch((error: unknown) => {
      deps.onError(error);
      socket.destroy();
    });
  });
  const pingIntervalMs = deps.pingIntervalMs ?? LIVE_PING_INTERVAL_MS;
  const groups: Set<WebSocket>[] = Array.from({ length: Math.max(1, Math.round(pingIntervalMs / LIVE_PING_GROUP_EVERY_MS)) }, () => new Set());
  let joined = 0;
  let turn = 0;
  wss.on('connection', (ws) => {
    const group = groups[joined % groups.length];
    joined += 1;
    group?.add(ws);
    ws.once('close', () => group?.delete(ws));
  });
  // Each watcher is pinged once per interval; one that did not answer the previous ping is cut off.
  const pinger = setInterval(() => {
    const group = groups[turn] ?? [];
    turn = (turn + 1) % groups.length;
    for (const client of group) {
      const state = client as WebSocket & { palierAlive?: boolean };
      if (state.palierAlive === false) {
        client.terminate();
        continue;
      }
      state.palierAlive = false;
      client.ping();
    }
  }, pingIntervalMs / groups.length);
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
    deps.hub.upgraded(ws, socket);
    wss.emit('connection', ws, req);
    watch(deps, ws, principal, principal.kind === 'user' ? principal.sessionId : url.searchParams.get('session'));
  });
}

/** Closes a connection whose handling failed, after reporting why. */
function failed(deps: LiveServerDeps, ws: WebSocket): (error: unknown) => void {
  return (error) => {
    deps.onError(error);
    ws.close(CLOSE_INTERNAL_ERROR, 'internal error');
  };
}

/**
 * Serves one upgraded connection. Its messages are queued from the first byte (a reconnecting
 * client may send `resume` at once) and handled one at a time, after the entitlement check and the
 * snapshot; past a few waiting, the socket is not read (TCP pushes back on the client).
 */
function watch(deps: LiveServerDeps, ws: WebSocket, principal: Principal, sessionId: string | null): void {
  const alive = ws as WebSocket & { palierAlive?: boolean };
  alive.palierAlive = true;
  // Protocol errors (an oversized frame: 1009) close the socket; they are the client's, not ours.
  ws.on('error', () => { ws.terminate(); });
  let watched: string | null = null;
  let turn = admit(deps, ws, principal, sessionId).then((admitted) => { watched = admitted; }).catch(failed(deps, ws));
  let waiting = 0;
  ws.on('message', (data, isBinary) => {
    waiting += 1;
    if (waiting > LIVE_PENDING_MESSAGES_MAX) ws.pause();
    turn = turn.then(() => (watched === null ? undefined : onMessage(deps, ws, principal, watched, data, isBinary))).catch(failed(deps, ws)).finally(() => {
      waiting -= 1;
      if (waiting <= LIVE_PENDING_MESSAGES_MAX && ws.isPaused) ws.resume();
    });
  });
}

/** Checks the watcher is entitled to the session, registers it and sends its snapshot; returns the session id, or null after closing. */
async function admit(deps: LiveServerDeps, ws: WebSocket, principal: Principal, sessionId: string | null): Promise<string | null> {
  if (sessionId === null || !/^[A-Za-z0-9_-]{1,64}$/.test(sessionId)
    || !(await sessionInScope(deps, principal, sessionId).then(() => true, () => false))) {
    ws.close(CLOSE_POLICY, 'not entitled to this session');
    return null;
  }
  if (!deps.hub.watch(sessionId, ws, LIVE_WATCHERS_PER_SESSION_MAX)) {
    ws.close(CLOSE_POLICY, 'too many watchers');
    return null;
  }
  const side = principal.kind === 'user' ? 'user' : principal.kind === 'merchant' ? 'advisor' : null;
  ws.on('pong', () => {
    (ws as WebSocket & { palierAlive?: boolean }).palierAlive = true;
    if (side !== null && !deps.broker.heartbeatNow(sessionId, side)) deps.broker.heartbeat(sessionId, side).catch(failed(deps, ws));
  });
  await sendSnapshot(deps, ws, sessionId);
  return sessionId;
}

/**
 * Sends the session's snapshot, then what was published while it was built: the watcher gets
 * nothing else meanwhile, so the snapshot comes first and no message is lost or reordered. The
 * snapshot's seq is read before the state, so it may already show a message that follows it.
 */
async function sendSnapshot(deps: LiveServerDeps, ws: WebSocket, sessionId: string): Promise<void> {
  for (let attempt = 0; attempt < LIVE_SNAPSHOT_ATTEMPTS_MAX; attempt += 1) {
    const seq = deps.hub.startSnapshot(sessionId, ws);
    const view = await deps.broker.view(sessionId);
    const tariff = view === null ? null : await deps.store.getTariff(view.session.tariffHash);
    if (view === null || tariff === null) {
      ws.close(CLOSE_POLICY, 'no such session');
      return;
    }
    deps.hub.send(ws, JSON.stringify(snapshotMessage(view, tariff, seq)), false);
    if (deps.hub.finishSnapshot(sessionId, ws, seq)) {
      if (view.session.status === 'rated') ws.close(CLOSE_SESSION_ENDED, 'session ended');
      return;
    }
  }
  ws.close(CLOSE_TOO_SLOW, 'try again later');
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
      if (!deps.hub.resume(sessionId, ws, message.data.lastSeq)) await sendSnapshot(deps, ws, sessionId);
      return;
    }
  }
}
