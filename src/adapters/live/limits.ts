/** Limits of the live feed, each with its reason (STYLE.md rule 9). */

/** Client messages are tiny (`ping`, `end`, `resume`): 4 KiB is generous and bounds parsing work. */
export const LIVE_MESSAGE_BYTES_MAX = 4 * 1024;

/** Above this many bytes waiting in a socket's send buffer, ticks to it are skipped (state changes never). */
export const LIVE_SEND_BUFFER_SKIP_TICKS_BYTES = 64 * 1024;

/** Above this, the client is not reading at all: it is dropped to protect the server's memory. */
export const LIVE_SEND_BUFFER_DROP_BYTES = 1024 * 1024;

/** WebSocket pings: a connection that misses a pong for this long is terminated. */
export const LIVE_PING_INTERVAL_MS = 10_000;

/**
 * Pings go out in groups, one group this often, each watcher once per interval: 10,000 pings in
 * one burst hold up every tick due behind them for tens of milliseconds.
 */
export const LIVE_PING_GROUP_EVERY_MS = 100;

/** Messages kept per watched session for `resume` after a reconnect (about half a minute of ticks). */
export const LIVE_REPLAY_MESSAGES_MAX = 32;

/**
 * A snapshot outrun this many times by more than LIVE_REPLAY_MESSAGES_MAX messages means the store
 * is far too slow: the watcher is closed with 1013 and reconnects later.
 */
export const LIVE_SNAPSHOT_ATTEMPTS_MAX = 3;

/** Client messages waiting to be handled on one connection before the server stops reading it (TCP pushes back). */
export const LIVE_PENDING_MESSAGES_MAX = 8;

/** Watchers per session: the user, an advisor, a supervisor or two — not a broadcast. */
export const LIVE_WATCHERS_PER_SESSION_MAX = 16;
