/**
 * The price on the live feed (docs/live-protocol.md), with real ws clients against the real server
 * and a manual clock: every field of a `snapshot` of the demo kiosque offer, by day, in the
 * evening band and at the week-end; then the `notice`s of a session that crosses its free window,
 * a tier, the evening band and its cap warnings, each at its documented instant.
 *
 * Every expected figure is worked out here from fixtures/tariffs/kiosque-paliers.json (the
 * comments show the sums), never read back from the server: a started increment is billed whole
 * within its span, tiers count metered seconds from the start, bands follow the wall clock in
 * Paris (CEST in October: UTC+2).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Money } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { fixtureTariff, readJson, tariffFrom } from '../../support/fixtures.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { assertContiguous, caughtUp, ofType, openWatcher, until, type Watcher } from '../../support/live-watcher.ts';

const KIOSQUE = fixtureTariff('kiosque-paliers');
const iso = (ms: number): string => new Date(ms).toISOString();
/** Whole cents as a decimal string: 106 → "1.06". */
const euros = (cents: number): string => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
/** Started minutes in `seconds` (a started minute is billed whole). */
const startedMinutes = (seconds: number): number => Math.ceil(Math.max(0, seconds) / 60);

interface Harnessed {
  readonly h: HttpHarness;
  readonly merchant: string;
}

/** A consented session of `offerId` for Bruno with `cap`, and its user token. */
async function consent({ h, merchant }: Harnessed, offerId: string, cap: string): Promise<{ id: string; user: string }> {
  const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId, subscriberId: h.subscriber('Bruno') } });
  assert.equal(quote.status, 201, quote.text);
  const consented = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap, accepted: true } });
  assert.equal(consented.status, 201, consented.text);
  return { id: consented.body.id, user: consented.body.userToken };
}

async function connect({ h, merchant }: Harnessed, id: string): Promise<void> {
  const response = await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant });
  assert.equal(response.status, 200, response.text);
}

/** Both sides prove their presence now (a closed session answers session_closed, which is fine here). */
async function present(h: HttpHarness, id: string): Promise<void> {
  for (const side of ['user', 'advisor'] as const) {
    const result = await h.server.broker.heartbeat(id, side);
    assert.ok(result.ok || result.error === 'session_closed', `heartbeat: ${result.ok ? '' : result.error}`);
  }
}

/** `seconds` of session time with both sides present at every second, so the view is exact at the end. */
async function run(h: HttpHarness, id: string, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s += 1) {
    await h.clock.advanceBy(1_000);
    await present(h, id);
  }
}

/** Opens a second watcher (the advisor) and returns the snapshot it starts with. */
async function snapshotOf({ h, merchant }: Harnessed, id: string): Promise<any> {
  const watcher = await openWatcher(h, `access_token=${merchant}&session=${id}`);
  await until(() => watcher.messages.length >= 1, 'a snapshot');
  watcher.ws.close();
  return watcher.messages[0];
}

async function endOver(watcher: Watcher): Promise<any> {
  watcher.ws.send(JSON.stringify({ type: 'end' }));
  await until(() => ofType(watcher, 'ended').length === 1, 'ended');
  return ofType(watcher, 'ended')[0];
}

/** The tariff summary every snapshot of kiosque-paliers carries. */
const KIOSQUE_SUMMARY = {
  hash: KIOSQUE.hash, connectionFee: '0.00', freeSeconds: 0, minimumSeconds: 0, flatPrice: null, pricesIncludeVat: true,
  // 20 % as the API writes rates: the shortest decimal ("0.2").
  vatRate: '0.2',
};

/** Tuesday 2026-10-06, 10:00 in Paris: the base tiers (no band). */
const DAY_MS = Date.parse('2026-10-06T08:00:00Z');
/** The same Tuesday, 20:30 in Paris: "Soirée et nuit" (Monday to Friday, 20:00–08:00). */
const EVENING_MS = Date.parse('2026-10-06T18:30:00Z');
/** Saturday 2026-10-10, 12:00 in Paris: "Week-end". */
const WEEKEND_MS = Date.parse('2026-10-10T10:00:00Z');

