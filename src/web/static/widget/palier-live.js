/**
 * The live feed on the browser side (protocol v1, src/adapters/live/protocol.ts): a pure reducer
 * from the server's messages to the meter's state, and a connection that keeps a WebSocket open,
 * proves presence with a `ping` every few seconds and reconnects after a drop.
 *
 * The server is the only clock: the elapsed time and the amount shown are the last `tick`'s, so
 * the last price shown is the price billed. Ticks carry only the time and the amount; the rate in
 * force and the next step come with a `snapshot`, which the connection fetches again (by
 * reconnecting) when the state changes or a price step passes — a few times a session, one
 * snapshot read each. Every reconnection, deliberate or after a drop, sends `resume` with the
 * last seq seen, so the messages published while away (a notice above all: a snapshot does not
 * carry them) are replayed after the new snapshot and nothing is lost.
 */

/**
 * Proof of presence, every second. The server ends a session after 30 s without it (by default),
 * and the time and amount it shows never pass the last proof of presence of both sides (so that no
 * tick ever shows more than the final charge): the meter moves as often as the proofs come.
 */
export const LIVE_PING_INTERVAL_MS = 1_000;

/** Reconnection backoff after a dropped connection: doubles from the first to the last. */
export const LIVE_RECONNECT_DELAY_MS_MIN = 500;
export const LIVE_RECONNECT_DELAY_MS_MAX = 10_000;

/** Close code the client uses to drop a socket on purpose (RFC 6455: 4000–4999 are private). */
export const CLOSE_RESYNC = 4000;

/** The state before the first message. */
export function initialLiveState() {
  return {
    sessionId: null, status: 'connecting', medium: null, currency: 'EUR', seq: 0,
    meteredSeconds: 0, amount: '0.00', cap: null, amountLeft: null, stopAt: null,
    tariff: null, current: null, next: null, nextKnown: false,
    warning: null, ended: null,
    // Seqs a `resume` may replay after the snapshot: published while the connection was away.
    missed: null,
  };
}

/** Cap warnings only grow: the one-minute warning outranks the 80 % one. */
const WARNING_RANK = { cap_warning_80: 1, cap_warning_1min: 2 };

function strongerWarning(current, kind) {
  const rank = WARNING_RANK[kind];
  if (rank === undefined) return current;
  return current !== null && (WARNING_RANK[current] ?? 0) >= rank ? current : kind;
}

/**
 * A message older than the state (seq at most state.seq): a replay. The snapshot already shows
 * its effect on the figures, but not a notice or a state change the user has not heard: one in
 * the gap the last snapshot left (`missed`) is announced once, and a cap warning is kept.
 */
function reduceReplayed(state, message) {
  const { missed } = state;
  if (missed === null || message.seq <= missed.afterSeq || message.seq > missed.toSeq) return { state, effects: [] };
  const rest = message.seq === missed.toSeq ? null : { afterSeq: message.seq, toSeq: missed.toSeq };
  if (message.type === 'notice') {
    return {
      state: { ...state, missed: rest, warning: strongerWarning(state.warning, message.kind) },
      effects: [{ type: 'announce', kind: message.kind, price: message.price ?? null }],
    };
  }
  if (message.type === 'state') return { state: { ...state, missed: rest }, effects: [{ type: 'announce', kind: message.change }] };
  return { state: { ...state, missed: rest }, effects: [] };
}

/**
 * Applies one server message. Returns the new state and what the page should do about it:
 * `announce` (a warning, a price change or a state change worth saying aloud — never a tick),
 * `resync` (the rate shown may be stale: fetch a snapshot), `ended`.
 *
 * @returns {{ state: ReturnType<typeof initialLiveState>, effects: Array<{ type: 'announce', kind: string, price?: object | null } | { type: 'resync' } | { type: 'ended' }> }}
 */
