import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Accounts, chargePostings, Money, journalProblems, type JournalDraft, Rate, refundPostings, refundWaterfall, reversalOf, revenueWaterfall, sumsByCurrency,
} from '../../../src/domain/index.ts';

const parties = { subscriberId: 'sub_1', billingCarrierId: 'orange', hostingCarrierId: 'sfr', merchantId: 'mer_1' };
const rate = fc.integer({ min: 0, max: 10_000 }).map((bp) => Rate.of(`${Math.floor(bp / 10_000)}.${String(bp % 10_000).padStart(4, '0')}`));

describe('ledger: the revenue-share waterfall', () => {
  it('12.00 € TTC at 20 % VAT: 2.00 VAT, 10.00 net; 15 % fee, 70 % merchant → 1.50, 7.00, 1.50 hosting', () => {
    const w = revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 0 }, { collectionFeeRate: Rate.of('0.15'), merchantShareRate: Rate.of('0.70') }, parties);
    assert.deepEqual([w.netMinor, w.billingCarrierFeeMinor, w.merchantShareMinor, w.hostingCarrierShareMinor], [1000n, 150n, 700n, 150n]);
    assert.equal(w.interCarrier, true);
  });

  it('the parts always sum to the gross, to the cent (fast-check)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), rate, rate, (gross, fee, share) => {
      fc.pre(fee.plus(share).compare(Rate.of('1')) <= 0);
      const vat = (gross * 20n) / 120n;
      const w = revenueWaterfall({ currency: 'EUR', grossMinor: gross, vatMinor: vat, billedSeconds: 0 }, { collectionFeeRate: fee, merchantShareRate: share }, parties);
      assert.equal(w.vatMinor + w.billingCarrierFeeMinor + w.hostingCarrierShareMinor + w.merchantShareMinor, gross);
      assert.ok(w.billingCarrierFeeMinor >= 0n && w.hostingCarrierShareMinor >= 0n && w.merchantShareMinor >= 0n);
      const postings = chargePostings(w, parties);
      assert.deepEqual([...sumsByCurrency(postings).values()], postings.length === 0 ? [] : [0n]);
    }), { numRuns: 1000 });
  });

  it('same billing and hosting carrier: no collection fee, no inter-carrier leg', () => {
    const same = { ...parties, hostingCarrierId: 'orange' };
    const w = revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 0 }, { collectionFeeRate: Rate.of('0.15'), merchantShareRate: Rate.of('0.70') }, same);
    assert.equal(w.interCarrier, false);
    assert.equal(w.billingCarrierFeeMinor, 0n);
    assert.equal(w.hostingCarrierShareMinor, 300n);
    const accounts = chargePostings(w, same).map((p) => p.account);
    assert.ok(!accounts.some((a) => a.includes(':owes:') || a.includes(':due_from:')));
  });

  it('a merchant share that would take the percentages past 100 % is cut to what the carrier terms leave', () => {
    const w = revenueWaterfall({ currency: 'EUR', grossMinor: 100n, vatMinor: 0n, billedSeconds: 0 }, { collectionFeeRate: Rate.of('0.5'), merchantShareRate: Rate.of('0.6') }, parties);
    assert.deepEqual([w.collectionFeeMinor, w.merchantShareMinor, w.hostingCarrierShareMinor], [50n, 50n, 0n]);
    assert.throws(() => revenueWaterfall({ currency: 'EUR', grossMinor: 100n, vatMinor: 0n, billedSeconds: 0 },
      { collectionFeeRate: Rate.of('0.9'), badDebtRate: Rate.of('0.2'), merchantShareRate: Rate.of('0') }, parties), /≤ 100 %/);
  });

  it('bad-debt allowance and interconnect: 10 min, 12.00 TTC → fee 1.00, bad debt 0.20, interconnect 0.20, merchant 7.00, hosting 1.60', () => {
    // net 10.00 allocated 10 % / 2 % / 70 % / 18 % → 1.00, 0.20, 7.00, 1.80; interconnect 0.02 €/min × 10 min = 0.20 from the hosting rest.
    const w = revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 600 }, {
      collectionFeeRate: Rate.of('0.10'), badDebtRate: Rate.of('0.02'), interconnectPerMinute: Money.of('0.02', 'EUR'), merchantShareRate: Rate.of('0.70'),
    }, parties);
    assert.deepEqual([w.collectionFeeMinor, w.badDebtMinor, w.interconnectMinor, w.billingCarrierFeeMinor, w.merchantShareMinor, w.hostingCarrierShareMinor],
      [100n, 20n, 20n, 140n, 700n, 160n]);
  });

  it('wholesale price per minute: 10 min at 0.50 €/min → merchant 5.00, hosting the rest 4.00', () => {
    const w = revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 600 },
      { collectionFeeRate: Rate.of('0.10'), merchantShareRate: null, wholesalePerMinute: Money.of('0.50', 'EUR') }, parties);
    assert.deepEqual([w.billingCarrierFeeMinor, w.merchantShareMinor, w.hostingCarrierShareMinor], [100n, 500n, 400n]);
    const short = revenueWaterfall({ currency: 'EUR', grossMinor: 120n, vatMinor: 20n, billedSeconds: 600 },
      { collectionFeeRate: Rate.of('0.10'), merchantShareRate: null, wholesalePerMinute: Money.of('0.50', 'EUR') }, parties);
    assert.equal(short.merchantShareMinor, 90n, 'never more than the rest: the hosting carrier is left with 0, not less');
    assert.equal(short.hostingCarrierShareMinor, 0n);
  });
});