describeEachDatabase('live snapshot: every field of an active kiosque session, worked out from the tariff table', ({ target }) => {
  const world = {} as { h: HttpHarness; merchant: string };
  before(async () => {
    world.h = await startHarness(target().config(), DAY_MS);
    world.merchant = world.h.key('mer_depannage_pc');
  });
  after(async () => { await world.h.server.stop(); });

  it('by day, 98 s into the first tier with a 2.00 cap: 1.06 so far, 1.59 from second 121, 0.34/min from second 180, the cap stops it at second 240', async () => {
    const { h } = world;
    const { id, user } = await consent(world, 'off_windows_help', '2.00');
    const userWatcher = await openWatcher(h, `access_token=${user}`);
    await until(() => userWatcher.messages.length === 1, 'the snapshot while queued');
    const base = { type: 'snapshot', v: 1, sessionId: id, medium: 'voice', currency: 'EUR', tariff: KIOSQUE_SUMMARY, endReason: null, chargeId: null };
    assert.deepEqual(userWatcher.messages[0], {
      ...base, seq: 0, status: 'queued', meteringStartedAt: null, meteredSeconds: 0, amount: '0.00',
      current: null, next: null, nextStep: null, cap: '2.00', amountLeft: '2.00', stopAt: null,
    }, 'waiting is free: nothing metered, no price in force yet');

    await connect(world, id);
    const startMs = h.clock.nowMs();
    await present(h, id);
    await run(h, id, 98);
    await caughtUp(h, userWatcher, id);
    const snapshot = await snapshotOf(world, id);
    assert.deepEqual(snapshot, {
      ...base,
      // Seq: `connected` (1), then one tick a second for 98 s; no notice yet (the first is due at second 175).
      seq: 99,
      status: 'active', meteringStartedAt: iso(startMs), meteredSeconds: 98,
      // Tier 0, 0.53 per started minute: 98 s are 2 started minutes.
      amount: euros(startedMinutes(98) * 53),
      current: { fromSecond: 0, kind: 'charged', band: null, tier: 0, unitPrice: '0.53', perSeconds: 60, incrementSeconds: 60 },
      next: { fromSecond: 180, kind: 'charged', band: null, tier: 1, unitPrice: '0.34', perSeconds: 60, incrementSeconds: 60 },
      // The third minute starts at second 121: 3 × 0.53.
      nextStep: { atSecond: 121, amount: euros(3 * 53) },
      cap: '2.00',
      amountLeft: euros(200 - 106),
      // 1.59 for the first 3 minutes, + 0.34 for the minute started at 181 = 1.93 ≤ 2.00; the next
      // minute (from 241) would make 2.27: the cap stops it after 240 s.
      stopAt: iso(startMs + 240_000),
    });
    assert.equal(snapshot.amount, '1.06');
    assert.equal(snapshot.seq, userWatcher.messages.at(-1).seq, 'the snapshot reflects the last message every watcher got');
    // Every tick before showed the amount of its metered seconds (one second behind the clock: the last proof of presence).
    const ticks = ofType(userWatcher, 'tick');
    assert.deepEqual(ticks.map((t) => t.meteredSeconds as number), Array.from({ length: 98 }, (_, i) => i));
    for (const tick of ticks) assert.equal(tick.amount, euros(startedMinutes(tick.meteredSeconds as number) * 53), `tick at ${tick.meteredSeconds as number} s`);

    const ended = await endOver(userWatcher);
    assert.deepEqual([ended.reason, ended.amount, ended.meteredSeconds], ['user', '1.06', 98]);
  });

  it('in the evening band, 200 s in: 3 minutes at 0.34 then the band\'s second tier at 0.20, next its per-second tier at 0.15 from second 900', async () => {
    const { h } = world;
    await h.clock.advanceTo(EVENING_MS);
    const { id, user } = await consent(world, 'off_windows_help', '2.00');
    const userWatcher = await openWatcher(h, `access_token=${user}`);
    await connect(world, id);
    const startMs = h.clock.nowMs();
    assert.equal(startMs, EVENING_MS);
    await present(h, id);
    await run(h, id, 200);
    await caughtUp(h, userWatcher, id);
    const snapshot = await snapshotOf(world, id);
    const band = 'Soirée et nuit';
    assert.deepEqual(snapshot, {
      type: 'snapshot', v: 1, sessionId: id, medium: 'voice', currency: 'EUR', tariff: KIOSQUE_SUMMARY, endReason: null, chargeId: null,
      // `connected`, 200 ticks, and the price_change notice 5 s before second 180.
      seq: 202,
      status: 'active', meteringStartedAt: iso(startMs), meteredSeconds: 200,
      // Band tier 0 (0.34/started minute) for [0, 180): 3 minutes; band tier 1 (0.20) for [180, 200): 1 started minute.
      amount: euros(3 * 34 + startedMinutes(20) * 20),
      current: { fromSecond: 180, kind: 'charged', band, tier: 1, unitPrice: '0.20', perSeconds: 60, incrementSeconds: 60 },
      next: { fromSecond: 900, kind: 'charged', band, tier: 2, unitPrice: '0.15', perSeconds: 60, incrementSeconds: 1 },
      // The second minute of tier 1 starts at second 241: 1.02 + 2 × 0.20.
      nextStep: { atSecond: 241, amount: euros(3 * 34 + 2 * 20) },
      cap: '2.00',
      amountLeft: euros(200 - 122),
      // 1.02 + 0.20 per started minute: 1.82 up to second 420, 2.02 from 421: stop after 420 s.
      stopAt: iso(startMs + 420_000),
    });
    assert.equal(snapshot.amount, '1.22');
    const notices = ofType(userWatcher, 'notice');
    assert.deepEqual(notices.map((n): unknown[] => [n.kind, n.at, n.price?.band, n.price?.tier]), [['price_change', iso(startMs + 175_000), band, 1]]);
    const ended = await endOver(userWatcher);
    assert.deepEqual([ended.reason, ended.amount, ended.meteredSeconds], ['user', '1.22', 200]);
  });

  it('at the week-end, 200 s in: 1.07 (per-second tier), the next cent at second 202 (half-up), no further price change, the cap stops it at second 573', async () => {
    const { h } = world;
    await h.clock.advanceTo(WEEKEND_MS);
    const { id, user } = await consent(world, 'off_windows_help', '2.00');
    const userWatcher = await openWatcher(h, `access_token=${user}`);
    await connect(world, id);
    const startMs = h.clock.nowMs();
    await present(h, id);
    await run(h, id, 200);
    await caughtUp(h, userWatcher, id);
    const snapshot = await snapshotOf(world, id);
    // Week-end tier 1 bills 0.15 per minute by the second: a quarter of a cent a second.
    const quarterCents = (seconds: number): number => 4 * 3 * 34 + seconds;
    /** Quarter cents to whole cents, half-up (the tariff's rounding). */
    const roundHalfUp = (quarters: number): number => Math.floor((quarters + 2) / 4);
    assert.deepEqual(snapshot, {
      type: 'snapshot', v: 1, sessionId: id, medium: 'voice', currency: 'EUR', tariff: KIOSQUE_SUMMARY, endReason: null, chargeId: null,
      seq: 202,
      status: 'active', meteringStartedAt: iso(startMs), meteredSeconds: 200,
      // 3 × 0.34 for [0, 180), then 20 s × 0.0025 = 0.05.
      amount: euros(roundHalfUp(quarterCents(20))),
      current: { fromSecond: 180, kind: 'charged', band: 'Week-end', tier: 1, unitPrice: '0.15', perSeconds: 60, incrementSeconds: 1 },
      // The week-end lasts past the 24 h the display looks ahead: the price never changes again.
      next: null,
      // 21 s: 1.0725 → 1.07; 22 s: 1.075 → 1.08 (half-up).
      nextStep: { atSecond: 202, amount: euros(roundHalfUp(quarterCents(22))) },
      cap: '2.00',
      amountLeft: euros(200 - 107),
      // 393 s of tier 1: 1.02 + 0.9825 = 2.0025 → 2.00; 394 s: 2.005 → 2.01. 180 + 393 = 573.
      stopAt: iso(startMs + 573_000),
    });
    assert.deepEqual([snapshot.amount, snapshot.nextStep.amount], ['1.07', '1.08']);
    assert.equal(roundHalfUp(quarterCents(393)), 200);
    assert.equal(roundHalfUp(quarterCents(394)), 201);
    const ended = await endOver(userWatcher);
    assert.deepEqual([ended.reason, ended.amount], ['user', '1.07']);
  });
});

