/**
 * Settlement properties (issue 6 §5, fast-check): the extended waterfall conserves the gross and
 * refunds give each part back exactly; netting keeps every carrier's net position; on a real
 * database (SQLite and PostgreSQL), random charges and refunds across random carriers, zones,
 * merchants and agreements settle into statements that equal an independent recomputation from
 * the charges' splits and the ledger; CSV round-trips exactly, whatever the chunk boundaries.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from '../../../src/adapters/clock/index.ts';
import { verifyLedger } from '../../../src/adapters/store/index.ts';
import type { Store } from '../../../src/app/ports/index.ts';
import { settlePeriod } from '../../../src/app/settlement/settle-period.ts';
import {
  Accounts, type ChargeParties, CsvReader, Money, net, type Obligation, parseCsv, periodBounds, type ProfileId, Rate, refundWaterfall,
  revenueWaterfall, type ShareTerms, type Statement, type StatementPart, toCsv, type Totals, type Waterfall,
} from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import {
  type CarrierAgreementSpec, type CarrierSpec, type MerchantAgreementSpec, type MerchantSpec, rateAndClose, refundAt, seedSettlementWorld, settlementStore,
} from '../../support/settlement-world.ts';

/** Pure properties cost microseconds a run. */
const RUNS = 2_000;

/** `n` at `decimals` places as a decimal string: decimal(1234, 4) is "0.1234". */
function decimalOf(n: number, decimals: number): string {
  const text = String(n).padStart(decimals + 1, '0');
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
}
const decimal = (maxUnits: number, decimals: number): fc.Arbitrary<string> => fc.integer({ min: 0, max: maxUnits }).map((n) => decimalOf(n, decimals));
/** Units of 10^-4 of a decimal string with at most four places: "0.1234" → 1234n, "0.60" → 6000n. */
function units4(text: string): bigint {
  const [whole = '', fraction = ''] = text.split('.');
  return BigInt(`${whole}${fraction.padEnd(4, '0')}`);
}
/** n / d rounded half-up, for n, d ≥ 0. */
const halfUp = (n: bigint, d: bigint): bigint => (2n * n + d) / (2n * d);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---------------------------------------------------------------------------------------------
// (a) The waterfall

interface TermsCase {
  readonly fee: string;
  readonly badDebt: string;
  readonly merchant: { readonly share: string } | { readonly wholesale: string };
  readonly interconnect: string | null;
}

const termsCase: fc.Arbitrary<TermsCase> = fc.record({
  fee: decimal(4_000, 4), // 0–40 %
  badDebt: decimal(1_500, 4), // 0–15 %
  // A share up to 100 %: past what the fee and the allowance leave, it is cut to the rest.
  merchant: fc.oneof(decimal(10_000, 4).map((share) => ({ share })), decimal(50_000, 4).map((wholesale) => ({ wholesale }))),
  interconnect: fc.option(decimal(5_000, 4), { nil: null }), // 0–0.50 €/min at four places
});

const amounts = fc.oneof(fc.bigInt({ min: 0n, max: 2_000n }), fc.bigInt({ min: 0n, max: 10n ** 10n }))
  .chain((grossMinor) => fc.record({
    grossMinor: fc.constant(grossMinor), vatMinor: fc.bigInt({ min: 0n, max: grossMinor }), billedSeconds: fc.integer({ min: 0, max: 86_400 }), interCarrier: fc.boolean(),
  }));

function shareTerms(t: TermsCase): ShareTerms {
  return {
    collectionFeeRate: Rate.of(t.fee), badDebtRate: Rate.of(t.badDebt), interconnectPerMinute: t.interconnect === null ? null : Money.of(t.interconnect, 'EUR'),
    merchantShareRate: 'share' in t.merchant ? Rate.of(t.merchant.share) : null, wholesalePerMinute: 'wholesale' in t.merchant ? Money.of(t.merchant.wholesale, 'EUR') : null,
  };
}

const partiesOf = (interCarrier: boolean): ChargeParties => ({ subscriberId: 'sub', billingCarrierId: 'car_b', hostingCarrierId: interCarrier ? 'car_h' : 'car_b', merchantId: 'mer' });

