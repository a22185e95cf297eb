/** Limits of the live feed, each with its reason (STYLE.md rule 9). */

/** Client messages are tiny (`ping`, `end`, `resume`): 4 KiB is generous and bounds parsing work. */
export const LIVE_MESSAGE_BYTES_MAX = 4 * 1024;

/** Above this many bytes waiting in a socket's send buffer, ticks to it are skipped (state changes never). */
export const LIVE_SEND_BUFFER_SKIP_TICKS_BYTES = 64 * 1024;

/** Above this, the client is not reading at all: it is dropped to protect the server's memory. */
export const LIVE_SEND_BUFFER_DROP_BYTES = 1024 * 1024;

/** WebSocket pings: a connection that misses a pong for this long is terminated. */
export const LIVE_PING_INTERVAL_MS = 10_000;

/** Messages kept per watched session for `resume` after a reconnect (about half a minute of ticks). */
export const LIVE_REPLAY_MESSAGES_MAX = 32;

/** Watchers per session: the user, an advisor, a supervisor or two — not a broadcast. */
export const LIVE_WATCHERS_PER_SESSION_MAX = 16;