export function reduceLive(state, message) {
  const effects = [];
  if (message === null || typeof message !== 'object') return { state, effects };
  // Messages of a session carry a seq growing by one; an older one is a replay (of a resume).
  if (message.type !== 'snapshot' && typeof message.seq === 'number' && message.seq <= state.seq) return reduceReplayed(state, message);
  const seq = typeof message.seq === 'number' ? message.seq : state.seq;
  switch (message.type) {
    case 'snapshot': {
      const ended = (message.status === 'rated' || message.status === 'ended') && message.endReason !== null
        ? { reason: message.endReason, amount: message.amount, chargeId: message.chargeId, meteredSeconds: message.meteredSeconds }
        : state.ended;
      // After a reconnection the messages between the last one applied and the snapshot were
      // missed; a lower seq than the last one applied is a new sequence (the server restarted).
      const missed = state.status !== 'connecting' && seq > state.seq ? { afterSeq: state.seq, toSeq: seq } : null;
      const next = {
        ...state, sessionId: message.sessionId, status: message.status, medium: message.medium, currency: message.currency, seq,
        meteredSeconds: message.meteredSeconds, amount: message.amount, cap: message.cap, amountLeft: message.amountLeft, stopAt: message.stopAt,
        tariff: message.tariff, current: message.current, next: message.next, nextKnown: true, ended, missed,
      };
      if (ended !== null && state.ended === null) effects.push({ type: 'ended' });
      return { state: next, effects };
    }
    case 'tick': {
      let next = { ...state, seq, meteredSeconds: message.meteredSeconds, amount: message.amount };
      if (state.nextKnown && state.next !== null && message.meteredSeconds >= state.next.fromSecond) {
        // A price step passed: its price is in force now; what comes after it needs a snapshot.
        next = { ...next, current: state.next, next: null, nextKnown: false };
        effects.push({ type: 'resync' });
      }
      return { state: next, effects };
    }
    case 'notice': {
      effects.push({ type: 'announce', kind: message.kind, price: message.price ?? null });
      return { state: { ...state, seq, warning: strongerWarning(state.warning, message.kind) }, effects };
    }
    case 'state': {
      effects.push({ type: 'announce', kind: message.change });
      // Connect, hold and resume change the rate in force and the cap reserved: take a fresh snapshot.
      if (message.change !== 'media_changed') effects.push({ type: 'resync' });
      return { state: { ...state, seq, status: message.status, medium: message.medium }, effects };
    }
    case 'ended': {
      effects.push({ type: 'ended' });
      return {
        state: {
          ...state, seq, status: 'rated', amount: message.amount, meteredSeconds: message.meteredSeconds,
          ended: { reason: message.reason, amount: message.amount, chargeId: message.chargeId, meteredSeconds: message.meteredSeconds },
        },
        effects,
      };
    }
    default:
      return { state, effects };
  }
}

/**
 * A live connection to one session: `/v1/live?access_token=…[&session=…]`. Calls `onMessage` with
 * every parsed message of the current socket; `onClosed(code)` when the server ends it for good
 * (1000 after `ended`, 1008 not entitled). Every socket after the first starts with
 * `{"type":"resume","lastSeq":…}` (sent at once: the server handles it after the snapshot), so the
 * messages published while no socket was open follow the new snapshot.
 */
export class LiveConnection {
  /**
   * @param {{ apiBase: string, token: string, sessionId?: string | null, onMessage: (message: object) => void, onClosed?: (code: number) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.socket = null;
    this.generation = 0;
    this.stopped = false;
    this.delayMs = LIVE_RECONNECT_DELAY_MS_MIN;
    this.reconnectTimer = null;
    this.pingTimer = null;
    /** The highest seq received (0: none yet), what a reconnection resumes from. */
    this.lastSeq = 0;
  }

  url() {
    const url = new URL('/v1/live', this.options.apiBase);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', this.options.token);
    if (this.options.sessionId) url.searchParams.set('session', this.options.sessionId);
    return url.href;
  }

  start() {
    this.stopped = false;
    this.open();
    if (this.pingTimer === null) this.pingTimer = setInterval(() => { this.send({ type: 'ping' }); }, LIVE_PING_INTERVAL_MS);
  }

  open() {
    const generation = ++this.generation;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (generation !== this.generation) return;
      this.delayMs = LIVE_RECONNECT_DELAY_MS_MIN;
      if (this.lastSeq > 0) this.send({ type: 'resume', lastSeq: this.lastSeq });
      this.send({ type: 'ping' });
    });
    socket.addEventListener('message', (event) => {
      if (generation !== this.generation) return;
      let message = null;
      try { message = JSON.parse(String(event.data)); } catch { message = null; }
      if (message === null || typeof message !== 'object') return;
      this.noteSeq(message);
      this.options.onMessage(message);
    });
    socket.addEventListener('close', (event) => {
      if (generation !== this.generation || this.stopped) return;
      if (event.code === 1000 || event.code === 1008) {
        this.stop();
        this.options.onClosed?.(event.code);
        return;
      }
      this.reconnectTimer = setTimeout(() => { this.reconnectTimer = null; if (!this.stopped) this.open(); }, this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, LIVE_RECONNECT_DELAY_MS_MAX);
    });
  }

  /**
   * Keeps the highest seq seen. A snapshot below it starts a new sequence (the server restarted,
   * docs/live-protocol.md): the old seq means nothing there any more.
   */
  noteSeq(message) {
    if (typeof message.seq !== 'number') return;
    this.lastSeq = message.type === 'snapshot' && message.seq < this.lastSeq ? message.seq : Math.max(this.lastSeq, message.seq);
  }

  /** Drops the socket and opens a new one: the server starts every connection with a snapshot, then replays what it missed. */
  resync() {
    if (this.stopped) return;
    const old = this.socket;
    this.open();
    old?.close(CLOSE_RESYNC, 'resync');
  }

  send(message) {
    if (this.socket !== null && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  stop() {
    this.stopped = true;
    this.generation += 1;
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.pingTimer = null;
    this.reconnectTimer = null;
    if (this.socket !== null && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, 'done');
    this.socket = null;
  }
}