const PARTS = ['vatMinor', 'collectionFeeMinor', 'badDebtMinor', 'interconnectMinor', 'hostingCarrierShareMinor', 'merchantShareMinor'] as const;

/** A per-minute price (four places) times billed seconds, half-up to the cent: units of 10^-4 € are 10^-2 cents. */
const perMinuteMinor = (price: string | null, seconds: number): bigint => (price === null ? 0n : halfUp(units4(price) * BigInt(seconds), 6_000n));

/** Checks a waterfall against the rules of docs/settlement.md, computed here with integers. */
function checkWaterfall(w: Waterfall, t: TermsCase, a: { grossMinor: bigint; vatMinor: bigint; billedSeconds: number; interCarrier: boolean }): void {
  assert.equal(PARTS.reduce((sum, part) => sum + w[part], 0n), a.grossMinor, 'the parts sum to the gross');
  for (const part of PARTS) assert.ok(w[part] >= 0n, `${part} is not negative`);
  assert.equal(w.vatMinor, a.vatMinor);
  assert.equal(w.netMinor, a.grossMinor - a.vatMinor);
  assert.equal(w.billingCarrierFeeMinor, w.collectionFeeMinor + w.badDebtMinor + w.interconnectMinor);
  assert.equal(w.interCarrier, a.interCarrier);
  const netMinor = w.netMinor;
  const fee = a.interCarrier ? units4(t.fee) : 0n;
  const bad = a.interCarrier ? units4(t.badDebt) : 0n;
  const share = 'share' in t.merchant ? minOf(units4(t.merchant.share), 10_000n - fee - bad) : 0n;
  // Largest remainder: each percentage part is its exact share of the net, give or take less than a cent.
  const within = (part: bigint, rate: bigint, name: string): void => {
    const diff = part * 10_000n - netMinor * rate;
    assert.ok(diff > -10_000n && diff < 10_000n, `${name} ${part} vs ${netMinor} × ${rate}/10000`);
  };
  within(w.collectionFeeMinor, fee, 'collection fee');
  within(w.badDebtMinor, bad, 'bad-debt allowance');
  const percentMerchant = 'share' in t.merchant ? w.merchantShareMinor : 0n;
  within(percentMerchant, share, 'merchant share');
  const rest = netMinor - w.collectionFeeMinor - w.badDebtMinor - percentMerchant;
  within(rest, 10_000n - fee - bad - share, 'rest');
  const interconnect = a.interCarrier ? minOf(rest, perMinuteMinor(t.interconnect, a.billedSeconds)) : 0n;
  assert.equal(w.interconnectMinor, interconnect, 'interconnect: per billed minute, half-up, never past the rest');
  const wholesale = 'wholesale' in t.merchant ? minOf(rest - interconnect, perMinuteMinor(t.merchant.wholesale, a.billedSeconds)) : 0n;
  if ('wholesale' in t.merchant) assert.equal(w.merchantShareMinor, wholesale, 'wholesale: per billed minute, half-up, never past what is left');
  assert.equal(w.hostingCarrierShareMinor, rest - interconnect - wholesale, 'the hosting carrier keeps what is left');
}

