import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
interface LiveEffect { type: string; kind?: string }
interface LiveModule {
  initialLiveState(): Record<string, any>;
  reduceLive(state: Record<string, any>, message: unknown): { state: Record<string, any>; effects: LiveEffect[] };
}
interface I18nModule { STRINGS: { fr: Record<string, unknown>; en: Record<string, unknown> } }

const load = async <T>(name: string): Promise<T> => (await import(new URL(`file://${join(WEB_STATIC_DIR, 'widget', name)}`).href)) as T;
const format = await load<FormatModule>('palier-format.js');
const live = await load<LiveModule>('palier-live.js');
const i18n = await load<I18nModule>('palier-i18n.js');

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

describe('widget: size', () => {
  it('the widget (every file under /widget) weighs under 50 KB gzipped', () => {
    const dir = join(WEB_STATIC_DIR, 'widget');
    const bytes = readdirSync(dir).reduce((sum, name) => sum + gzipSync(readFileSync(join(dir, name))).length, 0);
    assert.ok(bytes < 50 * 1024, `${bytes} bytes gzipped`);
  });
});
