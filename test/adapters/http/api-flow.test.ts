import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z'); // Tuesday 10:00 in Paris

describeEachDatabase('api: the full flow over real HTTP', ({ target }) => {
  let h: HttpHarness;
  before(async () => { h = await startHarness(target().config(), START_MS); });
  after(async () => { await h.server.stop(); });

  it('quote → consent → connect → metered → end: the charge equals the session amount; replays return the first response', async () => {
    const merchant = h.key('mer_depannage_pc');
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno'), locale: 'fr-FR' } });
    assert.equal(quote.status, 201, quote.text);
    assert.equal(quote.body.capAllowed, '30.00');
    assert.match(quote.body.announcement.text, /0,53/);
    const consentBody = { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true };
    const consent = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: consentBody, idempotencyKey: 'consent-1' });
    assert.equal(consent.status, 201, consent.text);
    assert.equal(consent.body.status, 'queued');
    const replay = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: consentBody, idempotencyKey: 'consent-1' });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.id, consent.body.id);
    const other = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { ...consentBody, cap: '4.00' }, idempotencyKey: 'consent-1' });
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'idempotency_key_reused');

    const id = consent.body.id as string;
    const user = consent.body.userToken as string;
    assert.equal((await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant })).status, 200);
    for (let i = 0; i < 40; i += 1) {
      await h.clock.advanceBy(5_000);
      assert.equal((await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: user, idempotencyKey: null })).status, 200);
      assert.equal((await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: merchant, idempotencyKey: null })).status, 200);
    }
    const live = await h.call('GET', `/v1/sessions/${id}`, { token: user });
    assert.equal(live.body.meteredSeconds, 200);
    const ended = await h.call('POST', `/v1/sessions/${id}/end`, { token: user });
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.body.status, 'rated');
    assert.equal(ended.body.amount, live.body.amount, 'the last price shown is the price billed');
    const charge = await h.call('GET', `/v1/charges/${ended.body.chargeId as string}`, { token: user });
    assert.equal(charge.status, 200);
    assert.equal(charge.body.amount, ended.body.amount);
    assert.equal(charge.body.split.interCarrier, true);

    const rating = await h.call('POST', `/v1/sessions/${id}/rating`, { token: user, body: { stars: 5, comment: 'Parfait' } });
    assert.equal(rating.status, 201, rating.text);
    const refund = await h.call('POST', `/v1/charges/${ended.body.chargeId as string}/refunds`, { token: merchant, body: { amount: '0.50', reason: 'goodwill' } });
    assert.equal(refund.status, 201, refund.text);
    assert.equal(refund.body.amount, '0.50');
  });

  it('a replayed end (new Idempotency-Key) → 200 with the same session and charge; nothing new written; other transitions → 409 session_closed', async () => {
    const merchant = h.key('mer_conseil_juridique');
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_legal_advice', subscriberId: h.subscriber('Chloé') } });
    assert.equal(quote.status, 201, quote.text);
    const consent = await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true },
    });
    assert.equal(consent.status, 201, consent.text);
    const id = consent.body.id as string;
    const user = consent.body.userToken as string;
    assert.equal((await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant })).status, 200);
    for (let i = 0; i < 3; i += 1) {
      await h.clock.advanceBy(10_000);
      for (const token of [user, merchant]) assert.equal((await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token, idempotencyKey: null })).status, 200);
    }
    const ended = await h.call('POST', `/v1/sessions/${id}/end`, { token: user });
    assert.equal(ended.status, 200, ended.text);
    assert.equal(ended.body.status, 'rated');
    assert.equal(ended.body.endReason, 'user');
    // 30 s of SVA at 0.80 €/min: 0.40.
    assert.equal(ended.body.amount, '0.40');
    const chargeId = ended.body.chargeId as string;
    const { db } = h.server.storage.database;
    const journalsBefore = await h.server.storage.store.journalsFor('charge', chargeId);
    const eventsBefore = await h.server.storage.store.sessionEvents(id);
    await h.clock.advanceBy(5_000);
    for (const token of [user, merchant, h.key('car_bouygues')]) {
      const again = await h.call('POST', `/v1/sessions/${id}/end`, { token });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), null, 'a new key: not an idempotent replay');
      assert.deepEqual(again.body, ended.body, 'the same session: status, end reason, amount, charge');
    }
    const charges = await db.selectFrom('charges').select('id').where('session_id', '=', id).execute();
    assert.deepEqual(charges.map((c) => c.id), [chargeId], 'one charge');
    assert.deepEqual(await h.server.storage.store.journalsFor('charge', chargeId), journalsBefore, 'no second journal');
    assert.deepEqual(await h.server.storage.store.sessionEvents(id), eventsBefore, 'no new session event');
    for (const action of ['hold', 'resume', 'connect'] as const) {
      const refused = await h.call('POST', `/v1/sessions/${id}/${action}`, { token: merchant });
      assert.equal(refused.status, 409, `${action}: ${refused.text}`);
      assert.equal(refused.body.code, 'session_closed');
    }
    const media = await h.call('POST', `/v1/sessions/${id}/media`, { token: user, body: { medium: 'voice' } });
    assert.equal(media.status, 409, media.text);
    assert.equal(media.body.code, 'session_closed');
  });

  it('a foreign credential gets 404 and a wrong role 403', async () => {
    const quote = await h.call('POST', '/v1/quotes', { token: h.key('mer_depannage_pc'), body: { offerId: 'off_legal_advice', subscriberId: h.subscriber('Alice') } });
    assert.equal(quote.status, 404);
    assert.equal(quote.body.code, 'offer_not_found');
    const asOperator = await h.call('POST', '/v1/sessions/ses_x/connect', { token: h.key('car_orange') });
    assert.equal(asOperator.status, 403);
    assert.equal((await h.call('GET', '/v1/sessions', {})).status, 401);
  });

  it('operations: /livez, /readyz and /metrics with the session counters', async () => {
    assert.equal((await h.call('GET', '/livez')).status, 200);
    assert.equal((await h.call('GET', '/readyz')).body.status, 'ready');
    const metrics = await h.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    for (const name of ['palier_sessions_active', 'palier_sessions_started_total', 'palier_sessions_ended_total', 'palier_charged_minor_units_total', 'palier_http_request_duration_seconds',
      'palier_timer_lateness_seconds', 'palier_sqlite_wal_hold_seconds']) {
      assert.match(metrics.text, new RegExp(name), name);
    }
    assert.match(metrics.text, /palier_sessions_ended_total\{reason="user"\} [1-9]/);
  });

  it('rate limits: a burst of unauthenticated requests gets 429 with Retry-After', async () => {
    let limited: Awaited<ReturnType<HttpHarness['call']>> | null = null;
    for (let i = 0; i < 200 && limited === null; i += 1) {
      const result = await h.call('GET', '/v1/sessions', { token: 'pk_demo_not_a_real_key_at_all_123456' });
      if (result.status === 429) limited = result;
      else assert.equal(result.status, 401);
    }
    assert.ok(limited !== null, 'a 429 came');
    assert.equal(limited.body.code, 'rate_limited');
    assert.match(limited.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
  });

  it('the OpenAPI document is served and lists every route', async () => {
    const doc = await h.call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/v1/sessions/{id}/connect'].post);
  });
});
