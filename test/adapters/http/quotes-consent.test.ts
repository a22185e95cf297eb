/**
 * Quotes and consent over real HTTP (issue 4 §1), on SQLite and PostgreSQL: who may be offered
 * the assistance button (GET /v1/offers/{id}/eligibility) and quoted (POST /v1/quotes), and a
 * quote's two limits: it stands five minutes (`quote_expired`) and buys one session
 * (`quote_used`), also when two consents to it arrive at the same moment.
 *
 * The parties the demo data does not have (a retired offer, a carrier without agreements, small
 * and foreign-currency budgets) are inserted through the store in the setup: the API cannot
 * create them.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Money } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';

/** Tuesday 2026-10-06, 10:00 in Paris. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');
const QUOTE_TTL_MS = 5 * 60_000;
/** Consents sent at once to one quote. */
const CONCURRENT_CONSENTS = 8;

describeEachDatabase('quotes and consent over HTTP: eligibility, expiry, one session per quote', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  before(async () => {
    h = await startHarness(target().config(), START_MS);
    merchant = h.key('mer_depannage_pc');
    const { store } = h.server.storage;
    const offers = await store.listOffers({ merchantId: 'mer_depannage_pc' });
    const palierHash = offers.find((o) => o.id === 'off_windows_help')?.tariffHash;
    assert.ok(palierHash !== undefined);
    await store.insertOffer({
      id: 'off_windows_retired', merchantId: 'mer_depannage_pc', name: 'Assistance Windows XP', tariffHash: palierHash,
      mediaAllowed: ['voice'], defaultCap: Money.of('30.00', 'EUR'), holdBilled: false, profile: 'minitel-kiosque', status: 'retired',
    }, START_MS);
    // A carrier with no agreement with anyone: its subscribers cannot pay any merchant.
    await store.insertCarrier({ id: 'car_nowhere', name: 'Nowhere Mobile', country: 'FR', currency: 'EUR', timeZone: 'Europe/Paris', mccMncCodes: [] }, START_MS);
    const subscriber = (id: string, billingCarrierId: string, monthlyCap: Money) => store.insertSubscriber({
      id, msisdnHmac: `hmac_${id}`, billingCarrierId, monthlyCap, status: 'active',
    }, START_MS);
    await subscriber('sub_no_agreement', 'car_nowhere', Money.of('300.00', 'EUR'));
    // 0.50 a month: the palier's first started minute costs 0.53.
    await subscriber('sub_small_budget', 'car_orange', Money.of('0.50', 'EUR'));
    await subscriber('sub_pounds', 'car_orange', Money.of('240.00', 'GBP'));
  });
  after(async () => { await h.server.stop(); });

  const eligibility = (offerId: string, subscriberId: string): Promise<CallResult> =>
    h.call('GET', `/v1/offers/${offerId}/eligibility?subscriberId=${encodeURIComponent(subscriberId)}`, { token: merchant });
  const quote = (offerId: string, subscriberId: string): Promise<CallResult> =>
    h.call('POST', '/v1/quotes', { token: merchant, body: { offerId, subscriberId, locale: 'en' } });
  const countRows = async (table: 'quotes' | 'sessions' | 'consents'): Promise<number> =>
    (await h.server.storage.database.db.selectFrom(table).select('id').execute()).length;

  /** A fresh quote for Alice on the palier offer: its id, announcement hash and token. */
  async function freshQuote(): Promise<{ id: string; hash: string; token: string; expiresAt: string }> {
    const made = await quote('off_windows_help', h.subscriber('Alice'));
    assert.equal(made.status, 201, made.text);
    return { id: made.body.id, hash: made.body.announcement.hash, token: made.body.quoteToken, expiresAt: made.body.expiresAt };
  }

  const consent = (q: { id: string; hash: string; token: string }, cap = '5.00'): Promise<CallResult> =>
    h.call('POST', '/v1/sessions', { token: q.token, body: { quoteId: q.id, announcementHash: q.hash, cap, accepted: true } });

  it('an eligible subscriber: eligible with the largest cap allowed, and quoted', async () => {
    const answer = await eligibility('off_windows_help', h.subscriber('Alice'));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { eligible: true, reason: null, capAllowed: '30.00', currency: 'EUR' });
    assert.equal((await quote('off_windows_help', h.subscriber('Alice'))).status, 201);
  });

  for (const refusal of [
    { code: 'offer_retired', offerId: 'off_windows_retired', subscriber: () => h.subscriber('Alice'), why: 'the offer is retired' },
    { code: 'subscriber_barred', offerId: 'off_windows_help', subscriber: () => h.subscriber('Émile'), why: 'the subscriber is barred' },
    { code: 'currency_mismatch', offerId: 'off_windows_help', subscriber: () => 'sub_pounds', why: 'the budget is in pounds, the tariff in euros' },
    { code: 'no_agreement', offerId: 'off_windows_help', subscriber: () => 'sub_no_agreement', why: 'the billing carrier has no agreement with the hosting carrier' },
    { code: 'budget_too_low', offerId: 'off_windows_help', subscriber: () => 'sub_small_budget', why: 'the 0.50 budget left does not buy the first step (0.53)' },
  ] as const) {
    it(`${refusal.code} when ${refusal.why}: eligibility → 200 not eligible with the reason; quote → 422 ${refusal.code}, no quote stored`, async () => {
      const answer = await eligibility(refusal.offerId, refusal.subscriber());
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.body, { eligible: false, reason: refusal.code, capAllowed: null, currency: null });
      const quotesBefore = await countRows('quotes');
      const refused = await quote(refusal.offerId, refusal.subscriber());
      assert.equal(refused.status, 422, refused.text);
      assert.equal(refused.body.code, refusal.code);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(await countRows('quotes'), quotesBefore, 'a refused quote is not stored');
    });
  }

  it('precedence: a retired offer for a barred subscriber is refused as offer_retired (the offer is checked first)', async () => {
    const answer = await eligibility('off_windows_retired', h.subscriber('Émile'));
    assert.equal(answer.body.reason, 'offer_retired');
    assert.equal((await quote('off_windows_retired', h.subscriber('Émile'))).body.code, 'offer_retired');
  });

  it('quote_expired: a consent 1 ms before the five minutes → 201; at five minutes → 409 quote_expired, no session', async () => {
    const early = await freshQuote();
    const late = await freshQuote();
    assert.equal(Date.parse(late.expiresAt), h.clock.nowMs() + QUOTE_TTL_MS);
    await h.clock.advanceBy(QUOTE_TTL_MS - 1);
    assert.equal((await consent(early)).status, 201);
    await h.clock.advanceBy(1);
    const sessionsBefore = await countRows('sessions');
    const expired = await consent(late);
    assert.equal(expired.status, 409, expired.text);
    assert.equal(expired.body.code, 'quote_expired');
    assert.equal(await countRows('sessions'), sessionsBefore, 'no session for an expired quote');
  });

  it('quote_used: a second consent to a consented quote (new Idempotency-Key) → 409 quote_used; the first session stands alone', async () => {
    const q = await freshQuote();
    const first = await consent(q);
    assert.equal(first.status, 201, first.text);
    for (const cap of ['5.00', '4.00']) {
      const second = await consent(q, cap);
      assert.equal(second.status, 409, second.text);
      assert.equal(second.body.code, 'quote_used');
    }
    const { db } = h.server.storage.database;
    const sessions = await db.selectFrom('sessions').select(['id', 'cap_minor']).where('quote_id', '=', q.id).execute();
    assert.deepEqual(sessions.map((s) => [s.id, BigInt(s.cap_minor)]), [[first.body.id, 500n]]);
  });

  it(`quote_used at the same moment: ${CONCURRENT_CONSENTS} consents to one quote at once → one 201, the others 409 quote_used, never a 500; one session, one consent`, async () => {
    const q = await freshQuote();
    const [sessionsBefore, consentsBefore] = [await countRows('sessions'), await countRows('consents')];
    const answers = await Promise.all(Array.from({ length: CONCURRENT_CONSENTS }, () => consent(q)));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, ...Array<number>(CONCURRENT_CONSENTS - 1).fill(409)], answers.map((a) => a.text).join('\n'));
    for (const refused of answers.filter((a) => a.status === 409)) assert.equal(refused.body.code, 'quote_used');
    assert.equal(await countRows('sessions'), sessionsBefore + 1);
    assert.equal(await countRows('consents'), consentsBefore + 1);
    const created = answers.find((a) => a.status === 201);
    assert.equal((await h.call('GET', `/v1/sessions/${created?.body.id as string}`, { token: created?.body.userToken as string })).body.status, 'queued');
  });
});
