/**
 * The subscriber's bill and the merchant's payout (issue 6 §4), on both databases: a few sessions
 * run through the API (so the monthly cap counts them), a refund, a late refund of a closed
 * period's charge, ratings; every figure below is computed by hand from the tariffs and the
 * demo agreements.
 *
 * Alice (Orange), Tuesday 6 October 2026, Paris time:
 *   10:00 Dépannage PC (hosted by Orange), 120 s: 2 × 0.53 = 1.06 €, VAT 0.18 (1.06 / 6, half-up), net 0.88
 *   11:00 Dépannage PC, 300 s: 3 × 0.53 + 2 × 0.34 = 2.27 €, VAT 0.38, net 1.89
 *   12:00 Allô Conseil Juridique (hosted by SFR), 90 s at 0.80 €/min by the second: 1.20 €, VAT 0.20, net 1.00
 *   13:00 refund of 0.50 € on the 2.27 € charge: VAT 0.08, hosting 0.13, merchant 0.29 (by what is left of each part)
 *   13:30 refund in full of a 0.53 € charge of 30 September (a closed period): VAT 0.09, merchant 0.31
 * Bruno (SFR), 7 October: one hour of Allô Conseil Juridique on-net: 48.00 €, VAT 8.00, merchant 65 % of 40.00 = 26.00.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runCli } from '../../../src/cli/program.ts';
import type { CliContext } from '../../../src/cli/context.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { closeDemoPeriod, writeDemoCharge, writeDemoRefund } from '../../support/demo-charges.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { databaseEnv } from '../../support/palier-process.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z');
/** Sessions left idle between steps must not end by silence. */
const LIVENESS_GRACE_MS = 3_600_000;
const NBSP = '\u00a0';

const FR_LINES = [
  {
    type: 'charge', date: '2026-10-06', time: '10:00', merchant: 'Dépannage PC (démo)', offer: 'Assistance Windows', billedSeconds: 120, duration: '02:00', amount: '1.06',
    display: { date: '06/10/2026 10:00', service: 'Assistance Windows', amount: `1,06${NBSP}€` },
  },
  {
    type: 'charge', date: '2026-10-06', time: '11:00', merchant: 'Dépannage PC (démo)', offer: 'Assistance Windows', billedSeconds: 300, duration: '05:00', amount: '2.27',
    display: { date: '06/10/2026 11:00', service: 'Assistance Windows', amount: `2,27${NBSP}€` },
  },
  {
    type: 'charge', date: '2026-10-06', time: '12:00', merchant: 'Allô Conseil Juridique (démo)', offer: 'Conseil juridique par téléphone', billedSeconds: 90,
    duration: '01:30', amount: '1.20', display: { date: '06/10/2026 12:00', service: 'Conseil juridique par téléphone', amount: `1,20${NBSP}€` },
  },
  {
    type: 'refund', date: '2026-10-06', time: '13:00', merchant: 'Dépannage PC (démo)', offer: 'Assistance Windows', billedSeconds: null, duration: null, amount: '-0.50',
    display: { date: '06/10/2026 13:00', service: 'Remboursement — Assistance Windows', amount: `-0,50${NBSP}€` },
  },
  {
    type: 'refund', date: '2026-10-06', time: '13:30', merchant: 'Dépannage PC (démo)', offer: 'Assistance Windows', billedSeconds: null, duration: null, amount: '-0.53',
    display: { date: '06/10/2026 13:30', service: 'Remboursement — Assistance Windows', amount: `-0,53${NBSP}€` },
  },
];

/** Dépannage PC's October: two sessions (420 s), merchant share 0.62 + 1.32, refunds deducted 0.29 + 0.31, rated 5 and 4. */
const DEPANNAGE_OFFERS = [{
  offerId: 'off_windows_help', offerName: 'Assistance Windows', sessions: 2, billedSeconds: '420', billedMinutes: '7.00', gross: '3.33', merchantShare: '1.94',
  refunds: 2, refunded: '1.03', refundsDeducted: '0.60', ratings: { count: 2, average: '4.50' }, owed: '1.34',
}];