describe('settlement properties: the waterfall', () => {
  it(`waterfall: for any terms, amounts and billed seconds, the parts sum to the gross, none is negative, each follows its rule (${RUNS} runs)`, () => {
    fc.assert(fc.property(termsCase, amounts, (t, a) => {
      checkWaterfall(revenueWaterfall({ currency: 'EUR', ...a }, shareTerms(t), partiesOf(a.interCarrier)), t, a);
    }), { numRuns: RUNS });
  });

  it(`refunds in random slices: each slice's parts sum to it and stay within what is left; a full refund gives back every part exactly (${RUNS} runs)`, () => {
    const slices = fc.record({ weights: fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 6 }), full: fc.boolean() });
    fc.assert(fc.property(termsCase, amounts.filter((a) => a.grossMinor > 0n), slices, (t, a, s) => {
      const original = revenueWaterfall({ currency: 'EUR', ...a }, shareTerms(t), partiesOf(a.interCarrier));
      const total = BigInt(s.weights.reduce((sum, weight) => sum + weight, 0)) * (s.full ? 1n : 2n);
      const amountsMinor = s.weights.map((weight) => (a.grossMinor * BigInt(weight)) / total).filter((amount) => amount > 0n);
      if (s.full) amountsMinor.push(a.grossMinor - amountsMinor.reduce((sum, amount) => sum + amount, 0n));
      const refunds: Waterfall[] = [];
      for (const amountMinor of amountsMinor.filter((amount) => amount > 0n)) {
        const refund = refundWaterfall(original, refunds, amountMinor);
        assert.equal(PARTS.reduce((sum, part) => sum + refund[part], 0n), amountMinor, 'a slice\'s parts sum to it');
        assert.equal(refund.netMinor, amountMinor - refund.vatMinor);
        assert.equal(refund.billingCarrierFeeMinor, refund.collectionFeeMinor + refund.badDebtMinor + refund.interconnectMinor);
        for (const part of PARTS) {
          const before = refunds.reduce((sum, r) => sum + r[part], 0n);
          assert.ok(refund[part] >= 0n && before + refund[part] <= original[part], `${part}: never given back beyond what it received`);
        }
        refunds.push(refund);
      }
      for (const part of PARTS) {
        const given = refunds.reduce((sum, r) => sum + r[part], 0n);
        if (s.full) assert.equal(given, original[part], `${part}: refunded in full, exactly`);
      }
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Netting, pure

/** Applies transfers to zero positions. */
function positionsAfter(transfers: readonly Obligation[]): Map<string, bigint> {
  const after = new Map<string, bigint>();
  for (const t of transfers) {
    after.set(t.debtorId, (after.get(t.debtorId) ?? 0n) - t.amountMinor);
    after.set(t.creditorId, (after.get(t.creditorId) ?? 0n) + t.amountMinor);
  }
  return after;
}

/** Netting's promises: positions as computed independently, transfers that reach them, at most (carriers with a position − 1). */
function checkNetting(positions: readonly { carrierId: string; netMinor: bigint }[], transfers: readonly Obligation[], expected: ReadonlyMap<string, bigint>): void {
  assert.deepEqual(new Map(positions.map((p) => [p.carrierId, p.netMinor])), expected, 'net positions');
  const after = positionsAfter(transfers);
  for (const [carrierId, netMinor] of expected) assert.equal(after.get(carrierId) ?? 0n, netMinor, `${carrierId}: the transfers settle its position`);
  const nonZero = [...expected.values()].filter((minor) => minor !== 0n).length;
  assert.ok(transfers.length <= Math.max(0, nonZero - 1), `${transfers.length} transfers for ${nonZero} carriers with a position`);
  for (const t of transfers) assert.ok(t.amountMinor > 0n && t.debtorId !== t.creditorId, 'a transfer moves money between two carriers');
}

describe('settlement properties: netting', () => {
  it(`netting: any pairwise obligations → each carrier's net position kept, at most carriers − 1 transfers (${RUNS} runs)`, () => {
    const obligation = fc.record({
      debtor: fc.integer({ min: 0, max: 5 }), creditor: fc.integer({ min: 0, max: 5 }), amountMinor: fc.oneof(fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 0n, max: 10n ** 12n })),
    }).filter((o) => o.debtor !== o.creditor).map((o) => ({ debtorId: `car_${o.debtor}`, creditorId: `car_${o.creditor}`, amountMinor: o.amountMinor }));
    fc.assert(fc.property(fc.array(obligation, { maxLength: 20 }), (obligations) => {
      const expected = new Map<string, bigint>();
      for (const o of obligations) {
        expected.set(o.debtorId, (expected.get(o.debtorId) ?? 0n) - o.amountMinor);
        expected.set(o.creditorId, (expected.get(o.creditorId) ?? 0n) + o.amountMinor);
      }
      const netting = net(obligations);
      checkNetting(netting.positions, netting.transfers, expected);
    }), { numRuns: RUNS });
  });
});

// ---------------------------------------------------------------------------------------------
// (b) On a real database

/**
 * Runs per database. Each run seeds a fresh set of carriers, merchants and agreements, writes up
 * to 10 charges and 6 refunds (a transaction each), settles a draft, closes it and re-reads it,
 * and reads a dozen balances: about 60 writes and three settlement runs, whose SQL aggregates a
 * new worker thread reads on SQLite. Measured: ~0.27 s a run on SQLite, ~0.45 s on PostgreSQL (a
 * round trip per statement), so 40 and 20 runs keep the file near 25 s; the pure properties above
 * carry the volume. The runs share one database and follow each other month after month, so the
 * later ones also settle refunds of charges closed by the earlier ones.
 */
const DB_RUNS = { sqlite: 40, postgres: 20 } as const;

const ZONES = ['Europe/Paris', 'Europe/Brussels', 'Asia/Kolkata', 'America/New_York'] as const;
const TARIFFS: readonly (readonly [string, ProfileId])[] = [['sva-089-per-second', 'fr-sva-2015'], ['kiosque-3615', 'minitel-kiosque'], ['kiosque-paliers', 'minitel-kiosque']];
const DAY_MS = 86_400_000;

const runCase = fc.record({
  carrierZones: fc.array(fc.integer({ min: 0, max: ZONES.length - 1 }), { minLength: 2, maxLength: 4 }),
  merchants: fc.array(fc.record({
    host: fc.nat(), tariff: fc.integer({ min: 0, max: TARIFFS.length - 1 }),
    terms: fc.oneof(decimal(90, 2).map((share) => ({ share, wholesale: null })), decimal(60, 2).map((wholesale) => ({ share: null, wholesale }))),
  }), { minLength: 1, maxLength: 3 }),
  carrierTerms: fc.array(fc.record({ fee: decimal(250, 3), bad: decimal(50, 3), ic: fc.option(decimal(5, 2), { nil: null }) }), { minLength: 1, maxLength: 12 }),
  charges: fc.array(fc.record({
    billing: fc.nat(), merchant: fc.nat(), seconds: fc.integer({ min: 1, max: 3_600 }),
    // Anywhere from 35 days before the period to its end, or within two hours of its start in one of the zones.
    end: fc.oneof(fc.record({ uniform: fc.nat() }), fc.record({ zone: fc.integer({ min: 0, max: ZONES.length - 1 }), deltaS: fc.integer({ min: -7_200, max: 7_200 }) })),
  }), { minLength: 1, maxLength: 10 }),
  // Refunds of this run's charges, or of an earlier run's (settled already: adjustments, dues that may turn negative).
  refunds: fc.array(fc.record({
    earlier: fc.boolean(), charge: fc.nat(), permille: fc.integer({ min: 1, max: 1_000 }), delay: fc.integer({ min: 0, max: 1_000 }),
  }), { maxLength: 6 }),
});
type RunCase = typeof runCase extends fc.Arbitrary<infer T> ? T : never;

/** "YYYY-MM" of an instant in a zone, by Intl (not luxon, which the engine uses). */
function localPeriod(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date(ms));
  return `${parts.find((p) => p.type === 'year')?.value ?? '?'}-${parts.find((p) => p.type === 'month')?.value ?? '?'}`;
}

const ZERO: Totals = {
  count: 0, billedSeconds: 0n, grossMinor: 0n, vatMinor: 0n, netMinor: 0n, collectionFeeMinor: 0n, badDebtMinor: 0n, interconnectMinor: 0n, hostingShareMinor: 0n, merchantShareMinor: 0n,
};

function plus(t: Totals, split: Waterfall, billedSeconds: bigint): Totals {
  return {
    count: t.count + 1, billedSeconds: t.billedSeconds + billedSeconds, grossMinor: t.grossMinor + split.grossMinor, vatMinor: t.vatMinor + split.vatMinor,
    netMinor: t.netMinor + split.netMinor, collectionFeeMinor: t.collectionFeeMinor + split.collectionFeeMinor, badDebtMinor: t.badDebtMinor + split.badDebtMinor,
    interconnectMinor: t.interconnectMinor + split.interconnectMinor, hostingShareMinor: t.hostingShareMinor + split.hostingCarrierShareMinor,
    merchantShareMinor: t.merchantShareMinor + split.merchantShareMinor,
  };
}

/** An item as the test wrote it: a charge or a refund, with its charge's parties and rating instant. */
interface ModelItem {
  readonly type: 'charge' | 'refund';
  readonly billing: string;
  readonly hosting: string;
  readonly merchant: string;
  readonly chargeCreatedAtMs: number;
  readonly billedSeconds: bigint;
  readonly split: Waterfall;
}

/**
 * The statements the items should give, from their splits: every item of the run is unsettled and
 * rated before the period's end in every zone, so each lands in its debtor's statement, in the
 * part of the month its charge was rated in, in the debtor's zone (earlier months: adjustments).
 */
function expectedStatements(period: string, items: readonly ModelItem[], zoneOf: ReadonlyMap<string, string>): Statement[] {
  const pairs = new Map<string, { kind: 'carrier' | 'merchant'; debtorId: string; creditorId: string; parts: Map<string, { charges: Totals; refunds: Totals }> }>();
  for (const item of items) {
    const legs = [
      ...(item.billing !== item.hosting ? [{ kind: 'carrier' as const, debtorId: item.billing, creditorId: item.hosting }] : []),
      { kind: 'merchant' as const, debtorId: item.hosting, creditorId: item.merchant },
    ];
    for (const leg of legs) {
      const key = `stm_${period}_${leg.kind}_${leg.debtorId}_${leg.creditorId}`;
      const pair = pairs.get(key) ?? { ...leg, parts: new Map() };
      const home = localPeriod(item.chargeCreatedAtMs, zoneOf.get(leg.debtorId) ?? 'UTC');
      const part = pair.parts.get(home) ?? { charges: ZERO, refunds: ZERO };
      pair.parts.set(home, item.type === 'charge'
        ? { ...part, charges: plus(part.charges, item.split, item.billedSeconds) } : { ...part, refunds: plus(part.refunds, item.split, 0n) });
      pairs.set(key, pair);
    }
  }
  return [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, pair]) => {
    const owed = (t: Totals): bigint => (pair.kind === 'carrier' ? t.hostingShareMinor + t.merchantShareMinor : t.merchantShareMinor);
    const due = (part: StatementPart): bigint => owed(part.charges) - owed(part.refunds);
    const current = pair.parts.get(period) ?? { charges: ZERO, refunds: ZERO };
    const adjustments = [...pair.parts.entries()].filter(([home]) => home !== period).sort(([a], [b]) => (a < b ? -1 : 1)).map(([home, part]) => ({ period: home, ...part }));
    return {
      id, period, kind: pair.kind, debtorId: pair.debtorId, creditorId: pair.creditorId, currency: 'EUR', current, adjustments,
      amountDueMinor: due(current) + adjustments.reduce((sum, adjustment) => sum + due(adjustment), 0n),
    };
  });
}

