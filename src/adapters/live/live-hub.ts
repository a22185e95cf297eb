/**
 * Fans broker events out to WebSocket watchers. Each session has a message sequence, a short
 * replay buffer for `resume`, and its watchers. A message is serialised once and sent to every
 * watcher; under backpressure ticks are skipped for that watcher, state changes never, and a
 * watcher that stops reading altogether is dropped.
 */
import type { WebSocket } from 'ws';
import type { BrokerEvent, LiveFeed } from '../../app/index.ts';
import { LIVE_REPLAY_MESSAGES_MAX, LIVE_SEND_BUFFER_DROP_BYTES, LIVE_SEND_BUFFER_SKIP_TICKS_BYTES } from './limits.ts';
import { eventMessage } from './protocol.ts';

interface Sent { readonly seq: number; readonly text: string }

interface Channel {
  seq: number;
  readonly replay: Sent[];
  readonly watchers: Set<WebSocket>;
  ended: boolean;
}

/** Close code sent after the `ended` message: the session is over, nothing more will come. */
export const CLOSE_SESSION_ENDED = 1000;
/** Close code for a watcher dropped for not reading (RFC 6455: try again later). */
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

  /** Adds a watcher; returns false when the session's watcher limit is reached. */
  watch(sessionId: string, socket: WebSocket, limit: number): boolean {
    const channel = this.channel(sessionId);
    if (channel.watchers.size >= limit) return false;
    channel.watchers.add(socket);
    socket.once('close', () => { this.unwatch(sessionId, socket); });
    return true;
  }

  unwatch(sessionId: string, socket: WebSocket): void {
    const channel = this.channels.get(sessionId);
    if (channel === undefined) return;
    channel.watchers.delete(socket);
    if (channel.watchers.size === 0 && channel.ended) this.channels.delete(sessionId);
  }

  /** Messages after `lastSeq` still in the replay buffer, or null when some are gone (send a snapshot). */
  replaySince(sessionId: string, lastSeq: number): readonly string[] | null {
    const channel = this.channels.get(sessionId);
    if (channel === undefined) return lastSeq === 0 ? [] : null;
    if (lastSeq >= channel.seq) return [];
    const first = channel.replay[0];
    if (first === undefined || first.seq > lastSeq + 1) return null;
    return channel.replay.filter((sent) => sent.seq > lastSeq).map((sent) => sent.text);
  }

  /** Sessions nobody has watched are not buffered: their first watcher starts from a snapshot. */
  publish(event: BrokerEvent): void {
    const channel = this.channels.get(event.session.id);
    if (channel === undefined) return;
    channel.seq += 1;
    const text = JSON.stringify({ ...eventMessage(event), seq: channel.seq });
    channel.replay.push({ seq: channel.seq, text });
    if (channel.replay.length > LIVE_REPLAY_MESSAGES_MAX) channel.replay.shift();
    const isTick = event.type === 'tick';
    for (const socket of channel.watchers) this.send(socket, text, isTick);
    if (event.type === 'ended') {
      channel.ended = true;
      for (const socket of channel.watchers) socket.close(CLOSE_SESSION_ENDED, 'session ended');
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
      channel = { seq: 0, replay: [], watchers: new Set(), ended: false };
      this.channels.set(sessionId, channel);
    }
    return channel;
  }
}
