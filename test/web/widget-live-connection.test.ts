/**
 * The widget's live connection (src/web/static/widget/palier-live.js) under Node against the real
 * server and its live feed, on both databases, with a manual clock: the browser module runs as it
 * is, over `ws` sockets whose reconnection the test can hold back, so that a notice is published
 * while the widget has no socket — and must reach it after the reconnection, by `resume`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import WebSocket from 'ws';
import { WEB_STATIC_DIR } from '../../src/web/index.ts';
import { describeEachDatabase } from '../support/databases.ts';
import { type HttpHarness, startHarness } from '../support/http-harness.ts';
import { until } from '../support/live-watcher.ts';

interface LiveEffect { type: string; kind?: string; price?: any }
interface LiveConnection { start(): void; resync(): void; stop(): void; lastSeq: number }
interface LiveModule {
  initialLiveState(): Record<string, any>;
  reduceLive(state: Record<string, any>, message: unknown): { state: Record<string, any>; effects: LiveEffect[] };
  LiveConnection: new (options: { apiBase: string; token: string; onMessage: (message: any) => void }) => LiveConnection;
}

const live = (await import(`file://${join(WEB_STATIC_DIR, 'widget', 'palier-live.js')}`)) as LiveModule;

/**
 * The browser's WebSocket for the module, over `ws`. A socket created while `GatedSocket.held` is
 * set connects only when it is released: the time a reconnection would take on a bad network.
 */
class GatedSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static created: GatedSocket[] = [];
  static held: Promise<void> | null = null;
  /** What the widget sent on this socket, parsed. */
  readonly sent: any[] = [];
  ws: WebSocket | null = null;
  private closedEarly = false;
  private readonly listeners: [string, (event: any) => void][] = [];

  constructor(url: string) {
    GatedSocket.created.push(this);
    const connect = (): void => {
      if (this.closedEarly) return;
      this.ws = new WebSocket(url);
      for (const [type, listener] of this.listeners) this.ws.addEventListener(type as 'message', listener);
    };
    if (GatedSocket.held === null) connect();
    else void GatedSocket.held.then(connect);
  }

  get readyState(): number {
    return this.ws?.readyState ?? GatedSocket.CONNECTING;
  }

  addEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.push([type, listener]);
    this.ws?.addEventListener(type as 'message', listener);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text));
    this.ws?.send(text);
  }

  close(code?: number, reason?: string): void {
    if (this.ws === null) this.closedEarly = true;
    else this.ws.close(code, reason);
  }
}

/** Tuesday 2026-10-06, 10:00 in Paris: the demo kiosque offer's day prices (0.53/min, then 0.34/min from second 180). */
const START_MS = Date.parse('2026-10-06T08:00:00Z');

describeEachDatabase('widget live connection: a notice published while it reconnects is replayed after resume and announced once', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  const globals = globalThis as { WebSocket?: unknown };
  const original = globals.WebSocket;
  before(async () => {
    h = await startHarness(target().config(), START_MS);
    merchant = h.key('mer_depannage_pc');
    globals.WebSocket = GatedSocket;
  });
  after(async () => {
    globals.WebSocket = original;
    await h.server.stop();
  });

  async function present(id: string): Promise<void> {
    for (const side of ['user', 'advisor'] as const) assert.ok((await h.server.broker.heartbeat(id, side)).ok);
  }

  it('dropped at 168 s, back at 178 s: the price change announced at 175 s comes in the replay, with the tier-1 price, once', async () => {
    GatedSocket.created = [];
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno') } });
    const consent = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true } });
    assert.equal(consent.status, 201, consent.text);
    const id: string = consent.body.id;

    // As the widget wires it: every message through the reducer; announce, and resync when asked.
    let state = live.initialLiveState();
    const received: any[] = [];
    const announced: LiveEffect[] = [];
    const connection: LiveConnection = new live.LiveConnection({
      apiBase: `${h.server.url}/`, token: consent.body.userToken as string,
      onMessage: (message) => {
        received.push(message);
        const next = live.reduceLive(state, message);
        state = next.state;
        for (const effect of next.effects) {
          if (effect.type === 'announce') announced.push(effect);
          else if (effect.type === 'resync') connection.resync();
        }
      },
    });
    connection.start();
    try {
      const caughtUp = (): Promise<void> => until(() => state['seq'] === h.server.hub.seqOf(id), `the widget reached seq ${h.server.hub.seqOf(id)}`);
      await until(() => state['status'] === 'queued', 'the snapshot while queued');
      assert.equal((await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant })).status, 200);
      await present(id);
      for (let s = 0; s < 168; s += 1) {
        await h.clock.advanceBy(1_000);
        await present(id);
        await caughtUp();
      }
      assert.deepEqual(announced.map((e) => e.kind), ['connected']);
      assert.equal(state['next']?.fromSecond, 180, 'the next price step is at 180 s');
      const seenSeq = connection.lastSeq;
      const socketsBefore = GatedSocket.created.length;

      // The network drops; the reconnection is held back while the session goes on.
      let release = (): void => undefined;
      GatedSocket.held = new Promise((resolve) => { release = resolve; });
      GatedSocket.created.at(-1)?.ws?.terminate();
      await until(() => GatedSocket.created.length === socketsBefore + 1, 'the widget tries to reconnect', 5_000);
      for (let s = 168; s < 178; s += 1) {
        await h.clock.advanceBy(1_000);
        await present(id);
      }
      const notice = h.events.find((e) => e.type === 'notice' && e.session.id === id && e.notice === 'price_change');
      assert.ok(notice !== undefined, 'the price change was published while the widget had no socket');
      GatedSocket.held = null;
      release();
      const afterDrop = received.length;
      await until(() => received.length > afterDrop, 'the new snapshot');
      const [snapshot] = received.slice(afterDrop);
      assert.equal(snapshot.type, 'snapshot');
      assert.equal(snapshot.seq, h.server.hub.seqOf(id));
      const replayedSoFar = (): any[] => received.slice(afterDrop + 1).filter((m) => typeof m.seq === 'number' && m.seq <= snapshot.seq);
      await until(() => replayedSoFar().length >= snapshot.seq - seenSeq, `the messages after seq ${seenSeq}, up to the snapshot's`);
      await caughtUp();

      const back = GatedSocket.created.at(-1);
      assert.deepEqual(back?.sent.slice(0, 2), [{ type: 'resume', lastSeq: seenSeq }, { type: 'ping' }], 'resume first, with the last seq seen');
      const replayed = replayedSoFar();
      assert.deepEqual(replayed.map((m) => m.seq as number), Array.from({ length: snapshot.seq - seenSeq }, (_, i) => seenSeq + 1 + i), 'exactly the gap, in order');
      assert.ok(replayed.some((m) => m.type === 'notice' && m.kind === 'price_change'), 'the notice came in the replay');
      assert.deepEqual(announced.map((e) => e.kind), ['connected', 'price_change'], 'announced once, and nothing for the replayed ticks');
      assert.deepEqual(announced[1]?.price, { fromSecond: 180, kind: 'charged', band: null, tier: 1, unitPrice: '0.34', perSeconds: 60, incrementSeconds: 60 });
      assert.equal(state['meteredSeconds'], 178, "the snapshot's figures, not the replayed ticks'");
    } finally {
      connection.stop();
      GatedSocket.held = null;
    }
    assert.equal((await h.call('POST', `/v1/sessions/${id}/end`, { token: merchant })).status, 200);
  });
});
