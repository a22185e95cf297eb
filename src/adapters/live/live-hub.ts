/**
 * Fans broker events out to WebSocket watchers. Each session has a message sequence, a short
 * replay buffer for `resume`, and its watchers. A message is serialised once and sent to every
 * watcher; under backpressure ticks are skipped for that watcher, state changes never, and a
 * watcher that stops reading altogether is dropped.
 *
 * A watcher starts from a snapshot. While its snapshot is being built (that reads the store) it
 * receives nothing; once the snapshot is sent, the messages published meanwhile follow from the
 * replay buffer, so the snapshot always comes first and nothing is lost or reordered.
 */
import type { WebSocket } from 'ws';
import type { BrokerEvent, LiveFeed } from '../../app/index.ts';
import { assert, type Currency } from '../../domain/index.ts';
import { LIVE_REPLAY_MESSAGES_MAX, LIVE_SEND_BUFFER_DROP_BYTES, LIVE_SEND_BUFFER_SKIP_TICKS_BYTES } from './limits.ts';
import { eventMessage, tickMessage } from './protocol.ts';

interface Sent { readonly seq: number; readonly text: string; readonly isTick: boolean }

/**
 * The last LIVE_REPLAY_MESSAGES_MAX messages of a session, message `seq` at index
 * seq % LIVE_REPLAY_MESSAGES_MAX. Ticks, nearly every message, are kept as their two figures and
 * written again when replayed: kept as text, 10,000 watched sessions would hold 320,000 strings,
 * replaced at 10,000 a second — old-generation garbage whose collection stalls the ticks behind it.
 */
interface Replay {
  /** The text of each message that is not a tick; null for a tick. */
  readonly texts: (string | null | undefined)[];
  /** Metered seconds and amount (minor units) of each tick, allocated at the first tick. */
  ticks: { readonly meteredSeconds: Float64Array; readonly billedMinor: BigInt64Array } | null;
}

/** A watcher's place in its session's sequence. */
interface Watcher {
  /** Seq of the snapshot it started from: every message up to it is reflected in that snapshot. */
  snapshotSeq: number;
  /** False while its snapshot is being built: messages wait in the replay buffer meanwhile. */
  live: boolean;
}

interface Channel {
  readonly sessionId: string;
  /** The session's currency, known from its first message (ticks are written again with it). */
  currency: Currency | null;
  seq: number;
  readonly replay: Replay;
  readonly watchers: Map<WebSocket, Watcher>;
  ended: boolean;
}

/** Close code sent after the `ended` message: the session is over, nothing more will come. */
export const CLOSE_SESSION_ENDED = 1000;
/**
 * Close code when the server cannot serve a watcher now (its snapshot was outrun): RFC 6455 "try
 * again later". A watcher dropped for not reading gets no close frame — it would wait behind the
 * megabyte the client is not reading — its connection is cut (the client sees 1006).
 */
export const CLOSE_TOO_SLOW = 1013;

export class LiveHub implements LiveFeed {
  private readonly channels = new Map<string, Channel>();
  /** Messages skipped under backpressure and watchers dropped, for metrics and tests. */
  readonly stats = { ticksSkipped: 0, watchersDropped: 0, messagesSent: 0 };

  /** Current sequence number of a session (0 before any message). */
  seqOf(sessionId: string): number {
    return this.channels.get(sessionId)?.seq ?? 0;
  }

  watcherCount(sessionId: string): number {
    return this.channels.get(sessionId)?.watchers.size ?? 0;
  }

  /** Sessions with a channel (watched now, or keeping messages for a watcher's `resume`). */
  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Adds a watcher, which receives nothing until its snapshot is sent (`startSnapshot`,
   * `finishSnapshot`); returns false when the session's watcher limit is reached.
   */
  watch(sessionId: string, socket: WebSocket, limit: number): boolean {
    const channel = this.channel(sessionId);
    if (channel.watchers.size >= limit) return false;
    channel.watchers.set(socket, { snapshotSeq: 0, live: false });
    socket.once('close', () => { this.unwatch(sessionId, socket); });
    return true;
  }

  /**
   * A channel is kept without watchers while its session runs, for `resume`; it goes when the
   * session has ended, or when it holds nothing (a session watched only after it was rated).
   */
  unwatch(sessionId: string, socket: WebSocket): void {
    const channel = this.channels.get(sessionId);
    if (channel === undefined) return;
    channel.watchers.delete(socket);
    if (channel.watchers.size === 0 && (channel.ended || channel.seq === 0)) this.channels.delete(sessionId);
  }

  /** A snapshot of the watcher's session is about to be built: holds its messages back; returns the snapshot's seq. */
  startSnapshot(sessionId: string, socket: WebSocket): number {
    const channel = this.channels.get(sessionId);
    const watcher = channel?.watchers.get(socket);
    if (watcher !== undefined) watcher.live = false;
    return channel?.seq ?? 0;
  }