const periodOfRun = (run: number): string => `${2027 + Math.floor(run / 12)}-${String((run % 12) + 1).padStart(2, '0')}`;

/** Seeds the run's world; returns its carriers (with zones) and merchants (with hosts). */
async function seedRun(store: Store, tag: string, c: RunCase): Promise<{ carriers: CarrierSpec[]; merchants: MerchantSpec[] }> {
  const carriers: CarrierSpec[] = c.carrierZones.map((zone, i) => ({ id: `car_${tag}_${i}`, name: `Carrier ${i}`, country: 'FR', currency: 'EUR', timeZone: ZONES[zone] ?? 'UTC' }));
  const merchants: MerchantSpec[] = c.merchants.map((m, j) => {
    const [tariff, profile] = TARIFFS[m.tariff] ?? TARIFFS[0] ?? ['sva-089-per-second', 'fr-sva-2015'];
    return { id: `mer_${tag}_${j}`, name: `Merchant ${j}`, hostingCarrier: carriers[m.host % carriers.length]?.id ?? '', offers: [{ id: `off_${tag}_${j}`, tariff, profile, defaultCap: '30.00' }] };
  });
  const carrierAgreements: CarrierAgreementSpec[] = carriers.flatMap((b, i) => carriers.filter((h) => h.id !== b.id).map((h, k) => {
    const terms = c.carrierTerms[(i * 4 + k) % c.carrierTerms.length] ?? { fee: '0.15', bad: '0.02', ic: null };
    return { billingCarrier: b.id, hostingCarrier: h.id, collectionFeeRate: terms.fee, badDebtRate: terms.bad, interconnectPerMinute: terms.ic };
  }));
  const merchantAgreements: MerchantAgreementSpec[] = merchants.map((m, j) => ({
    merchant: m.id, merchantShareRate: c.merchants[j]?.terms.share ?? null, wholesalePerMinute: c.merchants[j]?.terms.wholesale ?? null,
  }));
  await seedSettlementWorld(store, { carriers, merchants, carrierAgreements, merchantAgreements }, Date.parse('2026-01-01T00:00:00Z'));
  return { carriers, merchants };
}

