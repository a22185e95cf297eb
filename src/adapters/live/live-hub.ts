/**
 * Fans broker events out to WebSocket watchers. Each session has a message sequence, a short
 * replay buffer for `resume`, and its watchers. A message is serialised once and sent to every
 * watcher; under backpressure ticks are skipped for that watcher, state changes never, and a
 * watcher that stops reading altogether is dropped.
 *
 * Messages go out as finished frames written to the connection the WebSocket was upgraded on
 * (text-frame.ts), not through `ws`'s `send`: the same bytes for less work. That is sound because
 * `ws` writes each of its own frames (pings, the close frame) in one synchronous call and queues
 * nothing when permessage-deflate is off, as it is on our server (live-server.ts): frames never
 * interleave. Backpressure reads the same buffer either way (`bufferedAmount`).
 *
 * A watcher starts from a snapshot. While its snapshot is being built (that reads the store) it
 * receives nothing; once the snapshot is sent, the messages published meanwhile follow from the
 * replay buffer, so the snapshot always comes first and nothing is lost or reordered.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { BrokerEvent, LiveFeed, TickSink } from '../../app/index.ts';
import { assert, type Currency, minorUnitsText, type Session } from '../../domain/index.ts';
import { LIVE_REPLAY_MESSAGES_MAX, LIVE_SEND_BUFFER_DROP_BYTES, LIVE_SEND_BUFFER_SKIP_TICKS_BYTES } from './limits.ts';
import { eventMessage, tickText, tickTextPrefix } from './protocol.ts';
import { asciiTextFrame, type Frame, isAscii, textFrame, writeFrame } from './text-frame.ts';

interface Sent { readonly seq: number; readonly text: string; readonly isTick: boolean }

/** A watcher's place in its session's sequence. */
interface Watcher {
  readonly socket: WebSocket;
  /** The connection `socket` was upgraded on, where its frames are written; undefined if not registered (`ws`'s `send` then). */
  readonly stream: Duplex | undefined;
  /** Seq of the snapshot it started from: every message up to it is reflected in that snapshot. */
  snapshotSeq: number;
  /** False while its snapshot is being built: messages wait in the replay buffer meanwhile. */
  live: boolean;
}

/**
 * A watched session. Its replay buffer holds its last LIVE_REPLAY_MESSAGES_MAX messages, message
 * `seq` at index seq % LIVE_REPLAY_MESSAGES_MAX. Ticks, nearly every message, are kept as their two
 * figures and written again when replayed: kept as text, 10,000 watched sessions would hold
 * 320,000 strings, replaced at 10,000 a second — old-generation garbage whose collection stalls
 * the ticks behind it. A tick reads and writes only this object, its arrays and its watchers: the
 * fewer objects a tick touches, the fewer cache misses (each of 10,000 sessions comes round once a
 * second, out of cache every time).
 */
interface Channel {
  readonly sessionId: string;
  /** The session's currency, known from its first message or its tick sink (ticks are written again with it). */
  currency: Currency | null;
  /** The start of each tick's text, written once (tickTextPrefix). */
  readonly tickPrefix: string;
  /** Whether tickPrefix is ASCII (a session id of ours always is): the whole tick is then, and goes out as asciiTextFrame. */
  readonly tickAscii: boolean;
  seq: number;
  /** Replay buffer: the text of each message that is not a tick; null for a tick. */
  readonly texts: (string | null | undefined)[];
  /** Replay buffer: metered seconds and amount (minor units) of each tick, allocated at the first tick. */
  tickSeconds: Float64Array | null;
  tickMinor: BigInt64Array | null;
  /** The last tick's amount and its text: the amount changes every few seconds at most, its text is written once. */
  amountMinor: bigint | null;
  amountText: string;
  /** A handful at most (LIVE_WATCHERS_PER_SESSION_MAX): an array, walked on every message. */
  readonly watchers: Watcher[];
  ended: boolean;
  /** The sink of the session's ticks while it ticks. */
  sink: SessionTicks | null;
}

/** A session's tick sink: reaches its channel, if anyone watches, without a lookup. */
class SessionTicks implements TickSink {
  channel: Channel | null = null;

  constructor(private readonly hub: LiveHub, readonly sessionId: string, readonly currency: Currency) {}

  tick(_atMs: number, meteredSeconds: number, billedMinor: bigint): void {
    if (this.channel !== null) this.hub.tick(this.channel, meteredSeconds, billedMinor);
  }