describe('ledger: journals', () => {
  const journal: JournalDraft = {
    kind: 'charge', causeType: 'charge', causeId: 'chg_1', reversesJournalId: null, description: 'd',
    postings: [{ account: Accounts.subscriberReceivable('s'), currency: 'EUR', amountMinor: 100n }, { account: Accounts.carrierRevenue('c'), currency: 'EUR', amountMinor: -100n }],
  };

  it('a balanced journal has no problems; an unbalanced one, a single line or a bad account name do', () => {
    const [debit, credit] = journal.postings;
    assert.ok(debit !== undefined && credit !== undefined);
    assert.deepEqual(journalProblems(journal), []);
    assert.match(journalProblems({ ...journal, postings: [debit, { ...credit, amountMinor: -99n }] }).join(), /sum to 1, not 0/);
    assert.match(journalProblems({ ...journal, postings: [debit] }).join(), /at least two postings/);
    assert.match(journalProblems({ ...journal, postings: [debit, { ...credit, account: 'nope' }] }).join(), /not a chart-of-accounts name/);
  });

  it('balances per currency: EUR and GBP legs each sum to zero', () => {
    const twoCurrencies = [...journal.postings, { account: Accounts.carrierRevenue('c'), currency: 'GBP' as const, amountMinor: 7n }, { account: Accounts.carrierRevenue('d'), currency: 'GBP' as const, amountMinor: -7n }];
    assert.deepEqual(journalProblems({ ...journal, postings: twoCurrencies }), []);
  });

  it('a reversal negates every posting and points at the original', () => {
    const reversal = reversalOf({ ...journal, id: 'jnl_1', createdAtMs: 0 }, { causeType: 'charge', causeId: 'chg_1', description: 'undo' });
    assert.equal(reversal.reversesJournalId, 'jnl_1');
    assert.deepEqual(reversal.postings.map((p) => p.amountMinor), [-100n, 100n]);
  });

  it('account names are segments of safe characters', () => {
    assert.equal(Accounts.carrierOwes('orange', 'sfr'), 'carrier:orange:owes:sfr');
    assert.throws(() => Accounts.merchantPayable('a:b'), /account segment/);
  });
});

describe('ledger: refunds', () => {
  const terms = { collectionFeeRate: Rate.of('0.15'), merchantShareRate: Rate.of('0.70') };

  it('partial refunds never refund a part beyond what it received, and a full refund returns every part exactly', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 }), (gross, slices) => {
      const original = revenueWaterfall({ currency: 'EUR', grossMinor: gross, vatMinor: (gross * 20n) / 120n, billedSeconds: 0 }, terms, parties);
      const refunds: ReturnType<typeof refundWaterfall>[] = [];
      let left = gross;
      for (const slice of slices) {
        const amount = left * BigInt(slice) / 100n;
        if (amount === 0n) continue;
        refunds.push(refundWaterfall(original, refunds, amount));
        left -= amount;
      }
      if (left > 0n) refunds.push(refundWaterfall(original, refunds, left));
      const total = (pick: (w: typeof original) => bigint): bigint => refunds.reduce((sum, w) => sum + pick(w), 0n);
      assert.equal(total((w) => w.vatMinor), original.vatMinor);
      assert.equal(total((w) => w.billingCarrierFeeMinor), original.billingCarrierFeeMinor);
      assert.equal(total((w) => w.hostingCarrierShareMinor), original.hostingCarrierShareMinor);
      assert.equal(total((w) => w.merchantShareMinor), original.merchantShareMinor);
      for (const refund of refunds) assert.deepEqual([...sumsByCurrency(refundPostings(refund, parties)).values()], [0n]);
    }), { numRuns: 1000 });
  });

  it('refunding more than is left is a bug', () => {
    const original = revenueWaterfall({ currency: 'EUR', grossMinor: 1200n, vatMinor: 200n, billedSeconds: 0 }, terms, parties);
    assert.throws(() => refundWaterfall(original, [], 1201n), /at most what is left/);
  });
});
