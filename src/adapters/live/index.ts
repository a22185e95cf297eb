/** The live price feed over WebSocket. */
export { LIVE_MESSAGE_BYTES_MAX, LIVE_PING_INTERVAL_MS } from './limits.ts';
export { CLOSE_SESSION_ENDED, CLOSE_TOO_SLOW, LiveHub } from './live-hub.ts';
export { attachLiveServer, CLOSE_INTERNAL_ERROR, CLOSE_POLICY, type LiveServerDeps } from './live-server.ts';
export { clientMessage, type ClientMessage } from './protocol.ts';

/**
 * An Origin allowlist: the listed origins, plus the server's own origin (same host). Browsers send
 * Origin on WebSocket upgrades; other clients do not and are judged by their credential alone.
 */
export function originAllowlist(origins: readonly string[]): (origin: string, host: string | undefined) => boolean {
  const allowed = new Set(origins.map((o) => o.replace(/\/$/, '')));
  return (origin, host) => {
    if (allowed.has(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  };
}
