/**
 * Cursor pagination over real HTTP (issue 4 §2), on SQLite and PostgreSQL: `GET /v1/sessions` and
 * `GET /v1/charges` walked page by page with `nextCursor` return every item once, newest first,
 * in the same order as one big page, and a session created during the walk neither repeats nor
 * shifts the pages still to come.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';

/** Tuesday 2026-10-06, 10:00 in Paris. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');
/** Sessions of the setup: the first CHARGED are metered and ended (a charge each), the rest stay queued. */
const SESSIONS = 7;
const CHARGED = 5;

describeEachDatabase('pagination over HTTP: sessions and charges, page by page', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  /** Ids in the order they were created (oldest first). */
  const sessionIds: string[] = [];
  const chargeIds: string[] = [];

  /** Quote and consent for Chloé on the expert ticket: a queued session; its id and user token. */
  async function openSession(): Promise<{ id: string; user: string }> {
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_expert_ticket', subscriberId: h.subscriber('Chloé') } });
    assert.equal(quote.status, 201, quote.text);
    const consent = await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '10.00', accepted: true },
    });
    assert.equal(consent.status, 201, consent.text);
    return { id: consent.body.id, user: consent.body.userToken };
  }

  before(async () => {
    h = await startHarness(target().config(), START_MS);
    merchant = h.key('mer_ticket_expert');
    for (let i = 0; i < SESSIONS; i += 1) {
      const session = await openSession();
      sessionIds.push(session.id);
      if (i >= CHARGED) continue;
      assert.equal((await h.call('POST', `/v1/sessions/${session.id}/connect`, { token: merchant })).status, 200);
      await h.clock.advanceBy(10_000);
      const ended = await h.call('POST', `/v1/sessions/${session.id}/end`, { token: session.user });
      assert.equal(ended.status, 200, ended.text);
      assert.equal(typeof ended.body.chargeId, 'string', 'a started ticket is charged');
      chargeIds.push(ended.body.chargeId as string);
    }
  });
  after(async () => { await h.server.stop(); });

  /**
   * Follows `nextCursor` from the first page of `path` (with `filter`, a query string) in pages of
   * `limit`, calling `between` after each page; the ids of every page.
   */
  async function walk(path: string, token: string, limit: number, options: { filter?: string; between?: (page: number) => Promise<void> } = {}): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `${options.filter ?? ''}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await h.call('GET', `${path}?${query}`, { token });
      assert.equal(page.status, 200, page.text);
      const ids = (page.body.items as { id: string }[]).map((item) => item.id);
      assert.ok(ids.length <= limit, 'a page holds at most `limit` items');
      assert.ok(ids.length > 0, 'a cursor never leads to an empty page');
      pages.push(ids);
      cursor = page.body.nextCursor as string | null;
      if (cursor !== null) assert.equal(ids.length, limit, 'only the last page is short');
      await options.between?.(pages.length);
      assert.ok(pages.length <= 100, 'the walk ends');
    } while (cursor !== null);
    return pages;
  }

  const newestFirst = (ids: readonly string[]): string[] => [...ids].reverse();

  it(`sessions, 2 a page: ${SESSIONS} sessions in pages of 2, 2, 2, 1, each once, newest first, as in one page of 200`, async () => {
    const pages = await walk('/v1/sessions', merchant, 2);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 2, 1]);
    assert.deepEqual(pages.flat(), newestFirst(sessionIds));
    const whole = await h.call('GET', '/v1/sessions?limit=200', { token: merchant });
    assert.deepEqual((whole.body.items as { id: string }[]).map((s) => s.id), pages.flat(), 'the same order whatever the page size');
    assert.equal(whole.body.nextCursor, null);
  });

  it('charges, 2 a page, for the merchant and for the operator who bills them: every charge once, newest first', async () => {
    for (const token of [merchant, h.key('car_bouygues')]) {
      const pages = await walk('/v1/charges', token, 2);
      assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
      assert.deepEqual(pages.flat(), newestFirst(chargeIds));
    }
    assert.deepEqual((await walk('/v1/charges', merchant, 1)).flat(), newestFirst(chargeIds), 'one a page');
    assert.deepEqual((await walk('/v1/charges', merchant, CHARGED)).flat(), newestFirst(chargeIds), 'exactly one full page: no empty page after it');
  });

  it('a filter pages too: the queued sessions only, 1 a page', async () => {
    const pages = await walk('/v1/sessions', merchant, 1, { filter: 'status=queued&' });
    assert.deepEqual(pages.flat(), newestFirst(sessionIds.slice(CHARGED)));
  });

  it('a session created during the walk is not in the pages still to come, and nothing repeats or goes missing', async () => {
    const before = newestFirst(sessionIds);
    const created: string[] = [];
    const pages = await walk('/v1/sessions', merchant, 3, {
      between: async (page) => { if (page === 1) created.push((await openSession()).id); },
    });
    assert.deepEqual(pages.flat(), before, 'the walk is the listing as of its first page: the newer session comes before it');
    assert.equal(created.length, 1);
    const fresh = await h.call('GET', '/v1/sessions?limit=1', { token: merchant });
    assert.deepEqual((fresh.body.items as { id: string }[]).map((s) => s.id), created, 'a new walk starts with it');
  });
});
