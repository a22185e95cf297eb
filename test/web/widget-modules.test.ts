import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { gzipSync } from 'node:zlib';
import { END_REASONS } from '../../src/domain/index.ts';
import { WEB_STATIC_DIR } from '../../src/web/index.ts';

// The browser modules are plain JavaScript; Node runs them as they are (no DOM needed for these).
interface FormatModule {
  formatMoney(amount: string, currency: string, locale: string): string;
  formatAmountInput(amount: string, currency: string, locale: string): string;
  normaliseAmountInput(text: string, currency: string): string | null;
  multiplyDecimal(a: string, b: string): string;
  onePlus(rate: string): string;
  compareDecimal(a: string, b: string): number;
  toMinorUnits(amount: string, currency: string): bigint;
  perMille(amount: string, cap: string, currency: string): number;
  formatClock(seconds: number): string;
  formatDuration(seconds: number): string;
  langOf(locale: string | null | undefined): 'fr' | 'en';
  localeOf(lang: string): string;
}
interface LiveEffect { type: string; kind?: string; price?: unknown }
interface LiveConnectionOptions {
  apiBase: string;
  token: string;
  sessionId?: string | null;
  onMessage: (message: any) => void;
  onClosed?: (code: number) => void;
}
interface LiveConnection { start(): void; resync(): void; stop(): void; lastSeq: number }
interface LiveModule {
  LIVE_RECONNECT_DELAY_MS_MIN: number;
  LIVE_PING_INTERVAL_MS: number;
  initialLiveState(): Record<string, any>;
  reduceLive(state: Record<string, any>, message: unknown): { state: Record<string, any>; effects: LiveEffect[] };
  LiveConnection: new (options: LiveConnectionOptions) => LiveConnection;
}
interface MeterModule {
  announcementText(effect: LiveEffect, options: { currency: string; tariff: unknown; lang: 'fr' | 'en'; locale: string }): string | null;
}
interface I18nModule { STRINGS: { fr: Record<string, unknown>; en: Record<string, unknown> } }

const load = async <T>(name: string): Promise<T> => (await import(new URL(`file://${join(WEB_STATIC_DIR, 'widget', name)}`).href)) as T;
const format = await load<FormatModule>('palier-format.js');
const live = await load<LiveModule>('palier-live.js');
const i18n = await load<I18nModule>('palier-i18n.js');
const meter = await load<MeterModule>('palier-meter.js');

const NBSP = '\u00a0';
const NNBSP = '\u202f';

