/**
 * Live protocol v1 (docs/live-protocol.md) with real ws clients against the real server and a
 * manual clock: seq continuity and `resume`, ticks and holds, several watchers, the Origin
 * allowlist, backpressure, publication after commit, and a client that falls silent.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import WebSocket from 'ws';
import { LIVE_REPLAY_MESSAGES_MAX } from '../../../src/adapters/live/limits.ts';
import { Money } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { assertContiguous, ofType, openWatcher as open, until, type Watcher } from '../../support/live-watcher.ts';

/** Tuesday 2026-10-06 10:00 Paris: the day band of kiosque-paliers, 0.53 EUR per started minute. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');
const WIDGET_ORIGIN = 'https://widget.example';
/** The demo offer's twin that bills hold time (set up through the store). */
const HOLD_BILLED_OFFER = 'off_windows_help_hold_billed';

/** Messages that belong to the session's sequence (not `pong` or `error`), after the first snapshot. */
const sequenced = (watcher: Watcher): any[] => watcher.messages.slice(1).filter((m) => typeof m.seq === 'number');
const lastSeq = (watcher: Watcher): number => Math.max(...watcher.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq as number));


describeEachDatabase('live protocol: seq and resume, holds, watchers, Origin, backpressure', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  before(async () => {
    h = await startHarness(target().config(), START_MS, 30_000, { allowedOrigins: [WIDGET_ORIGIN] });
    merchant = h.key('mer_depannage_pc');
    const { store } = h.server.storage;
    const base = await store.getOffer('off_windows_help');
    assert.ok(base !== null);
    await store.insertOffer({ ...base, id: HOLD_BILLED_OFFER, name: 'Assistance Windows (attente facturée)', holdBilled: true }, START_MS);
  });
  after(async () => { await h.server.stop(); });

  async function session(offerId = 'off_windows_help'): Promise<{ id: string; user: string }> {
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId, subscriberId: h.subscriber('Bruno') } });
    assert.equal(quote.status, 201, quote.text);
    const consent = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true } });
    assert.equal(consent.status, 201, consent.text);
    return { id: consent.body.id, user: consent.body.userToken };
  }

  async function advisor(id: string, action: 'connect' | 'hold' | 'resume'): Promise<void> {
    const response = await h.call('POST', `/v1/sessions/${id}/${action}`, { token: merchant });
    assert.equal(response.status, 200, response.text);
  }

  /** `seconds` of the session with both sides present: heartbeats over REST, then one second passes. */
  async function live(id: string, user: string, seconds: number): Promise<void> {
    for (let s = 0; s < seconds; s += 1) {
      await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: user, idempotencyKey: null });
      await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: merchant, idempotencyKey: null });
      await h.clock.advanceBy(1_000);
    }
  }

  /** Waits until the watcher has seen the session's current seq. */
  async function caughtUp(watcher: Watcher, id: string): Promise<void> {
    await until(() => watcher.messages.some((m) => m.seq === h.server.hub.seqOf(id)), `watcher reached seq ${h.server.hub.seqOf(id)}`);
  }

  it('resume after a reconnect: the replayed messages fill the gap exactly, and the feed goes on with no gap', async () => {
    const { id, user } = await session();
    const steady = await open(h, `access_token=${merchant}&session=${id}`);
    const flaky = await open(h, `access_token=${user}`);
    await advisor(id, 'connect');
    await live(id, user, 3);
    await caughtUp(flaky, id);
    const seenSeq = lastSeq(flaky);
    flaky.ws.close();
    await flaky.closed;
    // While it is away: ticks, a hold (no ticks), a resume, ticks again.
    await live(id, user, 2);
    await advisor(id, 'hold');
    await live(id, user, 2);
    await advisor(id, 'resume');
    await live(id, user, 2);
    await caughtUp(steady, id);
    // As a reconnecting client does: `resume` at once, without waiting for the snapshot.
    const back = await open(h, `access_token=${user}`);
    back.ws.send(JSON.stringify({ type: 'resume', lastSeq: seenSeq }));
    const gap = sequenced(steady).filter((m) => m.seq > seenSeq);
    assert.deepEqual(gap.map((m) => m.type as string), ['tick', 'tick', 'state', 'state', 'tick', 'tick'], 'two ticks, held, resumed, two ticks');
    await until(() => back.messages.length === 1 + gap.length, 'the snapshot, then the replay');
    const [snapshot] = back.messages;
    assert.equal(snapshot.type, 'snapshot', 'the snapshot comes first');
    assert.equal(snapshot.seq, h.server.hub.seqOf(id));
    assert.equal(snapshot.status, 'active');
    assert.deepEqual(back.messages.slice(1), gap, 'the messages it missed, exactly, in order');
    await live(id, user, 2);
    await caughtUp(back, id);
    await caughtUp(steady, id);
    assert.deepEqual(back.messages.slice(1 + gap.length), sequenced(steady).filter((m) => m.seq > snapshot.seq), 'then live, as every watcher');
    assertContiguous(sequenced(back), seenSeq + 1, 'the reconnected watcher');
    assertContiguous(sequenced(steady), 1, 'the steady watcher');
    const replayAgain = back.messages.length;
    back.ws.send(JSON.stringify({ type: 'resume', lastSeq: lastSeq(back) }));
    back.ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => ofType(back, 'pong').length === 1, 'pong');
    assert.equal(back.messages.length, replayAgain + 1, 'resuming from the latest seq replays nothing');
    back.ws.close();
    steady.ws.close();
  });

  it(`resume from a seq older than the replay buffer (${LIVE_REPLAY_MESSAGES_MAX} messages) gets a fresh snapshot, not a partial replay`, async () => {
    const { id, user } = await session();
    const first = await open(h, `access_token=${user}`);
    await advisor(id, 'connect');
    await live(id, user, 2);
    await caughtUp(first, id);
    const seenSeq = lastSeq(first);
    first.ws.close();
    await first.closed;
    await live(id, user, LIVE_REPLAY_MESSAGES_MAX + 5);
    const back = await open(h, `access_token=${user}`);
    await until(() => back.messages.length === 1, 'snapshot');
    back.ws.send(JSON.stringify({ type: 'resume', lastSeq: seenSeq }));
    await until(() => back.messages.length === 2, 'a second snapshot');
    assert.deepEqual(back.messages.map((m) => m.type as string), ['snapshot', 'snapshot']);
    assert.equal(back.messages[1].seq, h.server.hub.seqOf(id));
    assert.equal(back.messages[1].seq - seenSeq, LIVE_REPLAY_MESSAGES_MAX + 5, 'the ticks it missed are more than the buffer holds');
    back.ws.close();
  });

  it('no ticks while waiting or on a free hold; after resume ticks come again and the hold is not metered', async () => {
    const { id, user } = await session();
    const watcher = await open(h, `access_token=${user}`);
    await live(id, user, 3);
    assert.equal(ofType(watcher, 'tick').length, 0, 'waiting is free: no ticks');
    await advisor(id, 'connect');
    await live(id, user, 3);
    await caughtUp(watcher, id);
    assert.equal(ofType(watcher, 'tick').length, 3, '1 Hz while active');
    await advisor(id, 'hold');
    await live(id, user, 5);
    await caughtUp(watcher, id);
    assert.equal(ofType(watcher, 'tick').length, 3, 'no ticks on a free hold');
    await advisor(id, 'resume');
    await live(id, user, 3);
    await caughtUp(watcher, id);
    const ticks = ofType(watcher, 'tick');
    assert.equal(ticks.length, 6, '1 Hz again after resume');
    const metered = ticks.map((t) => t.meteredSeconds as number);
    assert.deepEqual(metered, [...metered].sort((a, b) => a - b), 'metered time never goes back');
    assert.ok((metered[5] ?? 0) <= 6, 'the five seconds on hold are not metered');
    watcher.ws.send(JSON.stringify({ type: 'end' }));
    await until(() => ofType(watcher, 'ended').length === 1, 'ended');
    assert.equal(ofType(watcher, 'ended')[0].meteredSeconds, 6, '3 s before the hold + 3 s after');
  });

  it('a billed hold keeps ticking and metering (offer with holdBilled, set up through the store)', async () => {
    const { id, user } = await session(HOLD_BILLED_OFFER);
    const watcher = await open(h, `access_token=${user}`);
    await advisor(id, 'connect');
    await live(id, user, 2);
    await advisor(id, 'hold');
    await live(id, user, 3);
    await caughtUp(watcher, id);
    const held = watcher.messages.findIndex((m) => m.type === 'state' && m.change === 'held');
    assert.ok(held > 0);
    const ticksOnHold = watcher.messages.slice(held).filter((m) => m.type === 'tick');
    assert.equal(ticksOnHold.length, 3, 'ticks at 1 Hz on a billed hold');
    assert.ok(ticksOnHold.every((t, i) => i === 0 || t.meteredSeconds > ticksOnHold[i - 1].meteredSeconds), 'and the hold is metered');
    watcher.ws.send(JSON.stringify({ type: 'end' }));
    await until(() => ofType(watcher, 'ended').length === 1, 'ended');
    assert.equal(ofType(watcher, 'ended')[0].meteredSeconds, 5, 'the hold is billed time');
  });

  it('the user, the advisor (merchant key) and a supervisor (operator key) receive the same messages; another carrier\'s operator gets 1008 and nothing', async () => {
    const { id, user } = await session();
    const watchers = await Promise.all([
      open(h, `access_token=${user}`),
      open(h, `access_token=${merchant}&session=${id}`),
      open(h, `access_token=${h.key('car_sfr')}&session=${id}`),
    ]);
    const foreign = await open(h, `access_token=${h.key('car_bouygues')}&session=${id}`);
    assert.equal((await foreign.closed).code, 1008);
    assert.deepEqual(foreign.messages, []);
    await until(() => watchers.every((w) => w.messages.length === 1), 'snapshots');
    await advisor(id, 'connect');
    await live(id, user, 3);
    await advisor(id, 'hold');
    await advisor(id, 'resume');
    await live(id, user, 2);
    const [userWatcher, advisorWatcher, supervisor] = watchers;
    advisorWatcher.ws.send(JSON.stringify({ type: 'end' }));
    const closes = await Promise.all(watchers.map((w) => w.closed));
    assert.deepEqual(closes.map((c) => c.code), [1000, 1000, 1000], 'closed 1000 after ended');
    assert.deepEqual(advisorWatcher.messages, userWatcher.messages, 'advisor = user');
    assert.deepEqual(supervisor.messages, userWatcher.messages, 'supervisor = user');
    assertContiguous(sequenced(userWatcher), 1, 'every watcher');
    const ended = ofType(userWatcher, 'ended')[0];
    assert.equal(ended.reason, 'advisor');
    const charge = await h.call('GET', `/v1/charges/${ended.chargeId as string}`, { token: h.key('car_sfr') });
    assert.equal(charge.status, 200);
    assert.equal(ended.amount, charge.body.amount, 'ended amount = the charge');
    for (const tick of ofType(userWatcher, 'tick')) assert.ok(!Money.of(tick.amount, 'EUR').greaterThan(Money.of(ended.amount, 'EUR')), 'no tick above the final amount');
  });

  it('a watcher connecting while messages are published gets its snapshot first, then every later message in order', async () => {
    const { id, user } = await session();
    await advisor(id, 'connect');
    // A second of session time every turn of the event loop, so that ticks land while snapshots are built.
    const run = { publishing: true };
    const publisher = (async () => {
      while (run.publishing) {
        await h.server.broker.heartbeat(id, 'user');
        await h.server.broker.heartbeat(id, 'advisor');
        await h.clock.advanceBy(1_000);
        await nextTurn();
      }
    })();
    const watchers: Watcher[] = [];
    for (let i = 0; i < 12; i += 1) watchers.push(await open(h, i % 2 === 0 ? `access_token=${user}` : `access_token=${merchant}&session=${id}`));
    await until(() => watchers.every((w) => w.messages.length > 1) && h.server.hub.seqOf(id) > 24, 'every watcher past its snapshot');
    run.publishing = false;
    await publisher;
    for (const watcher of watchers) {
      await caughtUp(watcher, id);
      const [snapshot] = watcher.messages;
      assert.equal(snapshot.type, 'snapshot');
      assertContiguous(watcher.messages.slice(1), (snapshot.seq as number) + 1, 'after the snapshot');
      watcher.ws.close();
    }
  });

  it('Origin: a foreign origin is refused 403 before any 101; the server\'s own origin and an allowlisted one are accepted', async () => {
    const { user } = await session();
    await assert.rejects(open(h, `access_token=${user}`, { origin: 'https://evil.example' }), /HTTP 403/);
    await assert.rejects(open(h, 'access_token=pk_demo_nope', { origin: 'https://evil.example' }), /HTTP 403/, 'the origin is judged before the credential');
    await assert.rejects(open(h, 'access_token=pk_demo_nope', { origin: WIDGET_ORIGIN }), /HTTP 401/, 'an allowed origin still needs a credential');
    for (const origin of [h.server.url, WIDGET_ORIGIN]) {
      const watcher = await open(h, `access_token=${user}`, { origin });
      await until(() => watcher.messages.length === 1, `snapshot for ${origin}`);
      assert.equal(watcher.messages[0].type, 'snapshot');
      watcher.ws.close();
    }
  });

  it('state and ended messages are sent after commit: a GET on receipt already shows that state', async () => {
    const { id, user } = await session();
    const checks: Promise<{ message: any; body: any; stored: Awaited<ReturnType<typeof h.server.storage.store.getSession>> }>[] = [];
    const watcher = await open(h, `access_token=${user}`, {
      onMessage: (message) => {
        if (message.type !== 'state' && message.type !== 'ended') return;
        checks.push(Promise.all([h.call('GET', `/v1/sessions/${id}`, { token: merchant }), h.server.storage.store.getSession(id)])
          .then(([response, stored]) => ({ message, body: response.body, stored })));
      },
    });
    await advisor(id, 'connect');
    await live(id, user, 2);
    await advisor(id, 'hold');
    await advisor(id, 'resume');
    await live(id, user, 1);
    watcher.ws.send(JSON.stringify({ type: 'end' }));
    await watcher.closed;
    const seen = await Promise.all(checks);
    assert.deepEqual(seen.map(({ message }) => (message.change ?? message.type) as string), ['connected', 'held', 'resumed', 'ended']);
    for (const { message, body, stored } of seen.filter((s) => s.message.type === 'state')) {
      assert.equal(body.status, message.status, `GET shows ${message.change as string}`);
      assert.equal(stored?.status, message.status, `the database has ${message.change as string}`);
    }
    const ended = seen.find((s) => s.message.type === 'ended');
    assert.ok(ended !== undefined);
    assert.equal(ended.body.status, 'rated');
    assert.equal(ended.body.chargeId, ended.message.chargeId);
    assert.equal(ended.body.amount, ended.message.amount);
    assert.equal(ended.stored?.chargeId, ended.message.chargeId);
  });

  it('backpressure: a watcher that stops reading has ticks skipped, never state changes, and is dropped past the send-buffer bound', async () => {
    const { id, user } = await session();
    const steady = await open(h, `access_token=${merchant}&session=${id}`);
    const slow = await open(h, `access_token=${user}`);
    await advisor(id, 'connect');
    await caughtUp(slow, id);
    slow.ws.pause();
    const { hub } = h.server;
    const skippedBefore = hub.stats.ticksSkipped;
    // A tick a second cannot fill socket buffers quickly: ticks go straight into the hub, thousands at once.
    const view = await h.server.broker.view(id);
    assert.ok(view !== null);
    const ticks = hub.ticksOf(view.session);
    for (let batch = 0; batch < 1_000 && hub.stats.ticksSkipped === skippedBefore; batch += 1) {
      for (let i = 0; i < 100; i += 1) ticks.tick(h.clock.nowMs(), view.meteredSeconds, view.billed.toMinorUnits());
      await nextTurn();
    }
    assert.ok(hub.stats.ticksSkipped > skippedBefore, 'ticks to the slow watcher are skipped');
    await advisor(id, 'hold');
    await live(id, user, 2);
    await advisor(id, 'resume');
    await live(id, user, 2);
    await caughtUp(steady, id);
    slow.ws.resume();
    // Its last messages may be skipped ticks: a pong, sent after everything queued before it, marks the end.
    slow.ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => ofType(slow, 'pong').length === 1, 'everything queued, then the pong', 10_000);
    const all = sequenced(steady);
    const got = sequenced(slow);
    const gotSeqs = new Set(got.map((m) => m.seq as number));
    assert.deepEqual(got.map((m) => m.seq as number), [...gotSeqs].sort((a, b) => a - b), 'what it got is in order');
    assert.deepEqual(got.filter((m) => m.type !== 'tick'), all.filter((m) => m.type !== 'tick'), 'every state change reached it');
    const missed = all.filter((m) => !gotSeqs.has(m.seq));
    assert.ok(missed.length > 0 && missed.every((m) => m.type === 'tick'), 'only ticks were skipped');
    assert.equal(watcherClosedYet(slow), false, 'a watcher that reads again is kept');

    // One that never reads again: state messages (never skipped) pile up until the bound drops it.
    const dead = await open(h, `access_token=${user}`);
    await until(() => dead.messages.length === 1, 'snapshot');
    dead.ws.pause();
    const droppedBefore = hub.stats.watchersDropped;
    const notice = { type: 'notice' as const, session: view.session, atMs: h.clock.nowMs(), notice: 'cap_warning_80' as const };
    for (let batch = 0; batch < 2_000 && hub.stats.watchersDropped === droppedBefore; batch += 1) {
      for (let i = 0; i < 100; i += 1) hub.publish(notice);
      await nextTurn();
    }
    assert.equal(hub.stats.watchersDropped, droppedBefore + 1, 'dropped once its send buffer passed the bound');
    dead.ws.resume();
    assert.equal((await dead.closed).code, 1006, 'terminated, no closing handshake');
    await caughtUp(steady, id);
    assert.ok(ofType(steady, 'notice').length > 0 && !watcherClosedYet(steady), 'the watchers that read are untouched');
    slow.ws.close();
    steady.ws.close();
  });
});