  close(): void {
    this.hub.closeTicks(this);
  }
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
  /** The tick sinks of the sessions ticking now, by id (to link a channel opened later). */
  private readonly sinks = new Map<string, SessionTicks>();
  /** The connection each WebSocket was upgraded on (`upgraded`). */
  private readonly streams = new WeakMap<WebSocket, Duplex>();
  /** Messages skipped under backpressure and watchers dropped, for metrics and tests. */
  readonly stats = { ticksSkipped: 0, watchersDropped: 0, messagesSent: 0 };

  /** Current sequence number of a session (0 before any message). */
  seqOf(sessionId: string): number {
    return this.channels.get(sessionId)?.seq ?? 0;
  }

  watcherCount(sessionId: string): number {
    return this.channels.get(sessionId)?.watchers.length ?? 0;
  }

  /** Sessions with a channel (watched now, or keeping messages for a watcher's `resume`). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** `socket` was upgraded on `stream` (permessage-deflate off): the hub writes its frames there. */
  upgraded(socket: WebSocket, stream: Duplex): void {
    this.streams.set(socket, stream);
  }

  /**
   * Adds a watcher, which receives nothing until its snapshot is sent (`startSnapshot`,
   * `finishSnapshot`); returns false when the session's watcher limit is reached.
   */
  watch(sessionId: string, socket: WebSocket, limit: number): boolean {
    const channel = this.channel(sessionId);
    if (channel.watchers.length >= limit) return false;
    channel.watchers.push({ socket, stream: this.streams.get(socket), snapshotSeq: 0, live: false });
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
    const index = channel.watchers.findIndex((watcher) => watcher.socket === socket);
    if (index >= 0) channel.watchers.splice(index, 1);
    if (channel.watchers.length === 0 && (channel.ended || channel.seq === 0)) this.dropChannel(channel);
  }

  /** A snapshot of the watcher's session is about to be built: holds its messages back; returns the snapshot's seq. */
  startSnapshot(sessionId: string, socket: WebSocket): number {
    const channel = this.channels.get(sessionId);
    const watcher = watcherOf(channel, socket);
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
    const watcher = watcherOf(channel, socket);
    if (channel === undefined || watcher === undefined) return true;
    const since = sentSince(channel, snapshotSeq);
    if (since === null) return false;
    watcher.snapshotSeq = snapshotSeq;
    watcher.live = true;
    for (const sent of since) this.deliver(socket, watcher.stream, sent.text, null, sent.isTick);
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
    const watcher = watcherOf(channel, socket);
    if (channel === undefined || watcher === undefined || lastSeq >= watcher.snapshotSeq) return true;
    const since = sentSince(channel, lastSeq);
    if (since === null) return false;
    for (const sent of since) if (sent.seq <= watcher.snapshotSeq) this.send(socket, sent.text, sent.isTick);
    return true;
  }

  /** Sessions nobody has watched are not buffered: their first watcher starts from a snapshot. */
  publish(event: BrokerEvent): void {
    const channel = this.channels.get(event.session.id);
    if (channel === undefined) return;
    channel.seq += 1;
    channel.currency = event.session.currency;
    const text = JSON.stringify(eventMessage(event, channel.seq));
    channel.texts[channel.seq % LIVE_REPLAY_MESSAGES_MAX] = text;
    let frame: Frame | null = null;
    for (const watcher of channel.watchers) if (watcher.live) frame = this.deliver(watcher.socket, watcher.stream, text, frame, false);
    if (event.type === 'ended') {
      channel.ended = true;
      // Watchers still waiting for their snapshot get `ended` from the replay buffer, then close.
      for (const watcher of channel.watchers) if (watcher.live) watcher.socket.close(CLOSE_SESSION_ENDED, 'session ended');
      if (channel.watchers.length === 0) this.dropChannel(channel);
    }
  }

  /** The sink of a session's ticks (replacing any earlier one); its ticks reach a channel only while one is open. */
  ticksOf(session: Session): TickSink {
    const previous = this.sinks.get(session.id);
    if (previous !== undefined) previous.channel = null;
    const sink = new SessionTicks(this, session.id, session.currency);
    const channel = this.channels.get(session.id);
    if (channel !== undefined) link(channel, sink);
    this.sinks.set(session.id, sink);
    return sink;
  }

  /** @internal For SessionTicks: the session stopped ticking. */
  closeTicks(sink: SessionTicks): void {
    if (this.sinks.get(sink.sessionId) === sink) this.sinks.delete(sink.sessionId);
    if (sink.channel !== null && sink.channel.sink === sink) sink.channel.sink = null;
    sink.channel = null;
  }

