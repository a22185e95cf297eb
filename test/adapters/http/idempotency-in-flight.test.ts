/**
 * Idempotency-Key in flight over real HTTP (issue 4 §2), on SQLite and PostgreSQL: while a request
 * with a key is still running, another request with the same key is refused with 409
 * `idempotency_in_progress` (it neither runs nor waits); once the first completes, the same key
 * replays its response.
 *
 * To hold the first request in flight, the test holds what its write needs, without any hook in
 * the server:
 * - PostgreSQL: a row lock on the session (SELECT … FOR UPDATE in the test's own transaction).
 *   The request claims its key, runs, and waits at its UPDATE of the session; the second request
 *   is answered while the first still waits.
 * - SQLite: the server's one connection, which every query shares (kysely queues them in arrival
 *   order). Both requests wait for it; when it is released the first claims the key and the second,
 *   next in line, finds that claim in progress before the first can complete it.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { describeEachDatabase } from '../../support/databases.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';

/** Tuesday 2026-10-06, 10:00 in Paris. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');

describeEachDatabase('idempotency over HTTP: a key in flight', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  before(async () => {
    h = await startHarness(target().config(), START_MS);
    merchant = h.key('mer_depannage_pc');
  });
  after(async () => { await h.server.stop(); });

  /** A connected palier session for Bruno; its id. */
  async function activeSession(): Promise<string> {
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno') } });
    assert.equal(quote.status, 201, quote.text);
    const consent = await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true },
    });
    assert.equal(consent.status, 201, consent.text);
    const id = consent.body.id as string;
    assert.equal((await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant })).status, 200);
    return id;
  }

  /** Resolves once the server has received `count` more requests and run each as far as it goes without waiting on I/O. */
  function received(count: number): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const onRequest = (): void => {
        seen += 1;
        if (seen < count) return;
        h.server.http.off('request', onRequest);
        // The request's own handler runs first (it was registered first); the next macrotask comes after its microtasks.
        void nextMacrotask().then(() => { resolve(); });
      };
      h.server.http.on('request', onRequest);
    });
  }

  /** PostgreSQL: locks the session's row in the test's own transaction until released. */
  async function lockSessionRow(sessionId: string): Promise<() => Promise<void>> {
    const config = target().config();
    assert.ok(config.dialect === 'postgres');
    const client = new pg.Client({ connectionString: config.url, ...(config.searchPath === undefined ? {} : { options: `-c search_path=${config.searchPath}` }) });
    await client.connect();
    await client.query('begin');
    const locked = await client.query('select id from sessions where id = $1 for update', [sessionId]);
    assert.equal(locked.rowCount, 1);
    return async () => { await client.query('commit'); await client.end(); };
  }

  /** SQLite: holds the server's one connection until released. */
  async function holdConnection(): Promise<() => Promise<void>> {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let held: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => { held = resolve; });
    const done = h.server.storage.database.db.connection().execute(async () => { held(); await gate; });
    await holding;
    return async () => { release(); await done; };
  }

  it('a second request with the key of one still running → 409 idempotency_in_progress; the first completes; the key then replays its response', async () => {
    const sessionId = await activeSession();
    const key = 'hold-in-flight';
    const hold = (): Promise<CallResult> => h.call('POST', `/v1/sessions/${sessionId}/hold`, { token: merchant, idempotencyKey: key });
    const { db } = h.server.storage.database;
    const claim = () => db.selectFrom('idempotency_records').select('status').where('key', '=', key).executeTakeFirst();

    let first: Promise<CallResult>;
    let second: CallResult;
    if (target().name === 'postgres') {
      const release = await lockSessionRow(sessionId);
      first = hold();
      // The first request has claimed its key and waits for the row.
      for (let i = 0; (await claim())?.status !== 'in_progress'; i += 1) {
        assert.ok(i < 500, 'the first request claims its key');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      let firstDone = false;
      void first.then(() => { firstDone = true; });
      second = await hold();
      assert.equal(firstDone, false, 'the second answer came while the first was still in flight');
      await release();
    } else {
      const release = await holdConnection();
      const arrivedFirst = received(1);
      first = hold();
      await arrivedFirst;
      const arrivedSecond = received(1);
      const pending = hold();
      await arrivedSecond;
      await release();
      second = await pending;
    }
    assert.equal(second.status, 409, second.text);
    assert.equal(second.body.code, 'idempotency_in_progress');
    const completed = await first;
    assert.equal(completed.status, 200, completed.text);
    assert.equal(completed.body.status, 'on_hold', 'the first request ran, once');
    assert.equal((await claim())?.status, 'completed');
    const replay = await hold();
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, completed.body);
    const held = (await h.server.storage.store.sessionEvents(sessionId)).filter((e) => e.type === 'held');
    assert.equal(held.length, 1, 'held once, whatever the retries');
  });
});