/** What earlier runs left: their charges (to refund later), the zones, and each account's balance when its period closed. */
interface History {
  readonly charges: { readonly id: string; readonly item: ModelItem; refundedMinor: bigint }[];
  readonly zoneOf: Map<string, string>;
  readonly settledMinor: Map<string, bigint>;
  readonly merchantAccounts: Set<string>;
}

/** Writes the run's charges and refunds through the real code paths; returns them as model items. */
async function writeItems(store: Store, tag: string, c: RunCase, world: { carriers: CarrierSpec[]; merchants: MerchantSpec[] }, period: string, history: History): Promise<ModelItem[]> {
  const starts = ZONES.map((zone) => periodBounds(period, zone).startMs);
  const windowEndMs = Math.min(...ZONES.map((zone) => periodBounds(period, zone).endMs));
  const windowStartMs = Math.min(...starts) - 35 * DAY_MS;
  const spanS = (windowEndMs - windowStartMs) / 1000;
  const items: ModelItem[] = [];
  const earlier = history.charges.length;
  for (const [k, spec] of c.charges.entries()) {
    const billing = world.carriers[spec.billing % world.carriers.length];
    const merchant = world.merchants[spec.merchant % world.merchants.length];
    assert.ok(billing !== undefined && merchant !== undefined);
    const endMs = 'uniform' in spec.end ? windowStartMs + (spec.end.uniform % spanS) * 1000 : Math.min(windowEndMs - 1000, (starts[spec.end.zone] ?? 0) + spec.end.deltaS * 1000);
    const charge = await rateAndClose(store, { sessionId: `s_${tag}_${k}`, billingCarrierId: billing.id, offerId: merchant.offers[0]?.id ?? '', meteringStartMs: endMs - spec.seconds * 1000, meteredSeconds: spec.seconds });
    const item: ModelItem = {
      type: 'charge', billing: billing.id, hosting: merchant.hostingCarrier, merchant: merchant.id, chargeCreatedAtMs: charge.createdAtMs,
      billedSeconds: BigInt(charge.billedSeconds), split: charge.split,
    };
    items.push(item);
    history.charges.push({ id: charge.id, item, refundedMinor: 0n });
  }
  for (const spec of c.refunds) {
    const target = spec.earlier && earlier > 0 ? history.charges[spec.charge % earlier] : history.charges[earlier + (spec.charge % (history.charges.length - earlier))];
    assert.ok(target !== undefined);
    const leftMinor = target.item.split.grossMinor - target.refundedMinor;
    if (leftMinor === 0n) continue;
    const amountMinor = (leftMinor * BigInt(spec.permille)) / 1000n || 1n;
    const atMs = target.item.chargeCreatedAtMs + Math.floor(((windowEndMs - 1000 - target.item.chargeCreatedAtMs) * spec.delay) / 1000);
    const refund = await refundAt(store, target.id, amountMinor, atMs);
    target.refundedMinor += amountMinor;
    items.push({ ...target.item, type: 'refund', billedSeconds: 0n, split: refund.split });
  }
  return items;
}