/** Tuesday 2026-10-06, 19:55 in Paris: five minutes before the evening band. */
const CROSSING_MS = Date.parse('2026-10-06T17:55:00Z');
/** The demo kiosque offer's twin with a 20 s free window (set up through the store). */
const FREE_START_OFFER = 'off_windows_help_free_start';
const FREE_S = 20;

/**
 * What a session of the free-start tariff from 19:55 in Paris costs after `m` metered seconds, in
 * cents: free for 20 s; tier 0 (0.53/started minute) on [20, 180); tier 1 (0.34) on [180, 300);
 * from 20:00 (second 300) the evening band's tier 1 (0.20) — each span billing its own started minutes.
 */
function crossingCents(m: number): number {
  if (m <= FREE_S) return 0;
  const span = (from: number, to: number): number => startedMinutes(Math.min(m, to) - from);
  return span(FREE_S, 180) * 53 + (m > 180 ? span(180, 300) * 34 : 0) + (m > 300 ? span(300, 900) * 20 : 0);
}

describeEachDatabase('live notices: free window ending, tier and band changes, cap warnings, each at its documented time', ({ target }) => {
  const world = {} as { h: HttpHarness; merchant: string };
  before(async () => {
    world.h = await startHarness(target().config(), CROSSING_MS);
    world.merchant = world.h.key('mer_depannage_pc');
    const { store } = world.h.server.storage;
    const tariff = tariffFrom({ ...(readJson('tariffs/kiosque-paliers.json') as object), freeSeconds: FREE_S });
    await store.publishTariff(tariff, CROSSING_MS);
    const base = await store.getOffer('off_windows_help');
    assert.ok(base !== null);
    await store.insertOffer({ ...base, id: FREE_START_OFFER, name: 'Assistance Windows (20 s offertes)', tariffHash: tariff.hash }, CROSSING_MS);
  });
  after(async () => { await world.h.server.stop(); });

  it('a 3.00 cap from 19:55: free window ending at 15 s, tier 1 at 175 s, the evening band at 295 s, 80 % at 301 s, one minute left at 420 s, the stop at 480 s; seq without a gap', async () => {
    const { h } = world;
    const { id, user } = await consent(world, FREE_START_OFFER, '3.00');
    // When each message arrived, on the session clock: time stands still until the watcher has caught up.
    const arrivedAtMs = new Map<number, number>();
    const watcher = await openWatcher(h, `access_token=${user}`, { onMessage: (m) => { if (typeof m.seq === 'number' && m.type !== 'snapshot') arrivedAtMs.set(m.seq, h.clock.nowMs()); } });
    await until(() => watcher.messages.length === 1, 'snapshot');
    await connect(world, id);
    const t0 = h.clock.nowMs();
    await present(h, id);
    for (let s = 0; s < 600 && ofType(watcher, 'ended').length === 0; s += 1) {
      await h.clock.advanceBy(1_000);
      await present(h, id);
      await caughtUp(h, watcher, id);
    }
    const at = (second: number): number => t0 + second * 1000;
    const charged = (fromSecond: number, band: string | null, tier: number, unitPrice: string): Record<string, unknown> => ({
      fromSecond, kind: 'charged', band, tier, unitPrice, perSeconds: 60, incrementSeconds: 60,
    });
    const notices = ofType(watcher, 'notice').map((n) => ({ kind: n.kind, at: n.at, price: n.price, arrived: iso(arrivedAtMs.get(n.seq) ?? 0) }));
    assert.deepEqual(notices, [
      // 5 s before each change, with the price from then on.
      { kind: 'free_window_ending', at: iso(at(FREE_S - 5)), price: charged(FREE_S, null, 0, '0.53'), arrived: iso(at(FREE_S - 5)) },
      { kind: 'price_change', at: iso(at(175)), price: charged(180, null, 1, '0.34'), arrived: iso(at(175)) },
      // 20:00 in Paris is second 300: the evening band, already in its second tier (tiers count from the start).
      { kind: 'price_change', at: iso(at(295)), price: charged(300, 'Soirée et nuit', 1, '0.20'), arrived: iso(at(295)) },
      // 80 % of 3.00 is 2.40: reached at second 301 (2.27 + 0.20 = 2.47).
      { kind: 'cap_warning_80', at: iso(at(301)), price: null, arrived: iso(at(301)) },
      // 2.87 up to second 480, 3.07 from 481: the stop is at 480 s, one minute before is 420 s.
      { kind: 'cap_warning_1min', at: iso(at(420)), price: null, arrived: iso(at(420)) },
    ]);
    assert.equal(crossingCents(301), 247);
    assert.ok(crossingCents(300) < 240 && crossingCents(301) >= 240, '80 % is first reached at second 301');
    assert.ok(crossingCents(480) <= 300 && crossingCents(481) > 300, 'the cap allows 480 s');

    const ended = ofType(watcher, 'ended')[0];
    assert.deepEqual([ended.reason, ended.amount, ended.meteredSeconds], ['cap_reached', euros(crossingCents(480)), 480]);
    assert.equal(arrivedAtMs.get(ended.seq), at(480), 'the cap stops the session at its stopAt');
    const charge = await h.call('GET', `/v1/charges/${ended.chargeId as string}`, { token: world.merchant });
    assert.equal(charge.body.amount, ended.amount, 'ended = the charge');

    // Every tick shows the amount of its metered seconds; so the prices announced are the prices billed.
    const ticks = ofType(watcher, 'tick');
    assert.ok(ticks.length >= 479);
    for (const tick of ticks) assert.equal(tick.amount, euros(crossingCents(tick.meteredSeconds as number)), `tick at ${tick.meteredSeconds as number} s`);
    const amountAt = (second: number): Money => Money.of(ticks.find((t) => t.meteredSeconds === second).amount as string, 'EUR');
    for (const notice of ofType(watcher, 'notice').filter((n) => n.price !== null)) {
      const { fromSecond, unitPrice } = notice.price as { fromSecond: number; unitPrice: string };
      assert.equal(amountAt(fromSecond + 1).minus(amountAt(fromSecond)).toString(), unitPrice, `the minute started at second ${fromSecond + 1} costs the price announced`);
      // The change shows on the meter after the notice: no tick past it had arrived.
      assert.ok(ticks.filter((t) => t.seq < notice.seq).every((t) => t.meteredSeconds < fromSecond - 4), `${notice.kind as string} came 5 s before second ${fromSecond}`);
    }
    assertContiguous(watcher.messages.slice(1), (watcher.messages[0].seq as number) + 1, 'snapshot, then every message');
    assert.equal((await watcher.closed).code, 1000);
  });
});