describe('widget: money and time on screen', () => {
  it('fr-FR formats 1.23 as "1,23 €" and en as "€1.23", from the decimal string', () => {
    assert.equal(format.formatMoney('1.23', 'EUR', 'fr-FR'), `1,23${NBSP}€`);
    assert.equal(format.formatMoney('1.23', 'EUR', 'en'), '€1.23');
    assert.equal(format.formatMoney('1234.5', 'EUR', 'fr-FR'), `1${NNBSP}234,50${NBSP}€`);
    assert.equal(format.formatMoney('0', 'EUR', 'fr-FR'), `0,00${NBSP}€`);
  });

  it('formatting is exact: no float on the way, every decimal kept', () => {
    assert.equal(format.formatMoney('90071992547409.93', 'EUR', 'en'), '€90,071,992,547,409.93');
    assert.equal(format.formatMoney('0.0133', 'EUR', 'fr-FR'), `0,0133${NBSP}€`);
    assert.equal(format.formatMoney('0.10', 'EUR', 'en'), '€0.10');
    assert.throws(() => format.formatMoney('1e3', 'EUR', 'en'), TypeError);
  });

  it('a price without VAT gets it added exactly: 0.35 × 1.20 = 0.42', () => {
    assert.equal(format.multiplyDecimal('0.35', format.onePlus('0.20')), '0.42');
    assert.equal(format.multiplyDecimal('0.345', '1.2'), '0.414');
    assert.equal(format.onePlus('0.055'), '1.055');
  });

  it('typed caps: "0,05", "0.05 €" and "5" normalise; anything else is refused', () => {
    assert.equal(format.normaliseAmountInput('0,05', 'EUR'), '0.05');
    assert.equal(format.normaliseAmountInput(' 0.05 € ', 'EUR'), '0.05');
    assert.equal(format.normaliseAmountInput('5', 'EUR'), '5.00');
    for (const bad of ['', '-1', '1.234', '1,2,3', 'abc', '1e2', '12345678901']) assert.equal(format.normaliseAmountInput(bad, 'EUR'), null, bad);
    assert.equal(format.formatAmountInput('1234.5', 'EUR', 'fr-FR'), '1234,50');
    assert.equal(format.normaliseAmountInput(format.formatAmountInput('1234.5', 'EUR', 'fr-FR'), 'EUR'), '1234.50');
    assert.equal(format.normaliseAmountInput(format.formatAmountInput('1234.5', 'EUR', 'en'), 'EUR'), '1234.50');
  });

  it('the cap bar fills in exact thousandths of the cap, clamped', () => {
    assert.equal(format.perMille('0.04', '0.05', 'EUR'), 800);
    assert.equal(format.perMille('0.00', '5.00', 'EUR'), 0);
    assert.equal(format.perMille('6.00', '5.00', 'EUR'), 1000);
    assert.equal(format.toMinorUnits('1.2', 'EUR'), 120n);
    assert.equal(format.compareDecimal('0.10', '0.1'), 0);
    assert.equal(format.compareDecimal('2.00', '10.00'), -1);
  });

  it('clocks and durations: 65 s → "1:05", 3725 s → "1:02:05", 125 s → "2 min 5 s"', () => {
    assert.equal(format.formatClock(0), '0:00');
    assert.equal(format.formatClock(65), '1:05');
    assert.equal(format.formatClock(3725), '1:02:05');
    assert.equal(format.formatDuration(125), `2${NBSP}min 5${NBSP}s`);
    assert.equal(format.formatDuration(0), `0${NBSP}s`);
  });

  it('the language: en* is English, anything else French (the announcement locale fr-FR)', () => {
    assert.deepEqual([format.langOf('en-GB'), format.langOf('fr'), format.langOf(null), format.langOf('de')], ['en', 'fr', 'fr', 'fr']);
    assert.deepEqual([format.localeOf('en'), format.localeOf('fr')], ['en', 'fr-FR']);
  });
});

describe('widget: French and English', () => {
  function shape(value: unknown): unknown {
    if (typeof value === 'function') return 'function';
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v)]));
    return typeof value;
  }

  it('both tables have the same keys, and every end reason of the API has words', () => {
    assert.deepEqual(shape(i18n.STRINGS.en), shape(i18n.STRINGS.fr));
    assert.deepEqual(Object.keys(i18n.STRINGS.fr['endReasons'] as object).sort(), [...END_REASONS].sort());
    assert.deepEqual(Object.keys((i18n.STRINGS.fr['console'] as { endReasons: object }).endReasons).sort(), [...END_REASONS].sort());
  });
});