describeEachDatabase('settlement properties: random months on a real database', (suite) => {
  let store: Store;
  let run = 0;
  const history: History = { charges: [], zoneOf: new Map(), settledMinor: new Map(), merchantAccounts: new Set() };
  before(() => { store = settlementStore(suite); });
  const accountOf = (s: Statement): string => (s.kind === 'carrier' ? Accounts.carrierOwes(s.debtorId, s.creditorId) : Accounts.merchantPayable(s.creditorId));
  /** What an account moved by since its last close. */
  const movement = async (account: string): Promise<bigint> => (await store.balance(account, 'EUR')) - (history.settledMinor.get(account) ?? 0n);

  it(`random charges and refunds across random carriers, zones, merchants and agreements: statements = the splits' sums = the ledger; netting keeps positions (${DB_RUNS.sqlite} runs on SQLite, ${DB_RUNS.postgres} on PostgreSQL)`, async () => {
    await fc.assert(fc.asyncProperty(runCase, async (c) => {
      const tag = `r${run}`;
      const period = periodOfRun(run);
      run += 1;
      const world = await seedRun(store, tag, c);
      for (const carrier of world.carriers) history.zoneOf.set(carrier.id, carrier.timeZone);
      for (const merchant of world.merchants) history.merchantAccounts.add(Accounts.merchantPayable(merchant.id));
      const items = await writeItems(store, tag, c, world, period, history);
      const closeAtMs = Math.max(...ZONES.map((zone) => periodBounds(period, zone).endMs)) + DAY_MS;
      const clock = new ManualClock(closeAtMs);
      const draft = await settlePeriod({ store, clock }, { period, close: false });
      assert.ok(draft.ok, draft.ok ? '' : `${draft.error.code}: ${draft.error.detail}`);
      const expected = expectedStatements(period, items, history.zoneOf);
      assert.deepEqual(draft.value.statements, expected, 'every statement equals the sums of its items\' splits');
      // The ledger: each statement's due is what its account moved by since the last close.
      for (const s of expected) assert.equal(await movement(accountOf(s)), -s.amountDueMinor, accountOf(s));
      let payableMinor = 0n;
      for (const account of history.merchantAccounts) payableMinor += await movement(account);
      assert.equal(expected.filter((s) => s.kind === 'merchant').reduce((sum, s) => sum + s.amountDueMinor, 0n), -payableMinor, 'merchant statements = every merchant\'s payable movement');
      // Netting.
      const positions = new Map<string, bigint>();
      for (const s of expected.filter((e) => e.kind === 'carrier')) {
        positions.set(s.debtorId, (positions.get(s.debtorId) ?? 0n) - s.amountDueMinor);
        positions.set(s.creditorId, (positions.get(s.creditorId) ?? 0n) + s.amountDueMinor);
      }
      assert.equal(draft.value.netting.length, positions.size === 0 ? 0 : 1);
      const netting = draft.value.netting[0];
      if (netting !== undefined) checkNetting(netting.positions, netting.transfers, positions);
      // Close, then the same bytes again.
      const closed = await settlePeriod({ store, clock }, { period, close: true });
      assert.ok(closed.ok, closed.ok ? '' : closed.error.detail);
      assert.deepEqual(JSON.parse(closed.value.json), { ...JSON.parse(draft.value.json), closed: true, closedAt: new Date(closeAtMs).toISOString() });
      const again = await settlePeriod({ store, clock: new ManualClock(closeAtMs + DAY_MS) }, { period, close: false });
      assert.ok(again.ok && again.value.json === closed.value.json, 'a closed period is served as stored');
      for (const s of expected) history.settledMinor.set(accountOf(s), await store.balance(accountOf(s), 'EUR'));
    // No shrinking: runs share the database, so a failed run's writes would leak into the shrunk ones.
    }), { numRuns: DB_RUNS[suite.target().name], endOnFailure: true });
    const report = await verifyLedger(suite.database().db, suite.database().dialect);
    assert.ok(report.ok, JSON.stringify(report.breaches.slice(0, 3)));
  });
});

