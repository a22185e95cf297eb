import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { LIVENESS_PERSIST_INTERVAL_MS } from '../../src/app/limits.ts';
import { Money, rate } from '../../src/domain/index.ts';
import type { Store } from '../../src/app/index.ts';
import { brokerHarness, type BrokerHarness } from '../support/broker-harness.ts';
import { describeEachDatabase } from '../support/databases.ts';
import { buildWorld, type World } from '../support/world.ts';

const START_MS = Date.parse('2026-10-05T08:00:00Z'); // Monday 10:00 Paris: base paliers

describeEachDatabase('broker: a session from quote to charge', ({ database }) => {
  let h: BrokerHarness;
  let world: World;
  before(async () => {
    h = brokerHarness(database(), START_MS);
    world = await buildWorld(h.store, 'b');
  });

  async function consented(cap: string): Promise<{ sessionId: string }> {
    const quote = await h.broker.quote({ offerId: world.offerId, subscriberId: world.subscriberId, locale: 'fr-FR' });
    assert.ok(quote.ok, quote.ok ? '' : quote.error);
    const consent = await h.broker.consent({
      quoteId: quote.value.quote.id, announcementHash: quote.value.quote.announcementHash, cap: Money.of(cap, 'EUR'),
      channel: 'web', clientIp: '192.0.2.1', userAgent: 'test',
    });
    assert.ok(consent.ok, consent.ok ? '' : consent.error);
    return { sessionId: consent.value.session.id };
  }

  /** Both sides keep proving presence every 5 s for `ms`. */
  async function alive(sessionId: string, ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += 5_000) {
      await h.clock.advanceBy(Math.min(5_000, ms - elapsed));
      await h.broker.heartbeat(sessionId, 'user');
      await h.broker.heartbeat(sessionId, 'advisor');
    }
  }

  it('waiting is free, metering starts at connect, the user ends: the charge is rate() of the metered time', async () => {
    const { sessionId } = await consented('10.00');
    await h.clock.advanceBy(20_000);
    await h.broker.heartbeat(sessionId, 'user');
    const connected = await h.broker.connect(sessionId);
    assert.ok(connected.ok);
    const connectedAt = h.clock.nowMs();
    for (let i = 0; i < 20; i += 1) {
      await h.clock.advanceBy(10_000);
      await h.broker.heartbeat(sessionId, 'user');
      await h.broker.heartbeat(sessionId, 'advisor');
    }
    await h.clock.advanceBy(500);
    const ended = await h.broker.end(sessionId, 'user');
    assert.ok(ended.ok);
    assert.equal(ended.value.status, 'rated');
    const charge = await h.store.getChargeForSession(sessionId);
    assert.ok(charge !== null);
    assert.equal(charge.meteredSeconds, 200, 'partial second not billed, waiting not billed');
    assert.equal(charge.amount.toString(), rate(world.tariff, connectedAt, 200).billed.toString());
    assert.equal((await h.store.getHoldForSession(sessionId))?.status, 'posted');
  });

  it('the cap stops the session at the exact second, billed exactly the cap at most', async () => {
    const { sessionId } = await consented('1.00');
    await h.broker.connect(sessionId);
    const connectedAt = h.clock.nowMs();
    for (let i = 0; i < 30; i += 1) {
      await h.clock.advanceBy(5_000);
      await h.broker.heartbeat(sessionId, 'user');
      await h.broker.heartbeat(sessionId, 'advisor');
    }
    const session = await h.store.getSession(sessionId);
    assert.equal(session?.status, 'rated');
    assert.equal(session.endReason, 'cap_reached');
    const charge = await h.store.getChargeForSession(sessionId);
    assert.ok(charge !== null);
    // 0.53 €/started minute: 1 minute (0.53) fits, 2 (1.06) do not → stopped after 60 s.
    assert.equal(charge.meteredSeconds, 60);
    assert.equal(charge.amount.toString(), '0.53');
    assert.equal(session.endedAtMs, connectedAt + 60_000);
    assert.ok(h.events.some((e) => e.type === 'notice' && e.session.id === sessionId && e.notice === 'cap_warning_80'));
  });

  it('liveness lost: billed up to the last proof of life, not to when it was noticed', async () => {
    const { sessionId } = await consented('10.00');
    await h.broker.connect(sessionId);
    const connectedAt = h.clock.nowMs();
    for (let i = 0; i < 19; i += 1) {
      await h.clock.advanceBy(5_000);
      await h.broker.heartbeat(sessionId, 'user');
      await h.broker.heartbeat(sessionId, 'advisor');
    }
    await h.clock.advanceBy(60_000);
    const session = await h.store.getSession(sessionId);
    assert.equal(session?.endReason, 'liveness_lost');
    assert.equal(session.endedAtMs, connectedAt + 95_000);
    const charge = await h.store.getChargeForSession(sessionId);
    assert.equal(charge?.meteredSeconds, 95);
  });

  it('a free hold is not metered; a resumed session meters again', async () => {
    const { sessionId } = await consented('10.00');
    await h.broker.connect(sessionId);
    await alive(sessionId, 30_000);
    const held = await h.broker.hold(sessionId);
    assert.ok(held.ok, held.ok ? '' : held.error);
    await alive(sessionId, 120_000);
    const resumed = await h.broker.resume(sessionId);
    assert.ok(resumed.ok, resumed.ok ? '' : resumed.error);
    await h.clock.advanceBy(15_000);
    await h.broker.end(sessionId, 'advisor');
    const charge = await h.store.getChargeForSession(sessionId);
    assert.equal(charge?.meteredSeconds, 45);
  });

  it('a replayed end is a no-op returning the same session and charge, and writes nothing twice', async () => {
    const { sessionId } = await consented('10.00');
    await h.broker.connect(sessionId);
    await alive(sessionId, 61_000);
    const first = await h.broker.end(sessionId, 'user');
    assert.ok(first.ok, first.ok ? '' : first.error);
    const chargeId = first.value.chargeId;
    assert.ok(chargeId !== null, 'a metered minute is charged');
    const journalsBefore = await h.store.journalsFor('charge', chargeId);
    await h.clock.advanceBy(5_000);
    // Again by the user, then by the advisor: the session stays as the first end left it.
    for (const reason of ['user', 'advisor'] as const) {
      const again = await h.broker.end(sessionId, reason);
      assert.ok(again.ok, again.ok ? '' : again.error);
      assert.deepEqual(again.value, first.value, `an end by the ${reason} changes nothing`);
    }
    const events = await h.store.sessionEvents(sessionId);
    assert.deepEqual(events.map((e) => e.type), ['consented', 'connected', 'ended', 'rated']);
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4], 'numbered from 1, one after another');
    assert.equal((await h.store.getChargeForSession(sessionId))?.id, chargeId);
    assert.deepEqual(await h.store.journalsFor('charge', chargeId), journalsBefore, 'no second journal');
    assert.equal(h.events.filter((e) => e.type === 'ended' && e.session.id === sessionId).length, 1, 'the end is published once');
  });

  it('two ends at the same moment: one rates, the other returns the same rated session', async () => {
    const { sessionId } = await consented('10.00');
    await h.broker.connect(sessionId);
    await alive(sessionId, 30_000);
    const [a, b] = await Promise.all([h.broker.end(sessionId, 'user'), h.broker.end(sessionId, 'advisor')]);
    assert.ok(a.ok && b.ok);
    assert.deepEqual(b.value, a.value);
    assert.equal(a.value.status, 'rated');
    assert.equal(a.value.endReason, 'user', 'the first end in line is the one recorded');
    const events = await h.store.sessionEvents(sessionId);
    assert.deepEqual(events.map((e) => e.type), ['consented', 'connected', 'ended', 'rated']);
  });

  it('other transitions of an ended session stay refused as session_closed', async () => {
    const { sessionId } = await consented('10.00');
    await h.broker.connect(sessionId);
    await h.clock.advanceBy(10_000);
    assert.ok((await h.broker.end(sessionId, 'user')).ok);
    assert.deepEqual(await h.broker.hold(sessionId), { ok: false, error: 'session_closed' });
    assert.deepEqual(await h.broker.resume(sessionId), { ok: false, error: 'session_closed' });
    assert.deepEqual(await h.broker.connect(sessionId), { ok: false, error: 'session_closed' });
    assert.deepEqual(await h.broker.changeMedium(sessionId, 'chat'), { ok: false, error: 'session_closed' });
    assert.deepEqual(await h.broker.heartbeat(sessionId, 'user'), { ok: false, error: 'session_closed' });
  });

  it('the view of a session it has just ended shows its charge\'s amount without reading the charge back; another broker reads it', async () => {
    const { sessionId } = await consented('10.00');
    assert.ok((await h.broker.connect(sessionId)).ok);
    await alive(sessionId, 125_000);
    const ended = await h.broker.end(sessionId, 'user');
    assert.ok(ended.ok);
    const charge = await h.store.getChargeForSession(sessionId);
    assert.ok(charge !== null);
    const reads: string[] = [];
    const store = h.store as Store & { getCharge: Store['getCharge'] };
    const getCharge = store.getCharge.bind(store);
    store.getCharge = async (id) => { reads.push(id); return getCharge(id); };
    try {
      const view = await h.broker.view(sessionId, ended.value);
      assert.equal(view?.billed.toString(), charge.amount.toString());
      assert.deepEqual(reads, [], 'no read of the charge');
      const other = brokerHarness(database(), h.clock.nowMs());
      const elsewhere = await other.broker.view(sessionId);
      assert.equal(elsewhere?.billed.toString(), charge.amount.toString());
    } finally {
      store.getCharge = getCharge;
    }
  });

  it('heartbeatNow (the live feed\'s pongs): applied at once while nothing of the session runs and no write is due; else left to heartbeat', async () => {
    const { sessionId } = await consented('10.00');
    assert.ok((await h.broker.connect(sessionId)).ok);
    await h.broker.heartbeat(sessionId, 'user');
    await h.broker.heartbeat(sessionId, 'advisor');
    const stored = await h.store.getSession(sessionId);
    await h.clock.advanceBy(1_000);
    assert.equal(h.broker.heartbeatNow(sessionId, 'user'), true);
    assert.equal(h.broker.heartbeatNow(sessionId, 'advisor'), true);
    assert.equal(h.broker.runningSession(sessionId)?.lastUserSeenAtMs, h.clock.nowMs());
    assert.equal(h.broker.runningSession(sessionId)?.lastAdvisorSeenAtMs, h.clock.nowMs());
    assert.deepEqual(await h.store.getSession(sessionId), stored, 'nothing written: the proof is persisted every few seconds, by heartbeat');

    // Work of the session in flight: the proof waits its turn on the chain (it could be lost under that work's result).
    await h.clock.advanceBy(1_000);
    const held = h.broker.hold(sessionId);
    assert.equal(h.broker.heartbeatNow(sessionId, 'user'), false);
    assert.ok((await held).ok);
    assert.equal(h.broker.heartbeatNow(sessionId, 'user'), true, 'once the work is done, at once again');
    assert.equal(h.broker.runningSession(sessionId)?.lastUserSeenAtMs, h.clock.nowMs());

    // The proof of life is the older side's: the user's alone does not move it; the advisor's then
    // brings it past the persisted one by the interval, a write is due, and heartbeat does it.
    await h.clock.advanceBy(LIVENESS_PERSIST_INTERVAL_MS);
    assert.equal(h.broker.heartbeatNow(sessionId, 'user'), true);
    assert.equal(h.broker.heartbeatNow(sessionId, 'advisor'), false);
    await h.broker.heartbeat(sessionId, 'advisor');
    assert.equal((await h.store.getSession(sessionId))?.lastUserSeenAtMs, h.clock.nowMs());

    assert.ok((await h.broker.end(sessionId, 'user')).ok);
    assert.equal(h.broker.heartbeatNow(sessionId, 'user'), false, 'ended');
    assert.equal(h.broker.heartbeatNow('ses_unknown', 'user'), false, 'not running');
  });
});