function watcherClosedYet(watcher: Watcher): boolean {
  return watcher.ws.readyState !== WebSocket.OPEN;
}

describeEachDatabase('live protocol: a client that falls silent', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  /** The server pings every 100 ms of real time here, so that a silent client is cut off quickly. */
  const PING_INTERVAL_MS = 100;
  before(async () => {
    h = await startHarness(target().config(), START_MS, 30_000, { livePingIntervalMs: PING_INTERVAL_MS });
    merchant = h.key('mer_depannage_pc');
  });
  after(async () => { await h.server.stop(); });

  async function userSeenAtMs(id: string): Promise<number | undefined> {
    return (await h.server.broker.view(id))?.session.lastUserSeenAtMs;
  }

  it('pongs are proof of presence; once the client answers no ping and sends none it is cut off, and the session ends liveness_lost billed to its last ping, ended = the charge', async () => {
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno') } });
    const consent = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true } });
    const id: string = consent.body.id;
    const advisorSide = await open(h, `access_token=${merchant}&session=${id}`);
    let answering = true;
    const user = await open(h, `access_token=${consent.body.userToken as string}`, { autoPong: false });
    user.ws.on('ping', (data) => { if (answering) user.ws.pong(data); });
    /** The advisor's REST heartbeat; `orEnded` accepts that the broker ended the session since the last check. */
    const advisorHeartbeat = async (orEnded = false): Promise<void> => {
      const response = await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: merchant, idempotencyKey: null });
      if (orEnded && response.status === 409) assert.equal(response.body.code, 'session_closed');
      else assert.equal(response.status, 200);
    };
    assert.equal((await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant })).status, 200);
    const connectedAtMs = h.clock.nowMs();
    // Present through pongs alone: each second, the next pong proves the user is there.
    for (let s = 0; s < 4; s += 1) {
      await advisorHeartbeat();
      await h.clock.advanceBy(1_000);
      const now = h.clock.nowMs();
      for (let i = 0; i < 200 && (await userSeenAtMs(id)) !== now; i += 1) await new Promise((r) => setTimeout(r, 5));
      assert.equal(await userSeenAtMs(id), now, 'a pong is proof of presence');
    }
    // Its last sign of life: a `ping` message one second later; then silence.
    await advisorHeartbeat();
    await h.clock.advanceBy(1_000);
    answering = false;
    user.ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => ofType(user, 'pong').length === 1, 'pong message');
    const lastProofMs = h.clock.nowMs();
    assert.equal(await userSeenAtMs(id), lastProofMs);
    assert.equal((await user.closed).code, 1006, 'cut off (terminated) after a ping it did not answer');
    // The advisor side stays alive over REST; the session must not outlive the user's grace.
    // The `ended` message follows the commit, so a heartbeat may find the session closed before it arrives.
    for (let s = 0; s < 40 && ofType(advisorSide, 'ended').length === 0; s += 1) {
      await advisorHeartbeat(true);
      await h.clock.advanceBy(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => ofType(advisorSide, 'ended').length === 1, 'ended');
    const ended = ofType(advisorSide, 'ended')[0];
    assert.equal(ended.reason, 'liveness_lost');
    assert.equal(ended.meteredSeconds, (lastProofMs - connectedAtMs) / 1000, 'billed up to the last ping, not to when the loss was noticed');
    const stored = await h.call('GET', `/v1/sessions/${id}`, { token: merchant });
    assert.equal(stored.body.endedAt, new Date(lastProofMs).toISOString());
    const charge = await h.call('GET', `/v1/charges/${ended.chargeId as string}`, { token: merchant });
    assert.equal(ended.amount, charge.body.amount, 'ended amount = the charge');
    const ticks = ofType(advisorSide, 'tick');
    assert.ok(ticks.length > 30, 'ticks went on while the session waited for the grace');
    assert.ok(ticks.every((t) => t.meteredSeconds <= ended.meteredSeconds && !Money.of(t.amount, 'EUR').greaterThan(Money.of(ended.amount, 'EUR'))),
      'no tick shows more than the final amount');
    assert.equal((await advisorSide.closed).code, 1000);
  });
});