// ---------------------------------------------------------------------------------------------
// (c) CSV

/**
 * The one change a round trip makes: a cell that a spreadsheet would run as a formula — its first
 * character is `=`, `+`, `-`, `@`, a tab or a carriage return — comes back with a `'` in front,
 * unless the whole cell is a plain number (an optional `-`, ASCII digits, optionally a `.` and
 * more digits: "-1.50" stays). Everything else, commas, quotes, line breaks, BOMs and any Unicode
 * included, comes back exactly.
 */
function neutralised(cell: string): string {
  const first = cell.charAt(0);
  const formula = first !== '' && '=+-@\t\r'.includes(first);
  return formula && !/^-?[0-9]+(\.[0-9]+)?$/.test(cell) ? `'${cell}` : cell;
}

const CSV_CHARS = ['a', 'Z', '7', '0', ' ', ',', '"', '\'', '\r', '\n', '\t', '=', '+', '-', '@', '.', 'é', '€', '😀', '\u2028', '\ufeff'];
const plainNumber = fc.tuple(fc.boolean(), fc.nat({ max: 100_000 }), fc.option(fc.nat({ max: 99 }), { nil: null }))
  .map(([minus, whole, cents]) => `${minus ? '-' : ''}${whole}${cents === null ? '' : `.${String(cents).padStart(2, '0')}`}`);