describe('widget: the live state from the feed', () => {
  const snapshot = {
    type: 'snapshot', v: 1, seq: 4, sessionId: 'ses_1', status: 'active', medium: 'voice', currency: 'EUR',
    tariff: { hash: 'sha256:x', connectionFee: '0.00', freeSeconds: 0, minimumSeconds: 0, flatPrice: null, pricesIncludeVat: true, vatRate: '0.20' },
    meteringStartedAt: '2026-10-06T08:00:00.000Z', meteredSeconds: 10, amount: '0.53',
    current: { fromSecond: 0, kind: 'charged', band: null, tier: 0, unitPrice: '0.53', perSeconds: 60, incrementSeconds: 60 },
    next: { fromSecond: 180, kind: 'charged', band: null, tier: 1, unitPrice: '0.34', perSeconds: 60, incrementSeconds: 60 },
    nextStep: { atSecond: 61, amount: '1.06' }, cap: '5.00', amountLeft: '4.47', stopAt: null, endReason: null, chargeId: null,
  };

  it('a snapshot sets everything; ticks move time and amount only, and say nothing', () => {
    let { state } = live.reduceLive(live.initialLiveState(), snapshot);
    assert.equal(state['status'], 'active');
    assert.equal(state['nextKnown'], true);
    const ticked = live.reduceLive(state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 11, amount: '0.53', seq: 5 });
    state = ticked.state;
    assert.deepEqual(ticked.effects, []);
    assert.deepEqual([state['meteredSeconds'], state['amount'], state['seq']], [11, '0.53', 5]);
  });

  it('a replayed message (seq already seen) changes nothing', () => {
    const { state } = live.reduceLive(live.initialLiveState(), snapshot);
    const replay = live.reduceLive(state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 3, amount: '0.53', seq: 4 });
    assert.equal(replay.state, state);
  });

  it('passing a price step makes the next price current and asks for a fresh snapshot', () => {
    const { state } = live.reduceLive(live.initialLiveState(), snapshot);
    const passed = live.reduceLive(state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 180, amount: '1.59', seq: 5 });
    assert.deepEqual(passed.effects, [{ type: 'resync' }]);
    assert.equal(passed.state['current'].unitPrice, '0.34');
    assert.equal(passed.state['nextKnown'], false);
  });

  it('cap warnings and price changes are announced; state changes announce and resync, media changes only announce', () => {
    const { state } = live.reduceLive(live.initialLiveState(), snapshot);
    const warned = live.reduceLive(state, { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_80', at: 'x', price: null, seq: 5 });
    assert.deepEqual(warned.effects, [{ type: 'announce', kind: 'cap_warning_80', price: null }]);
    assert.equal(warned.state['warning'], 'cap_warning_80');
    const held = live.reduceLive(warned.state, { type: 'state', sessionId: 'ses_1', status: 'on_hold', change: 'held', medium: 'voice', seq: 6 });
    assert.deepEqual(held.effects.map((e) => e.type), ['announce', 'resync']);
    assert.equal(held.state['status'], 'on_hold');
    const media = live.reduceLive(held.state, { type: 'state', sessionId: 'ses_1', status: 'on_hold', change: 'media_changed', medium: 'chat', seq: 7 });
    assert.deepEqual(media.effects.map((e) => e.type), ['announce']);
    assert.equal(media.state['medium'], 'chat');
  });

  it('a price change is announced once, with the new price in words (fr-FR and en); ticks and media changes say nothing', () => {
    const { state } = live.reduceLive(live.initialLiveState(), snapshot);
    const price = { fromSecond: 180, kind: 'charged', band: null, tier: 1, unitPrice: '0.34', perSeconds: 60, incrementSeconds: 60 };
    const changing = live.reduceLive(state, { type: 'notice', sessionId: 'ses_1', kind: 'price_change', at: '2026-10-06T08:02:55.000Z', price, seq: 5 });
    assert.deepEqual(changing.effects, [{ type: 'announce', kind: 'price_change', price }]);
    assert.equal(changing.state['warning'], null, 'a price change is no cap warning');
    const [effect] = changing.effects;
    assert.ok(effect !== undefined);
    const words = (lang: 'fr' | 'en'): string | null => meter.announcementText(effect, { currency: 'EUR', tariff: state['tariff'], lang, locale: format.localeOf(lang) });
    assert.equal(words('fr'), `Changement de palier dans quelques secondes : 0,34${NBSP}€ TTC / min, par minute entamée.`);
    assert.equal(words('en'), 'Price step in a few seconds: €0.34 incl. VAT / min, per started minute.');
    const ex = { currency: 'EUR', tariff: state['tariff'], lang: 'fr' as const, locale: 'fr-FR' };
    assert.equal(meter.announcementText({ type: 'announce', kind: 'free_window_ending', price }, ex), 'La période gratuite se termine dans quelques secondes.');
    assert.equal(meter.announcementText({ type: 'announce', kind: 'media_changed' }, ex), null, 'a media change is shown, not announced');
    // A price set without VAT is announced with it: 0.35 + 20 % = 0.42.
    const withoutVat = { ...ex, tariff: { ...snapshot.tariff, pricesIncludeVat: false }, lang: 'en' as const, locale: 'en' };
    assert.equal(meter.announcementText({ ...effect, price: { ...price, unitPrice: '0.35' } }, withoutVat), 'Price step in a few seconds: €0.42 incl. VAT / min, per started minute.');
    const ticked = live.reduceLive(changing.state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 176, amount: '1.59', seq: 6 });
    assert.deepEqual(ticked.effects, []);
  });

  it('after a reconnection, the replay of what was missed is announced once: a notice (and its cap warning), a state change; its ticks and a second copy change nothing', () => {
    let { state } = live.reduceLive(live.initialLiveState(), snapshot);
    state = live.reduceLive(state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 11, amount: '0.53', seq: 5 }).state;
    // The connection dropped at seq 5; the new one starts with a snapshot at seq 9, then the replay of 6..9.
    const fresh = live.reduceLive(state, { ...snapshot, seq: 9, status: 'on_hold', meteredSeconds: 14, amount: '0.53' });
    assert.deepEqual(fresh.effects, [], 'a snapshot announces nothing');
    state = fresh.state;
    const replay = [
      { type: 'tick', sessionId: 'ses_1', meteredSeconds: 12, amount: '0.53', seq: 6 },
      { type: 'state', sessionId: 'ses_1', status: 'on_hold', change: 'held', medium: 'voice', seq: 7 },
      { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_80', at: 'x', price: null, seq: 8 },
      { type: 'tick', sessionId: 'ses_1', meteredSeconds: 14, amount: '0.53', seq: 9 },
    ];
    const effects: LiveEffect[] = [];
    for (const message of replay) {
      const next = live.reduceLive(state, message);
      effects.push(...next.effects);
      state = next.state;
    }
    assert.deepEqual(effects, [{ type: 'announce', kind: 'held' }, { type: 'announce', kind: 'cap_warning_80', price: null }], 'no resync: the snapshot is newer');
    assert.deepEqual([state['seq'], state['meteredSeconds'], state['status'], state['warning']], [9, 14, 'on_hold', 'cap_warning_80'], "the snapshot's figures stay; the warning is kept");
    const again = live.reduceLive(state, replay[2]);
    assert.deepEqual(again.effects, [], 'a message replayed twice is announced once');
    const live10 = live.reduceLive(state, { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_1min', at: 'x', price: null, seq: 10 });
    assert.equal(live10.state['warning'], 'cap_warning_1min');
    const late80 = live.reduceLive({ ...live10.state, missed: { afterSeq: 9, toSeq: 11 } }, { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_80', at: 'x', price: null, seq: 10 });
    assert.equal(late80.state['warning'], 'cap_warning_1min', 'a replayed 80 % warning never hides the one-minute warning');
  });

  it('the first snapshot, or one from a new sequence (a lower seq: the server restarted), leaves nothing to replay', () => {
    const first = live.reduceLive(live.initialLiveState(), { ...snapshot, seq: 40 });
    assert.equal(first.state['missed'], null);
    assert.deepEqual(live.reduceLive(first.state, { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_80', at: 'x', price: null, seq: 39 }).effects, [],
      'history from before the first connection is not announced');
    const restarted = live.reduceLive(first.state, { ...snapshot, seq: 2 });
    assert.equal(restarted.state['missed'], null);
    const next = live.reduceLive(restarted.state, { type: 'tick', sessionId: 'ses_1', meteredSeconds: 12, amount: '0.53', seq: 3 });
    assert.deepEqual([next.state['seq'], next.state['meteredSeconds']], [3, 12], 'the new sequence goes on');
  });

  it('ended keeps the reason, the amount and the charge; a snapshot of a rated session is the end too', () => {
    const { state } = live.reduceLive(live.initialLiveState(), snapshot);
    const ended = live.reduceLive(state, { type: 'ended', sessionId: 'ses_1', reason: 'cap_reached', amount: '5.00', chargeId: 'chg_1', meteredSeconds: 600, seq: 5 });
    assert.deepEqual(ended.effects, [{ type: 'ended' }]);
    assert.deepEqual(ended.state['ended'], { reason: 'cap_reached', amount: '5.00', chargeId: 'chg_1', meteredSeconds: 600 });
    assert.deepEqual([ended.state['amount'], ended.state['meteredSeconds']], ['5.00', 600], 'the meter shows the final figures');
    const rated = live.reduceLive(live.initialLiveState(), { ...snapshot, status: 'rated', endReason: 'user', chargeId: 'chg_2', amount: '0.53', current: null, next: null });
    assert.deepEqual(rated.effects, [{ type: 'ended' }]);
    assert.equal(rated.state['ended'].chargeId, 'chg_2');
  });
});

/**
 * A stand-in for the browser's WebSocket: the test plays the server (opens it, sends messages,
 * drops it) and reads what the client sent.
 */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static created: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  readonly sent: unknown[] = [];
  closedByClient: number | null = null;
  private readonly listeners = new Map<string, ((event: any) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.created.push(this);
  }

  addEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(text: string): void {
    assert.equal(this.readyState, FakeSocket.OPEN, 'sends only on an open socket');
    this.sent.push(JSON.parse(text));
  }

  close(code = 1005): void {
    this.closedByClient = code;
    this.readyState = FakeSocket.CLOSED;
  }

  private emit(type: string, event: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  serverOpens(): void {
    this.readyState = FakeSocket.OPEN;
    this.emit('open', {});
  }

  serverSends(message: unknown): void {
    this.emit('message', { data: JSON.stringify(message) });
  }

  closes(code: number): void {
    this.readyState = FakeSocket.CLOSED;
    this.emit('close', { code });
  }
}

describe('widget: the live connection resumes after every reconnection', () => {
  const tick = (seq: number): Record<string, unknown> => ({ type: 'tick', sessionId: 'ses_1', meteredSeconds: seq, amount: '0.53', seq });
  const snapshotAt = (seq: number): Record<string, unknown> => ({
    type: 'snapshot', v: 1, seq, sessionId: 'ses_1', status: 'active', medium: 'voice', currency: 'EUR', meteredSeconds: seq, amount: '0.53',
    current: null, next: null, cap: '5.00', amountLeft: '4.47', stopAt: null, tariff: null, endReason: null, chargeId: null,
  });

  function withFakeSockets(test: (created: FakeSocket[]) => void): void {
    const globals = globalThis as { WebSocket?: unknown };
    const original = globals.WebSocket;
    FakeSocket.created = [];
    globals.WebSocket = FakeSocket;
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    try {
      test(FakeSocket.created);
    } finally {
      mock.timers.reset();
      globals.WebSocket = original;
    }
  }

  it('the first socket only pings; after a drop the next one sends resume with the last seq seen, before its ping; a deliberate resync resumes too', () => {
    withFakeSockets((created) => {
      const received: any[] = [];
      const closed: number[] = [];
      const connection = new live.LiveConnection({ apiBase: 'http://palier.test/', token: 'ust_x', onMessage: (m) => { received.push(m); }, onClosed: (code) => { closed.push(code); } });
      connection.start();
      const [first] = created;
      assert.ok(first !== undefined);
      assert.equal(first.url, 'ws://palier.test/v1/live?access_token=ust_x');
      first.serverOpens();
      assert.deepEqual(first.sent, [{ type: 'ping' }], 'nothing to resume on the first connection');
      for (const message of [snapshotAt(4), tick(5), tick(6)]) first.serverSends(message);
      assert.equal(received.length, 3);

      // A drop (no close frame): the next socket comes after the backoff and resumes from seq 6.
      first.closes(1006);
      assert.equal(created.length, 1, 'not at once');
      mock.timers.tick(live.LIVE_RECONNECT_DELAY_MS_MIN);
      const second = created[1];
      assert.ok(second !== undefined);
      second.serverOpens();
      assert.deepEqual(second.sent, [{ type: 'resume', lastSeq: 6 }, { type: 'ping' }]);
      for (const message of [snapshotAt(9), tick(7), tick(8), tick(9), tick(10)]) second.serverSends(message);
      assert.equal(connection.lastSeq, 10, 'replayed messages do not lower it');

      // A resync (the rate shown may be stale): a new socket at once, the old one closed and ignored.
      connection.resync();
      const third = created[2];
      assert.ok(third !== undefined);
      assert.equal(second.closedByClient, 4000);
      second.serverSends(tick(11));
      assert.equal(received.length, 8, "the old socket's messages are ignored");
      third.serverOpens();
      assert.deepEqual(third.sent, [{ type: 'resume', lastSeq: 10 }, { type: 'ping' }]);

      // The server restarted: its snapshot's seq is lower, a new sequence; the next resume starts from it.
      third.serverSends(snapshotAt(2));
      assert.equal(connection.lastSeq, 2);
      third.closes(1011);
      mock.timers.tick(live.LIVE_RECONNECT_DELAY_MS_MIN);
      const fourth = created[3];
      assert.ok(fourth !== undefined);
      fourth.serverOpens();
      assert.deepEqual(fourth.sent, [{ type: 'resume', lastSeq: 2 }, { type: 'ping' }]);

      // Pings every second on the open socket; after `ended` the server closes with 1000: no reconnection.
      const sentBefore = fourth.sent.length;
      mock.timers.tick(live.LIVE_PING_INTERVAL_MS * 3);
      assert.deepEqual(fourth.sent.slice(sentBefore), [{ type: 'ping' }, { type: 'ping' }, { type: 'ping' }]);
      assert.equal(live.LIVE_PING_INTERVAL_MS, 1_000);
      fourth.closes(1000);
      mock.timers.tick(60_000);
      assert.equal(created.length, 4, 'no reconnection after the end');
      assert.deepEqual(closed, [1000]);
    });
  });

  it('wired to the reducer (as the widget does): a notice published during a drop is replayed after the new snapshot and announced once', () => {
    withFakeSockets((created) => {
      let state = live.initialLiveState();
      const announced: string[] = [];
      const connection = new live.LiveConnection({
        apiBase: 'http://palier.test/', token: 'ust_x',
        onMessage: (message) => {
          const next = live.reduceLive(state, message);
          state = next.state;
          for (const effect of next.effects) if (effect.type === 'announce') announced.push(effect.kind ?? '');
        },
      });
      connection.start();
      created[0]?.serverOpens();
      for (const message of [snapshotAt(4), tick(5)]) created[0]?.serverSends(message);
      created[0]?.closes(1006);
      mock.timers.tick(live.LIVE_RECONNECT_DELAY_MS_MIN);
      const back = created[1];
      assert.ok(back !== undefined);
      back.serverOpens();
      const notice = { type: 'notice', sessionId: 'ses_1', kind: 'cap_warning_80', at: 'x', price: null, seq: 7 };
      // The server: the snapshot (seq 8), then the replay asked for (6, 7, 8), then live messages.
      for (const message of [snapshotAt(8), tick(6), notice, tick(8), tick(9)]) back.serverSends(message);
      assert.deepEqual(announced, ['cap_warning_80']);
      assert.deepEqual([state['seq'], state['warning']], [9, 'cap_warning_80']);
      connection.stop();
    });
  });
});

describe('widget: size', () => {
  it('the widget (every file under /widget) weighs under 50 KB gzipped', () => {
    const dir = join(WEB_STATIC_DIR, 'widget');
    const bytes = readdirSync(dir).reduce((sum, name) => sum + gzipSync(readFileSync(join(dir, name))).length, 0);
    assert.ok(bytes < 50 * 1024, `${bytes} bytes gzipped`);
  });
});