  /** @internal For SessionTicks: a tick of a watched session, kept as its figures for `resume` and sent to its live watchers. */
  tick(channel: Channel, meteredSeconds: number, billedMinor: bigint): void {
    channel.seq += 1;
    const index = channel.seq % LIVE_REPLAY_MESSAGES_MAX;
    (channel.tickSeconds ??= new Float64Array(LIVE_REPLAY_MESSAGES_MAX))[index] = meteredSeconds;
    (channel.tickMinor ??= new BigInt64Array(LIVE_REPLAY_MESSAGES_MAX))[index] = billedMinor;
    channel.texts[index] = null;
    let text: string | null = null;
    let frame: Frame | null = null;
    for (const watcher of channel.watchers) {
      if (!watcher.live) continue;
      text ??= writtenTick(channel, channel.seq, meteredSeconds, billedMinor);
      if (channel.tickAscii) frame ??= asciiTextFrame(text);
      frame = this.deliver(watcher.socket, watcher.stream, text, frame, true);
    }
  }

  /** Sends unless the socket is too far behind: then ticks are skipped, and a dead reader is dropped. */
  send(socket: WebSocket, text: string, isTick: boolean): void {
    this.deliver(socket, this.streams.get(socket), text, null, isTick);
  }

  /** `send`, with the message's frame if already built for another watcher; returns the frame if built. */
  private deliver(socket: WebSocket, stream: Duplex | undefined, text: string, frame: Frame | null, isTick: boolean): Frame | null {
    if (socket.readyState !== socket.OPEN) return frame;
    const buffered = socket.bufferedAmount;
    if (buffered > LIVE_SEND_BUFFER_DROP_BYTES) {
      this.stats.watchersDropped += 1;
      socket.terminate();
      return frame;
    }
    if (isTick && buffered > LIVE_SEND_BUFFER_SKIP_TICKS_BYTES) {
      this.stats.ticksSkipped += 1;
      return frame;
    }
    this.stats.messagesSent += 1;
    if (stream === undefined) {
      socket.send(text);
      return frame;
    }
    const written = frame ?? textFrame(text);
    writeFrame(stream, written);
    return written;
  }

  private channel(sessionId: string): Channel {
    let channel = this.channels.get(sessionId);
    if (channel === undefined) {
      const tickPrefix = tickTextPrefix(sessionId);
      channel = {
        sessionId, currency: null, tickPrefix, tickAscii: isAscii(tickPrefix), seq: 0,
        texts: new Array<string | null | undefined>(LIVE_REPLAY_MESSAGES_MAX), tickSeconds: null, tickMinor: null, amountMinor: null, amountText: '',
        watchers: [], ended: false, sink: null,
      };
      this.channels.set(sessionId, channel);
      const sink = this.sinks.get(sessionId);
      if (sink !== undefined) link(channel, sink);
    }
    return channel;
  }

  private dropChannel(channel: Channel): void {
    this.channels.delete(channel.sessionId);
    if (channel.sink !== null) channel.sink.channel = null;
    channel.sink = null;
  }
}

function link(channel: Channel, sink: SessionTicks): void {
  channel.sink = sink;
  channel.currency = sink.currency;
  sink.channel = channel;
}

function watcherOf(channel: Channel | undefined, socket: WebSocket): Watcher | undefined {
  return channel?.watchers.find((watcher) => watcher.socket === socket);
}

/** The text of tick `seq` (the amount in minor units of the channel's currency). */
function writtenTick(channel: Channel, seq: number, meteredSeconds: number, billedMinor: bigint): string {
  if (billedMinor !== channel.amountMinor) {
    assert(channel.currency !== null, 'a ticking channel knows its currency');
    channel.amountText = minorUnitsText(billedMinor, channel.currency);
    channel.amountMinor = billedMinor;
  }
  return tickText(channel.tickPrefix, meteredSeconds, channel.amountText, seq);
}

/** The messages of a channel after `seq`, or null when the replay buffer no longer reaches back to it. */
function sentSince(channel: Channel, seq: number): readonly Sent[] | null {
  if (seq >= channel.seq) return [];
  if (channel.seq - seq > LIVE_REPLAY_MESSAGES_MAX) return null;
  const since: Sent[] = [];
  for (let next = seq + 1; next <= channel.seq; next += 1) {
    const index = next % LIVE_REPLAY_MESSAGES_MAX;
    const text = channel.texts[index];
    assert(text !== undefined, `the replay buffer holds message ${next}`);
    if (text !== null) {
      since.push({ seq: next, text, isTick: false });
      continue;
    }
    const { tickSeconds, tickMinor } = channel;
    assert(tickSeconds !== null && tickMinor !== null, 'a replayed tick has its figures');
    since.push({ seq: next, text: writtenTick(channel, next, tickSeconds[index] ?? 0, tickMinor[index] ?? 0n), isTick: true });
  }
  return since;
}