const csvCell = fc.oneof(fc.string({ unit: fc.constantFrom(...CSV_CHARS), maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), plainNumber);
/** At least one row and one cell a row: an empty row and an empty file both write as an empty line, read back as one empty cell. */
const csvRows = fc.array(fc.array(csvCell, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 });

/** Cuts a text at the given places (duplicates make empty chunks; a surrogate pair may be cut in two). */
function chunksOf(text: string, cuts: readonly number[]): string[] {
  const places = [...cuts.map((cut) => cut % (text.length + 1))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const place of places) { chunks.push(text.slice(from, place)); from = place; }
  chunks.push(text.slice(from));
  return chunks;
}

function readStreaming(chunks: readonly string[]): ReturnType<typeof parseCsv> {
  const reader = new CsvReader();
  const rows = chunks.flatMap((chunk) => reader.push(chunk));
  const rest = reader.end();
  return rest.ok ? { ok: true, value: [...rows, ...rest.value] } : rest;
}

describe('settlement properties: CSV', () => {
  it(`csv: parseCsv(toCsv(rows)) = rows, formula cells prefixed with ' and plain numbers kept, with or without a BOM (${RUNS} runs)`, () => {
    fc.assert(fc.property(csvRows, fc.boolean(), (rows, bom) => {
      const parsed = parseCsv(toCsv(rows, { bom }));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value, rows.map((row) => row.map(neutralised)));
    }), { numRuns: RUNS });
  });

  it('csv: the neutralisation, by example', () => {
    const cells = ['-1.50', '12', '-0', '-x', '+1', '=SUM(A1)', '@cmd', '\t1', '\r', '-', '-.5', '1e5', '--1', ' =1', '\'=1'];
    const parsed = parseCsv(toCsv([cells]));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, [['-1.50', '12', '-0', '\'-x', '\'+1', '\'=SUM(A1)', '\'@cmd', '\'\t1', '\'\r', '\'-', '\'-.5', '1e5', '\'--1', ' =1', '\'=1']]);
  });

  it(`csv: the streaming reader gives parseCsv's rows whatever the chunk boundaries, for toCsv output and for any text (${RUNS} runs each)`, () => {
    const cuts = fc.array(fc.nat(), { maxLength: 12 });
    fc.assert(fc.property(csvRows, fc.boolean(), cuts, (rows, bom, at) => {
      const text = toCsv(rows, { bom });
      assert.deepEqual(readStreaming(chunksOf(text, at)), parseCsv(text));
    }), { numRuns: RUNS });
    const anyText = fc.string({ unit: fc.constantFrom(...CSV_CHARS), maxLength: 60 });
    fc.assert(fc.property(anyText, cuts, (text, at) => {
      assert.deepEqual(readStreaming(chunksOf(text, at)), parseCsv(text));
    }), { numRuns: RUNS });
  });
});