  /**
   * The snapshot as of `snapshotSeq` has been sent: the messages published since follow, in order,
   * and every later one goes to the watcher. Returns false when the replay buffer no longer reaches
   * back that far (build a newer snapshot).
   */
  finishSnapshot(sessionId: string, socket: WebSocket, snapshotSeq: number): boolean {
    const channel = this.channels.get(sessionId);
    const watcher = channel?.watchers.get(socket);
    if (channel === undefined || watcher === undefined) return true;
    const since = sentSince(channel, snapshotSeq);
    if (since === null) return false;
    watcher.snapshotSeq = snapshotSeq;
    watcher.live = true;
    for (const sent of since) this.send(socket, sent.text, sent.isTick);
    if (channel.ended) socket.close(CLOSE_SESSION_ENDED, 'session ended');
    return true;
  }

  /**
   * `resume`: sends the messages the watcher missed before its snapshot, those after `lastSeq` up
   * to the snapshot's seq (later ones reach it live). Returns false when some are no longer held
   * (send a fresh snapshot instead).
   */
  resume(sessionId: string, socket: WebSocket, lastSeq: number): boolean {
    const channel = this.channels.get(sessionId);
    const watcher = channel?.watchers.get(socket);
    if (channel === undefined || watcher === undefined || lastSeq >= watcher.snapshotSeq) return true;
    const since = sentSince(channel, lastSeq);
    if (since === null) return false;
    for (const sent of since) if (sent.seq <= watcher.snapshotSeq) this.send(socket, sent.text, sent.isTick);
    return true;
  }

  /** Sessions nobody has watched are not buffered: their first watcher starts from a snapshot. */
  publish(event: BrokerEvent): void {
    // Nobody watching anything: not even the session's id is read (100,000 ticks a second come here).
    if (this.channels.size === 0) return;
    const channel = this.channels.get(event.session.id);
    if (channel === undefined) return;
    channel.seq += 1;
    channel.currency = event.session.currency;
    const isTick = event.type === 'tick';
    const text = JSON.stringify(eventMessage(event, channel.seq));
    const index = channel.seq % LIVE_REPLAY_MESSAGES_MAX;
    if (event.type === 'tick') {
      const ticks = channel.replay.ticks ??= { meteredSeconds: new Float64Array(LIVE_REPLAY_MESSAGES_MAX), billedMinor: new BigInt64Array(LIVE_REPLAY_MESSAGES_MAX) };
      ticks.meteredSeconds[index] = event.meteredSeconds;
      ticks.billedMinor[index] = event.billedMinor;
    }
    channel.replay.texts[index] = isTick ? null : text;
    for (const [socket, watcher] of channel.watchers) if (watcher.live) this.send(socket, text, isTick);
    if (event.type === 'ended') {
      channel.ended = true;
      // Watchers still waiting for their snapshot get `ended` from the replay buffer, then close.
      for (const [socket, watcher] of channel.watchers) if (watcher.live) socket.close(CLOSE_SESSION_ENDED, 'session ended');
      if (channel.watchers.size === 0) this.channels.delete(event.session.id);
    }
  }

  /** Sends unless the socket is too far behind: then ticks are skipped, and a dead reader is dropped. */
  send(socket: WebSocket, text: string, isTick: boolean): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > LIVE_SEND_BUFFER_DROP_BYTES) {
      this.stats.watchersDropped += 1;
      socket.terminate();
      return;
    }
    if (isTick && socket.bufferedAmount > LIVE_SEND_BUFFER_SKIP_TICKS_BYTES) {
      this.stats.ticksSkipped += 1;
      return;
    }
    this.stats.messagesSent += 1;
    socket.send(text);
  }

  private channel(sessionId: string): Channel {
    let channel = this.channels.get(sessionId);
    if (channel === undefined) {
      channel = {
        sessionId, currency: null, seq: 0, replay: { texts: new Array<string | null | undefined>(LIVE_REPLAY_MESSAGES_MAX), ticks: null }, watchers: new Map(), ended: false,
      };
      this.channels.set(sessionId, channel);
    }
    return channel;
  }
}

/** The messages of a channel after `seq`, or null when the replay buffer no longer reaches back to it. */
function sentSince(channel: Channel, seq: number): readonly Sent[] | null {
  if (seq >= channel.seq) return [];
  if (channel.seq - seq > LIVE_REPLAY_MESSAGES_MAX) return null;
  const since: Sent[] = [];
  for (let next = seq + 1; next <= channel.seq; next += 1) {
    const index = next % LIVE_REPLAY_MESSAGES_MAX;
    const text = channel.replay.texts[index];
    assert(text !== undefined, `the replay buffer holds message ${next}`);
    if (text !== null) {
      since.push({ seq: next, text, isTick: false });
      continue;
    }
    const { ticks } = channel.replay;
    assert(ticks !== null && channel.currency !== null, 'a replayed tick has its figures');
    const figures = { sessionId: channel.sessionId, currency: channel.currency, meteredSeconds: ticks.meteredSeconds[index] ?? 0, billedMinor: ticks.billedMinor[index] ?? 0n };
    since.push({ seq: next, text: JSON.stringify(tickMessage(figures, next)), isTick: true });
  }
  return since;
}
