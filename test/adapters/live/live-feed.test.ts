import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { openWatcher, until } from '../../support/live-watcher.ts';

/** Opens a watcher with extra request headers. */
const open = (h: HttpHarness, query: string, headers: Record<string, string> = {}) => openWatcher(h, query, { headers });

const START_MS = Date.parse('2026-10-06T08:00:00Z');

describeEachDatabase('live: the WebSocket feed with a real ws client', ({ target }) => {
  let h: HttpHarness;
  let merchant: string;
  before(async () => {
    h = await startHarness(target().config(), START_MS);
    merchant = h.key('mer_depannage_pc');
  });
  after(async () => { await h.server.stop(); });

  async function session(): Promise<{ id: string; user: string }> {
    const quote = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno') } });
    const consent = await h.call('POST', '/v1/sessions', { token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true } });
    return { id: consent.body.id, user: consent.body.userToken };
  }

  it('a missing or bad credential is refused with 401 before any 101', async () => {
    await assert.rejects(open(h, ''), /HTTP 401/);
    await assert.rejects(open(h, 'access_token=pk_demo_nope'), /HTTP 401/);
  });

  it('a foreign session closes with 1008 and no message', async () => {
    const { id } = await session();
    const other = await open(h, `access_token=${h.key('mer_ticket_expert')}&session=${id}`);
    const closed = await other.closed;
    assert.equal(closed.code, 1008);
    assert.deepEqual(other.messages, []);
  });

  it('snapshot, no ticks while waiting, 1 Hz ticks while active, ended amount = the charge', async () => {
    const { id, user } = await session();
    const watcher = await open(h, `access_token=${user}`);
    await until(() => watcher.messages.length > 0, 'snapshot');
    assert.equal(watcher.messages[0].type, 'snapshot');
    assert.equal(watcher.messages[0].status, 'queued');
    await h.clock.advanceBy(3_000);
    assert.equal(watcher.messages.filter((m) => m.type === 'tick').length, 0, 'waiting is free: no ticks');
    await h.call('POST', `/v1/sessions/${id}/connect`, { token: merchant });
    for (let s = 0; s < 5; s += 1) {
      await h.call('POST', `/v1/sessions/${id}/heartbeat`, { token: merchant, idempotencyKey: null });
      watcher.ws.send(JSON.stringify({ type: 'ping' }));
      await until(() => watcher.messages.some((m) => m.type === 'pong' && m.n === undefined), 'pong');
      await h.clock.advanceBy(1_000);
    }
    await until(() => watcher.messages.filter((m) => m.type === 'tick').length >= 5, 'ticks');
    const ticks = watcher.messages.filter((m) => m.type === 'tick');
    const seqs: number[] = watcher.messages.filter((m) => typeof m.seq === 'number' && m.type !== 'snapshot').map((m) => m.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => (seqs[0] ?? 0) + i), 'seq grows by one');
    watcher.ws.send(JSON.stringify({ type: 'end' }));
    await until(() => watcher.messages.some((m) => m.type === 'ended'), 'ended');
    const ended = watcher.messages.find((m) => m.type === 'ended');
    const charge = await h.call('GET', `/v1/charges/${ended.chargeId as string}`, { token: user });
    assert.equal(ended.amount, charge.body.amount);
    assert.ok(ticks.every((t) => Number.parseFloat(t.amount) <= Number.parseFloat(ended.amount)), 'no tick above the final amount');
    assert.equal((await watcher.closed).code, 1000);
  });

  it('a frame over the size limit closes with 1009', async () => {
    const { user } = await session();
    const watcher = await open(h, `access_token=${user}`);
    watcher.ws.send('x'.repeat(8 * 1024));
    assert.equal((await watcher.closed).code, 1009);
  });
});
