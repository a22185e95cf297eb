import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import fc from 'fast-check';
import { KyselyStore } from '../../../src/adapters/store/index.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { buildCharge } from '../../../src/app/index.ts';
import { Accounts, Money, Rate, rate, reversalOf } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildWorld, chargeFor, T0_MS, type World } from '../../support/world.ts';

describeEachDatabase('storage: repositories and the ledger', ({ database }) => {
  let store: Store;
  let world: World;
  before(async () => {
    store = new KyselyStore(database().db, database().dialect);
    world = await buildWorld(store);
  });

  it('round-trips carriers, subscribers, merchants, offers, agreements and tariff versions', async () => {
    const carrier = await store.getCarrier(world.billingCarrierId);
    assert.equal(carrier?.timeZone, 'Europe/Paris');
    assert.equal(carrier.mccMncCodes.length, 1);
    const subscriber = await store.getSubscriber(world.subscriberId);
    assert.ok(subscriber !== null);
    assert.equal(subscriber.monthlyCap.toString(), '300.00');
    assert.equal((await store.findSubscriberByMsisdnHmac('hmac_a'))?.id, world.subscriberId);
    assert.equal((await store.getMerchant(world.merchantId))?.payoutMinimum.toString(), '15.00');
    const offer = await store.getOffer(world.offerId);
    assert.deepEqual(offer?.mediaAllowed, ['voice', 'chat']);
    assert.equal(offer.defaultCap.toString(), '30.00');
    const tariff = await store.getTariff(world.tariff.hash);
    assert.equal(tariff?.hash, world.tariff.hash);
    assert.equal(await store.publishTariff(world.tariff, T0_MS), 'exists');
    const agreement = await store.carrierAgreementAt(world.billingCarrierId, world.hostingCarrierId, T0_MS);
    assert.equal(agreement?.terms.collectionFeeRate.toString(), '0.15');
    assert.equal((await store.merchantAgreementAt(world.hostingCarrierId, world.merchantId, T0_MS))?.terms.merchantShareRate?.toString(), '0.7');
  });

  it('preserves every amount from 0.01 to 10^12 minor units exactly', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.bigInt({ min: 1n, max: 10n ** 12n }), async (minor) => {
      n += 1;
      const id = `sub_amount_${n}`;
      await store.insertSubscriber({ id, msisdnHmac: `h_${n}`, billingCarrierId: world.billingCarrierId, monthlyCap: Money.fromMinorUnits(minor, 'EUR'), status: 'active' }, T0_MS);
      assert.equal((await store.getSubscriber(id))?.monthlyCap.toMinorUnits(), minor);
      const journalId = `jnl_amount_${n}`;
      await store.appendJournal({
        kind: 'adjustment', causeType: 'test', causeId: id, reversesJournalId: null, description: 'round trip',
        postings: [{ account: Accounts.subscriberReceivable(id), currency: 'EUR', amountMinor: minor }, { account: Accounts.carrierRevenue(world.billingCarrierId), currency: 'EUR', amountMinor: -minor }],
      }, { id: journalId, atMs: T0_MS });
      assert.deepEqual((await store.getJournal(journalId))?.postings.map((p) => p.amountMinor), [minor, -minor]);
      assert.equal(await store.balance(Accounts.subscriberReceivable(id), 'EUR'), minor);
    }), { numRuns: 60 });
  });

  it('a closed charge reads back with every amount exact: billed, precise (long decimals), net, VAT, split, posted hold', async () => {
    let n = 0;
    const digits = fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 0, maxLength: 40 });
    await fc.assert(fc.asyncProperty(fc.bigInt({ min: 1n, max: 10n ** 12n }), digits, async (minor, extra) => {
      n += 1;
      const subscriberId = `sub_charge_${n}`;
      const sessionId = `ses_amount_${n}`;
      await store.insertSubscriber({ id: subscriberId, msisdnHmac: `hc_${n}`, billingCarrierId: world.billingCarrierId, monthlyCap: Money.fromMinorUnits(minor, 'EUR'), status: 'active' }, T0_MS);
      assert.ok((await store.placeHold({ id: `hld_amount_${n}`, subscriberId, sessionId, period: '2026-10', currency: 'EUR', amountMinor: minor, monthlyCapMinor: minor, atMs: T0_MS })).ok);
      // A real rating, with its amounts replaced by the generated ones (VAT at 20 % included).
      const billed = Money.fromMinorUnits(minor, 'EUR');
      const vat = Money.fromMinorUnits(minor / 6n, 'EUR');
      const precise = Money.of(`${billed.toString()}${extra}`, 'EUR');
      const base = chargeFor(world, sessionId, 60);
      const rating = { ...rate(world.tariff, T0_MS, 60), billed, precise, vat: { rate: Rate.of('0.2'), net: billed.minus(vat), vat, gross: billed } };
      const { charge, journal } = buildCharge({
        chargeId: base.charge.id, journalId: base.charge.journalId, sessionId, offerId: world.offerId,
        parties: { subscriberId, billingCarrierId: world.billingCarrierId, hostingCarrierId: world.hostingCarrierId, merchantId: world.merchantId },
        terms: { collectionFeeRate: Rate.of('0.15'), merchantShareRate: Rate.of('0.70') }, rating, meteringStartedAtMs: T0_MS, atMs: T0_MS + 60_000,
      });
      await store.closeCharge({ charge, journal });
      const stored = await store.getChargeForSession(sessionId);
      assert.ok(stored !== null);
      assert.equal(stored.amount.toMinorUnits(), minor);
      assert.equal(stored.precise.toString(), precise.toString());
      assert.equal(stored.net.toMinorUnits(), minor - minor / 6n);
      assert.equal(stored.vat.toMinorUnits(), minor / 6n);
      assert.deepEqual(stored.split, charge.split);
      assert.deepEqual((await store.getJournal(charge.journalId))?.postings.map((p) => p.amountMinor), journal.postings.map((p) => p.amountMinor));
      const hold = await store.getHoldForSession(sessionId);
      assert.equal(hold?.amountMinor, minor);
      assert.equal(hold.postedMinor, minor);
    }), { numRuns: 60 });
  });

  it('refuses an unbalanced journal before writing anything', async () => {
    await assert.rejects(store.appendJournal({
      kind: 'adjustment', causeType: 'test', causeId: 'x', reversesJournalId: null, description: 'unbalanced',
      postings: [{ account: Accounts.carrierRevenue('a'), currency: 'EUR', amountMinor: 5n }, { account: Accounts.carrierRevenue('b'), currency: 'EUR', amountMinor: -4n }],
    }, { id: 'jnl_unbalanced', atMs: T0_MS }), /unbalanced journal/);
    assert.equal(await store.getJournal('jnl_unbalanced'), null);
  });

  it('closing a charge writes the charge, its balanced journal and posts the hold, once', async () => {
    const placed = await store.placeHold({
      id: 'hld_close', subscriberId: world.subscriberId, sessionId: 'ses_close', period: '2026-10', currency: 'EUR', amountMinor: 3000n, monthlyCapMinor: 30000n, atMs: T0_MS,
    });
    assert.ok(placed.ok);
    const { charge, journal } = chargeFor(world, 'ses_close', 200);
    const first = await store.closeCharge({ charge, journal });
    assert.equal(first.created, true);
    const again = await store.closeCharge({ charge, journal });
    assert.equal(again.created, false);
    assert.equal(again.charge.id, charge.id);
    const stored = await store.getChargeForSession('ses_close');
    assert.equal(stored?.amount.toString(), charge.amount.toString());
    assert.equal(stored.split.grossMinor, charge.amount.toMinorUnits());
    const written = await store.getJournal(charge.journalId);
    assert.equal(written?.postings.reduce((sum, p) => sum + p.amountMinor, 0n), 0n);
    assert.equal(written.postings.length, 7, 'receivable, VAT, fee, owes, due-from, hosting share, merchant share');
    const hold = await store.getHoldForSession('ses_close');
    assert.equal(hold?.status, 'posted');
    assert.equal(hold.postedMinor, charge.amount.toMinorUnits());
    assert.deepEqual(await store.budgetUsage(world.subscriberId, '2026-10'), { heldMinor: 0n, postedMinor: charge.amount.toMinorUnits() });
  });

  it('a close that would post more than its hold is refused and writes nothing (charge, journal, balances, hold)', async () => {
    const { charge, journal } = chargeFor(world, 'ses_over_hold', 600);
    const placed = await store.placeHold({
      id: 'hld_over', subscriberId: world.subscriberId, sessionId: 'ses_over_hold', period: '2026-10', currency: 'EUR',
      amountMinor: charge.amount.toMinorUnits() - 1n, monthlyCapMinor: 1_000_000n, atMs: T0_MS,
    });
    assert.ok(placed.ok);
    const accounts = journal.postings.map((p) => p.account);
    const before = await Promise.all(accounts.map((a) => store.balance(a, 'EUR')));
    await assert.rejects(store.closeCharge({ charge, journal }), /posted ≤ held/);
    assert.equal(await store.getChargeForSession('ses_over_hold'), null);
    assert.equal(await store.getJournal(charge.journalId), null);
    assert.deepEqual(await Promise.all(accounts.map((a) => store.balance(a, 'EUR'))), before);
    assert.equal((await store.getHoldForSession('ses_over_hold'))?.status, 'pending');
  });

  it('a reversal journal restores every balance', async () => {
    const { charge, journal } = chargeFor(world, 'ses_reverse', 600);
    await store.closeCharge({ charge, journal });
    const accounts = journal.postings.map((p) => p.account);
    const before = await Promise.all(accounts.map((a) => store.balance(a, 'EUR')));
    const original = await store.getJournal(charge.journalId);
    assert.ok(original !== null);
    await store.appendJournal(reversalOf(original, { causeType: 'charge', causeId: charge.id, description: 'reversed' }), { id: 'jnl_reversal', atMs: T0_MS + 1 });
    const after = await Promise.all(accounts.map((a) => store.balance(a, 'EUR')));
    journal.postings.forEach((posting, index) => { assert.equal(after[index], (before[index] ?? 0n) - posting.amountMinor); });
    assert.equal((await store.getJournal('jnl_reversal'))?.reversesJournalId, charge.journalId);
  });

  it('a hold over the monthly budget is refused; voiding releases it', async () => {
    const base = { subscriberId: world.subscriberId, period: '2026-12', currency: 'EUR' as const, monthlyCapMinor: 5000n, atMs: T0_MS };
    assert.ok((await store.placeHold({ ...base, id: 'hld_1', sessionId: 'ses_h1', amountMinor: 3000n })).ok);
    const refused = await store.placeHold({ ...base, id: 'hld_2', sessionId: 'ses_h2', amountMinor: 2001n });
    assert.deepEqual(refused, { ok: false, error: 'budget_exceeded' });
    await store.voidHold('ses_h1', T0_MS);
    assert.ok((await store.placeHold({ ...base, id: 'hld_3', sessionId: 'ses_h3', amountMinor: 5000n })).ok);
    assert.deepEqual(await store.budgetUsage(world.subscriberId, '2026-12'), { heldMinor: 5000n, postedMinor: 0n });
  });

  it('a hold with a minimum takes what the budget leaves, up to its amount, or nothing below the minimum', async () => {
    const base = { subscriberId: world.subscriberId, period: '2026-11', currency: 'EUR' as const, monthlyCapMinor: 5000n, atMs: T0_MS };
    const whole = await store.placeHold({ ...base, id: 'hld_m1', sessionId: 'ses_m1', amountMinor: 3000n, minimumMinor: 100n });
    assert.equal(whole.ok && whole.value.amountMinor, 3000n, 'the budget has room: the whole amount');
    const rest = await store.placeHold({ ...base, id: 'hld_m2', sessionId: 'ses_m2', amountMinor: 2400n, minimumMinor: 100n });
    assert.equal(rest.ok && rest.value.amountMinor, 2000n, 'what is left: 50.00 − 30.00');
    assert.equal((await store.getHoldForSession('ses_m2'))?.amountMinor, 2000n);
    await store.voidHold('ses_m2', T0_MS);
    const refused = await store.placeHold({ ...base, id: 'hld_m3', sessionId: 'ses_m3', amountMinor: 2400n, minimumMinor: 2001n });
    assert.deepEqual(refused, { ok: false, error: 'budget_exceeded' }, '20.00 left is below the 20.01 minimum');
    assert.equal(await store.getHoldForSession('ses_m3'), null, 'nothing written');
    assert.deepEqual(await store.budgetUsage(world.subscriberId, '2026-11'), { heldMinor: 3000n, postedMinor: 0n });
  });

  it('shares with exact allocation: the parts of every charge sum to its gross', () => {
    for (const seconds of [1, 59, 61, 181, 899, 3600]) {
      const { charge } = chargeFor(world, `ses_split_${seconds}`, seconds);
      const s = charge.split;
      assert.equal(s.vatMinor + s.billingCarrierFeeMinor + s.hostingCarrierShareMinor + s.merchantShareMinor, s.grossMinor);
      assert.equal(s.netMinor, charge.net.toMinorUnits());
    }
  });
});