/** Allô Conseil Juridique's October: Alice's 1.20 € (inter-carrier: 15 % fee, 2 % bad debt, 65 % of 1.00 = 0.65) and Bruno's hour (26.00). */
const LEGAL_OFFERS = [{
  offerId: 'off_legal_advice', offerName: 'Conseil juridique par téléphone', sessions: 2, billedSeconds: '3690', billedMinutes: '61.50', gross: '49.20',
  merchantShare: '26.65', refunds: 0, refunded: '0.00', refundsDeducted: '0.00', ratings: { count: 0, average: null }, owed: '26.65',
}];

describeEachDatabase('bills and payouts', ({ target }) => {
  let h: HttpHarness;
  let alice: string;

  const get = (as: string, path: string): Promise<CallResult> => h.call('GET', path, { token: h.key(as) });

  function expectOk(result: CallResult, what: string): CallResult {
    assert.ok(result.status < 300, `${what}: ${result.status} ${result.text}`);
    return result;
  }

  /** A session through the API: quoted, consented, connected at the clock's time, metered `seconds`, ended; returns its charge id and user token. */
  async function session(merchant: string, offer: string, seconds: number): Promise<{ chargeId: string; userToken: string }> {
    const quote = expectOk(await h.call('POST', '/v1/quotes', { token: h.key(merchant), body: { offerId: offer, subscriberId: alice } }), 'quote');
    const consent = expectOk(await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '10.00', accepted: true },
    }), 'consent');
    expectOk(await h.call('POST', `/v1/sessions/${consent.body.id as string}/connect`, { token: h.key(merchant) }), 'connect');
    await h.clock.advanceBy(seconds * 1000);
    const ended = expectOk(await h.call('POST', `/v1/sessions/${consent.body.id as string}/end`, { token: h.key(merchant) }), 'end');
    return { chargeId: ended.body.chargeId, userToken: consent.body.userToken };
  }

  before(async () => {
    h = await startHarness(target().config(), START_MS, LIVENESS_GRACE_MS);
    const store = h.server.storage.store;
    alice = h.subscriber('Alice');
    const september = await writeDemoCharge(store, { tag: 'sep_alice', subscriberId: alice, offerId: 'off_windows_help', startMs: Date.parse('2026-09-30T08:00:00Z'), seconds: 60 });
    assert.equal(september.amount.toString(), '0.53');
    await closeDemoPeriod(store, '2026-09', START_MS);
    const first = await session('mer_depannage_pc', 'off_windows_help', 120);
    await h.clock.advanceTo(Date.parse('2026-10-06T09:00:00Z'));
    const second = await session('mer_depannage_pc', 'off_windows_help', 300);
    await h.clock.advanceTo(Date.parse('2026-10-06T10:00:00Z'));
    await session('mer_conseil_juridique', 'off_legal_advice', 90);
    for (const [done, stars] of [[first, 5], [second, 4]] as const) {
      const charge = expectOk(await h.call('GET', `/v1/charges/${done.chargeId}`, { token: done.userToken }), 'charge');
      expectOk(await h.call('POST', `/v1/sessions/${charge.body.sessionId as string}/rating`, { token: done.userToken, body: { stars } }), 'rating');
    }
    await h.clock.advanceTo(Date.parse('2026-10-06T11:00:00Z'));
    expectOk(await h.call('POST', `/v1/charges/${second.chargeId}/refunds`, { token: h.key('mer_depannage_pc'), body: { amount: '0.50', reason: 'goodwill' } }), 'refund');
    await h.clock.advanceTo(Date.parse('2026-10-06T11:30:00Z'));
    await writeDemoRefund(store, september, 53n, h.clock.nowMs());
    await writeDemoCharge(store, { tag: 'oct_bruno', subscriberId: h.subscriber('Bruno'), offerId: 'off_legal_advice', startMs: Date.parse('2026-10-07T08:00:00Z'), seconds: 3600 });
  });
  after(async () => { await h.server.stop(); });

  it('Alice\'s October bill: the lines as on the phone bill, refunds negative, VAT net of refunds, the cap used, in French', async () => {
    const bill = expectOk(await get('car_orange', `/v1/subscribers/${alice}/bill?period=2026-10`), 'bill').body;
    assert.deepEqual((bill.lines as Record<string, unknown>[]).map(({ id: _id, chargeId: _chargeId, ...line }) => line), FR_LINES);
    assert.equal(bill.lines[4].chargeId, 'chg_sep_alice', 'a refund made in October is on October\'s bill, whatever month its charge was in');
    assert.deepEqual(bill.totals, {
      gross: '4.53', refunds: '-1.03', netPayable: '3.50',
      // Charges 0.76 VAT on 3.77 net, less the refunds' 0.08 + 0.09 VAT and 0.42 + 0.44 net.
      vat: [{ rate: '0.2', rateLabel: `20${NBSP}%`, net: '2.91', vat: '0.59', gross: '3.50' }],
      display: { gross: `4,53${NBSP}€`, refunds: `-1,03${NBSP}€`, netPayable: `3,50${NBSP}€` },
    });
    // The budget counts what the sessions posted (refunds give no budget back); the September charge was never a session of this month.
    assert.deepEqual(bill.cap, {
      monthlyCap: '300.00', posted: '4.53', held: '0.00', left: '295.47',
      display: { monthlyCap: `300,00${NBSP}€`, posted: `4,53${NBSP}€`, held: `0,00${NBSP}€`, left: `295,47${NBSP}€` },
    });
    assert.equal(bill.periodLabel, 'octobre 2026');
    assert.equal(bill.labels.amount, 'Montant TTC');
    assert.equal(bill.timeZone, 'Europe/Paris');
  });

  it('in English with ?lang=en; September holds only its own charge', async () => {
    const en = expectOk(await get('car_orange', `/v1/subscribers/${alice}/bill?period=2026-10&lang=en`), 'bill').body;
    assert.equal(en.labels.amount, 'Amount incl. VAT');
    assert.equal(en.periodLabel, 'October 2026');
    assert.deepEqual(en.lines[3].display, { date: '06 Oct 2026 13:00', service: 'Refund — Assistance Windows', amount: '-€0.50' });
    assert.equal(en.totals.vat[0].rateLabel, '20%');
    const september = expectOk(await get('car_orange', `/v1/subscribers/${alice}/bill?period=2026-09`), 'bill').body;
    assert.deepEqual((september.lines as { id: string; amount: string; time: string }[]).map((line) => [line.id, line.amount, line.time]), [['chg_sep_alice', '0.53', '10:00']]);
    assert.deepEqual(september.totals.vat, [{ rate: '0.2', rateLabel: `20${NBSP}%`, net: '0.44', vat: '0.09', gross: '0.53' }]);
  });

  it('a bill is for the operator of the subscriber\'s billing carrier only: others 404, merchants 403, a bad period 400', async () => {
    const refused = async (as: string, path: string, status: number, code: string): Promise<void> => {
      const result = await get(as, path);
      assert.equal(result.status, status, result.text);
      assert.equal(result.body.code, code);
    };
    await refused('car_sfr', `/v1/subscribers/${alice}/bill?period=2026-10`, 404, 'subscriber_not_found');
    await refused('car_orange', `/v1/subscribers/${h.subscriber('Bruno')}/bill?period=2026-10`, 404, 'subscriber_not_found');
    await refused('car_orange', '/v1/subscribers/sub_nobody/bill?period=2026-10', 404, 'subscriber_not_found');
    await refused('mer_depannage_pc', `/v1/subscribers/${alice}/bill?period=2026-10`, 403, 'forbidden');
    await refused('car_orange', `/v1/subscribers/${alice}/bill?period=2026-13`, 400, 'validation_failed');
    await refused('car_orange', `/v1/subscribers/${alice}/bill`, 400, 'validation_failed');
  });

  it('palier bill prints the lines and totals as text, in French by default', async () => {
    let out = '';
    let err = '';
    const context: CliContext = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, nowMs: () => START_MS, env: databaseEnv(target().config()) };
    assert.equal(await runCli(['bill', '--subscriber', alice, '--period', '2026-10'], context), 0, err);
    assert.match(out, /^Services d'assistance facturés — Orange — octobre 2026\n/);
    assert.match(out, /06\/10\/2026 11:00 +Dépannage PC \(démo\) +Assistance Windows +05:00 +2,27\u00a0€/);
    assert.match(out, /Remboursement — Assistance Windows +-0,50\u00a0€/);
    assert.match(out, /Net à payer: 3,50\u00a0€/);
    assert.match(out, /TVA 20\u00a0%: Base HT 2,91\u00a0€, Montant TVA 0,59\u00a0€/);
    out = '';
    assert.equal(await runCli(['bill', '--subscriber', alice, '--period', '2026-10', '--lang', 'en', '--json'], context), 0);
    assert.equal(JSON.parse(out).totals.netPayable, '3.50');
    assert.equal(await runCli(['bill', '--subscriber', 'sub_nobody', '--period', '2026-10'], context), 2);
    assert.equal(await runCli(['bill', '--subscriber', alice, '--period', 'October'], context), 2);
  });

  it('payouts of an open October: per offer, refunds deducted (a late one too), ratings averaged; below the minimum it is carried over', async () => {
    const depannage = expectOk(await get('mer_depannage_pc', '/v1/merchants/mer_depannage_pc/payouts?period=2026-10'), 'payout').body;
    assert.equal(depannage.status, 'open');
    assert.equal(depannage.statementId, null);
    assert.deepEqual(depannage.offers, DEPANNAGE_OFFERS);
    assert.deepEqual(depannage.payout, {
      delayDays: 30, minimum: '15.00', payableOn: null, carriedOver: true, note: '1.34 EUR is below the payout minimum of 15.00 EUR: carried over to the next payout',
    });
    const legal = expectOk(await get('mer_conseil_juridique', '/v1/merchants/mer_conseil_juridique/payouts?period=2026-10'), 'payout').body;
    assert.deepEqual(legal.offers, LEGAL_OFFERS);
    assert.deepEqual(legal.payout, { delayDays: 30, minimum: '15.00', payableOn: '2026-12-01', carriedOver: false, note: '26.65 EUR is paid on 2026-12-01, 30 days after the period ends' });
    const { offerId: _o, offerName: _n, ...totals } = LEGAL_OFFERS[0] ?? {};
    assert.deepEqual(legal.totals, totals);
  });

  it('a payout is for the merchant\'s own key only: another merchant 404, an operator 403', async () => {
    const other = await get('mer_conseil_juridique', '/v1/merchants/mer_depannage_pc/payouts?period=2026-10');
    assert.equal(other.status, 404, other.text);
    assert.equal(other.body.code, 'merchant_not_found');
    const operator = await get('car_orange', '/v1/merchants/mer_depannage_pc/payouts?period=2026-10');
    assert.equal(operator.status, 403);
    assert.equal((await get('mer_depannage_pc', '/v1/merchants/mer_depannage_pc/payouts?period=10-2026')).status, 400);
  });

  it('once October is closed the payout is read from its statement, with the same figures (and equals its amount due)', async () => {
    await h.clock.advanceTo(Date.parse('2026-11-02T00:00:00Z'));
    await closeDemoPeriod(h.server.storage.store, '2026-10', h.clock.nowMs());
    const closed = expectOk(await get('mer_depannage_pc', '/v1/merchants/mer_depannage_pc/payouts?period=2026-10'), 'payout').body;
    assert.equal(closed.status, 'closed');
    assert.equal(closed.statementId, 'stm_2026-10_merchant_car_orange_mer_depannage_pc');
    assert.deepEqual(closed.offers, DEPANNAGE_OFFERS);
    const statement = await h.server.storage.store.getStatement(closed.statementId);
    assert.equal(statement?.amountDueMinor, 134n);
    const legal = expectOk(await get('mer_conseil_juridique', '/v1/merchants/mer_conseil_juridique/payouts?period=2026-10'), 'payout').body;
    assert.deepEqual(legal.offers, LEGAL_OFFERS);
    const november = expectOk(await get('mer_depannage_pc', '/v1/merchants/mer_depannage_pc/payouts?period=2026-11'), 'payout').body;
    assert.deepEqual(november.offers, [], 'nothing is owed twice');
  });
});
