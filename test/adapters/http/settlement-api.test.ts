/**
 * Agreements and settlement over real HTTP (issue 6 §1–2), on SQLite and PostgreSQL: agreement
 * versions and their refusals, sessions run through the API, a draft, a close after the month is
 * over in every zone, the closed run served byte for byte, the CSV export read back to the same
 * figures, and who sees which statement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyLedger } from '../../../src/adapters/store/index.ts';
import {
  assembleStatements, parseCsv, STATEMENT_CSV_COLUMNS, type Statement, statementFromJson, statementJson, statementsCsv, ZERO_TOTALS,
} from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z'); // Tuesday 10:00 in Paris
/** Sessions here end when the test says: no proof-of-life traffic needed. */
const LIVENESS_GRACE_MS = 24 * 3_600_000;
/** October 2026 ends at 2026-10-31T23:00Z in Paris and Brussels, the demo carriers' zones. */
const AFTER_OCTOBER_MS = Date.parse('2026-11-02T08:00:00Z');

const MERCHANT_OF: Readonly<Record<string, string>> = { off_windows_help: 'mer_depannage_pc', off_legal_advice: 'mer_conseil_juridique' };

const ORANGE_SFR = 'stm_2026-10_carrier_car_orange_car_sfr';
const SFR_ORANGE = 'stm_2026-10_carrier_car_sfr_car_orange';
const ORANGE_DEPANNAGE = 'stm_2026-10_merchant_car_orange_mer_depannage_pc';
const SFR_CONSEIL = 'stm_2026-10_merchant_car_sfr_mer_conseil_juridique';

function expect(result: CallResult, status: number, what: string): CallResult {
  assert.equal(result.status, status, `${what}: ${result.text}`);
  return result;
}

const ids = (report: any): string[] => (report.statements as { id: string }[]).map((s) => s.id).sort();
const statementOf = (report: any, id: string): any => (report.statements as { id: string }[]).find((s) => s.id === id);
const rules = (result: CallResult): string[] => (result.body.errors as { rule: string }[]).map((e) => e.rule);

describeEachDatabase('api: agreements and settlement', ({ target }) => {
  let h: HttpHarness;
  const charges: Record<string, string> = {};
  before(async () => { h = await startHarness(target().config(), START_MS, LIVENESS_GRACE_MS); });
  after(async () => { await h.server.stop(); });

  const orange = (): string => h.key('car_orange');
  const sfr = (): string => h.key('car_sfr');
  const bouygues = (): string => h.key('car_bouygues');

  /** Quote, consent, connect, `seconds` metered, end by the advisor: the charge id. */
  async function session(offerId: string, subscriber: string, seconds: number): Promise<string> {
    const merchant = h.key(MERCHANT_OF[offerId] ?? '?');
    const quote = expect(await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId, subscriberId: h.subscriber(subscriber) } }), 201, 'quote');
    const consent = expect(await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: quote.body.capAllowed, accepted: true },
    }), 201, 'consent');
    expect(await h.call('POST', `/v1/sessions/${consent.body.id as string}/connect`, { token: merchant }), 200, 'connect');
    await h.clock.advanceBy(seconds * 1000);
    const ended = expect(await h.call('POST', `/v1/sessions/${consent.body.id as string}/end`, { token: merchant }), 200, 'end');
    assert.equal(typeof ended.body.chargeId, 'string', 'the session was billed');
    return ended.body.chargeId as string;
  }

  const orangeSfr = (fields: Record<string, unknown>) => ({
    kind: 'carrier', billingCarrierId: 'car_orange', hostingCarrierId: 'car_sfr', collectionFeeRate: '0.15', badDebtRate: '0.02', ...fields,
  });

  it('agreements: a new version closes the one in force where it starts; GET lists the operator\'s versions', async () => {
    const added = expect(await h.call('POST', '/v1/agreements', {
      token: orange(), body: orangeSfr({ effectiveFrom: '2026-10-10T00:00:00+02:00', interconnectPerMinute: '0.01' }),
    }), 201, 'add');
    assert.equal(added.body.effectiveFrom, '2026-10-09T22:00:00.000Z');
    assert.equal(added.body.effectiveTo, null);
    assert.deepEqual([added.body.collectionFeeRate, added.body.badDebtRate, added.body.interconnectPerMinute, added.body.currency], ['0.15', '0.02', '0.01', 'EUR']);
    const listed = expect(await h.call('GET', '/v1/agreements', { token: orange() }), 200, 'list').body.items as any[];
    const pair = listed.filter((a) => a.billingCarrierId === 'car_orange' && a.hostingCarrierId === 'car_sfr');
    assert.deepEqual(pair.map((a): unknown[] => [a.effectiveFrom, a.effectiveTo]), [
      ['2025-12-31T23:00:00.000Z', '2026-10-09T22:00:00.000Z'], ['2026-10-09T22:00:00.000Z', null],
    ], 'no gap, no overlap');
    assert.ok(listed.every((a) => a.billingCarrierId === 'car_orange' || a.hostingCarrierId === 'car_orange'), 'only the operator\'s own');
    assert.ok(listed.some((a) => a.merchantId === 'mer_depannage_pc'), 'the merchants it hosts');
    assert.ok(!listed.some((a) => a.merchantId === 'mer_conseil_juridique'), 'not another host\'s merchants');
  });

  it('agreements: overlap, gap, back-dated, a share above 100 %, both or neither way to pay the merchant → 422 agreement_invalid', async () => {
    const refused = async (body: unknown, rule: string, token = orange()): Promise<void> => {
      const result = expect(await h.call('POST', '/v1/agreements', { token, body }), 422, rule);
      assert.equal(result.body.code, 'agreement_invalid');
      assert.ok(rules(result).includes(rule), `${rule} in ${result.text}`);
    };
    await refused(orangeSfr({ effectiveFrom: '2026-10-08T00:00:00+02:00' }), 'overlap');
    await refused(orangeSfr({ effectiveFrom: '2026-10-10T00:00:00+02:00' }), 'overlap');
    await refused(orangeSfr({ effectiveFrom: '2026-10-20T00:00:00+02:00', collectionFeeRate: '1.5' }), 'share_range');
    await refused(orangeSfr({ effectiveFrom: '2026-10-20T00:00:00+02:00', collectionFeeRate: '0.9', badDebtRate: '0.2' }), 'share_range');
    await refused({ kind: 'carrier', billingCarrierId: 'car_orange', hostingCarrierId: 'car_bouygues', effectiveFrom: '2026-10-01T00:00:00+02:00', collectionFeeRate: '0.1', badDebtRate: '0' }, 'not_retroactive');
    const merchant = { kind: 'merchant', merchantId: 'mer_depannage_pc' };
    await refused({ ...merchant, effectiveFrom: '2026-10-20T00:00:00+02:00', merchantShareRate: '0.7', wholesalePerMinute: '0.30' }, 'one_of');
    await refused({ ...merchant, effectiveFrom: '2026-10-20T00:00:00+02:00' }, 'one_of');
    await refused({ ...merchant, effectiveFrom: '2026-10-20T00:00:00+02:00', merchantShareRate: '1.01' }, 'share_range');
    // A version with an end, then one that starts after it: a gap; where it ends: accepted.
    expect(await h.call('POST', '/v1/agreements', {
      token: orange(), body: { ...merchant, effectiveFrom: '2026-10-20T00:00:00+02:00', effectiveTo: '2026-12-01T00:00:00+01:00', merchantShareRate: '0.72' },
    }), 201, 'a version with an end');
    await refused({ ...merchant, effectiveFrom: '2026-12-05T00:00:00+01:00', wholesalePerMinute: '0.30' }, 'gap');
    await refused({ ...merchant, effectiveFrom: '2026-11-05T00:00:00+01:00', wholesalePerMinute: '0.30' }, 'overlap');
    const next = expect(await h.call('POST', '/v1/agreements', {
      token: orange(), body: { ...merchant, effectiveFrom: '2026-12-01T00:00:00+01:00', wholesalePerMinute: '0.30' },
    }), 201, 'the next version, where the last one ends');
    assert.deepEqual([next.body.merchantShareRate, next.body.wholesalePerMinute, next.body.currency], [null, '0.30', 'EUR']);
  });

  it('agreements: only a party may publish (404 like a stranger), only an operator (403), dates with their offset (400)', async () => {
    const carrier = expect(await h.call('POST', '/v1/agreements', { token: bouygues(), body: orangeSfr({ effectiveFrom: '2026-10-20T00:00:00+02:00' }) }), 404, 'not a party');
    assert.equal(carrier.body.code, 'carrier_not_found');
    const merchant = expect(await h.call('POST', '/v1/agreements', {
      token: sfr(), body: { kind: 'merchant', merchantId: 'mer_depannage_pc', effectiveFrom: '2026-10-20T00:00:00+02:00', merchantShareRate: '0.5' },
    }), 404, 'not the host');
    assert.equal(merchant.body.code, 'merchant_not_found');
    expect(await h.call('POST', '/v1/agreements', { token: h.key('mer_depannage_pc'), body: orangeSfr({ effectiveFrom: '2026-10-20T00:00:00+02:00' }) }), 403, 'merchant key');
    const noOffset = expect(await h.call('POST', '/v1/agreements', { token: orange(), body: orangeSfr({ effectiveFrom: '2026-10-20T00:00:00' }) }), 400, 'no offset');
    assert.equal(noOffset.body.code, 'validation_failed');
  });

  it('sessions of October, through the API, under the versions in force when they end', async () => {
    charges['aliceLegal'] = await session('off_legal_advice', 'Alice', 120); // Orange bills, SFR hosts: old terms, no interconnect
    charges['brunoWindows'] = await session('off_windows_help', 'Bruno', 180); // SFR bills, Orange hosts
    await h.clock.advanceTo(Date.parse('2026-10-12T08:00:00Z'));
    charges['aliceLegal2'] = await session('off_legal_advice', 'Alice', 300); // new Orange ↔ SFR terms: 0.01 per billed minute
    charges['aliceWindows'] = await session('off_windows_help', 'Alice', 60); // on-net: Orange bills and hosts
    expect(await h.call('POST', `/v1/charges/${charges['aliceLegal']}/refunds`, { token: orange(), body: { amount: '0.10', reason: 'goodwill' } }), 201, 'refund');
  });

  it('the charge shows its split, each of the billing carrier\'s parts apart (and so does /openapi.json)', async () => {
    // 300 s at 0.80 €/min = 4.00, VAT 0.67, net 3.33 split 15 % / 2 % / 65 % / rest: 49.95, 6.66, 216.45, 59.94 → floors
    // 49, 6, 216, 59 and three cents by largest remainder (.95, .94, .66) → 0.50, 0.07, 2.16, 0.60; the interconnect,
    // 5 billed minutes at 0.01, comes out of the rest: hosting 0.55; the billing carrier keeps 0.50 + 0.07 + 0.05 = 0.62.
    const charge = expect(await h.call('GET', `/v1/charges/${charges['aliceLegal2'] ?? ''}`, { token: orange() }), 200, 'charge');
    assert.deepEqual(charge.body.split, {
      gross: '4.00', vat: '0.67', net: '3.33', billingCarrierFee: '0.62', collectionFee: '0.50', badDebtAllowance: '0.07', interconnect: '0.05',
      hostingCarrierShare: '0.55', merchantShare: '2.16', interCarrier: true,
    });
    // The charge's response schema in /openapi.json, generated from the same zod schema: the object that describes its split.
    const openApi = expect(await h.call('GET', '/openapi.json'), 200, 'openapi').body;
    const splitSchema = (node: unknown): { properties: object } | undefined => {
      if (typeof node !== 'object' || node === null) return undefined;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      if (properties !== undefined && 'billingCarrierFee' in properties) return node as { properties: object };
      for (const child of Object.values(node)) {
        const found = splitSchema(child);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    assert.deepEqual(Object.keys(splitSchema(openApi.paths['/v1/charges/{id}'].get.responses['200'])?.properties ?? {}), [
      'gross', 'vat', 'net', 'billingCarrierFee', 'collectionFee', 'badDebtAllowance', 'interconnect', 'hostingCarrierShare', 'merchantShare', 'interCarrier',
    ]);
  });

  it('a draft: each operator sees the statements its carrier is a party to and its own netting, nothing else', async () => {
    const asOrange = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period: '2026-10' } }), 200, 'draft');
    assert.equal(asOrange.body.id, 'set_2026-10');
    assert.equal(asOrange.body.closed, false);
    assert.equal(asOrange.body.closedAt, null);
    assert.deepEqual(ids(asOrange.body), [ORANGE_DEPANNAGE, ORANGE_SFR, SFR_ORANGE].sort());
    const orangeSfr = statementOf(asOrange.body, ORANGE_SFR);
    assert.equal(orangeSfr.charges.count, 2);
    assert.equal(orangeSfr.charges.interconnect, '0.05', '300 s at 0.01 per minute; the first session had no interconnect');
    assert.equal(orangeSfr.refunds.count, 1);
    assert.equal(orangeSfr.refunds.gross, '0.10');
    assert.deepEqual((asOrange.body.netting as { positions: { carrierId: string }[] }[]).map((n) => n.positions.map((p) => p.carrierId)), [['car_orange']]);
    const asSfr = expect(await h.call('POST', '/v1/settlements', { token: sfr(), body: { period: '2026-10', close: false } }), 200, 'draft as SFR');
    assert.deepEqual(ids(asSfr.body), [ORANGE_SFR, SFR_CONSEIL, SFR_ORANGE].sort());
    assert.deepEqual(statementOf(asSfr.body, ORANGE_SFR), orangeSfr, 'both parties see the same statement');
    const asBouygues = expect(await h.call('GET', '/v1/settlements/set_2026-10', { token: bouygues() }), 200, 'draft as Bouygues');
    assert.deepEqual([asBouygues.body.statements, asBouygues.body.netting], [[], []]);
    assert.ok(!asBouygues.text.includes('car_orange') && !asBouygues.text.includes('mer_'), 'not a word of the others');
  });

  it('refusals: period_invalid (400), period_not_over (409) before the month ended in every zone, nothing closed', async () => {
    for (const period of ['2026-13', 'oct', '2026-1', '']) {
      const invalid = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period } }), 400, period);
      assert.equal(invalid.body.code, 'period_invalid');
    }
    await h.clock.advanceTo(Date.parse('2026-10-31T22:59:59.999Z')); // 23:59:59.999 in Paris
    const early = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period: '2026-10', close: true } }), 409, 'too early');
    assert.equal(early.body.code, 'period_not_over');
    assert.equal(await h.server.storage.store.getSettlementRun({ period: '2026-10' }), null);
    expect(await h.call('GET', '/v1/settlements/set_2026-13', { token: orange() }), 404, 'no such run');
    expect(await h.call('GET', '/v1/settlements/nope', { token: orange() }), 404, 'not a run id');
    expect(await h.call('GET', '/v1/settlements/set_2026-10', { token: h.key('mer_depannage_pc') }), 403, 'merchants read statements, not runs');
  });

  it('close after the month: the run is stored, served again byte for byte, and a closed statement is its stored bytes', async () => {
    await h.clock.advanceTo(AFTER_OCTOBER_MS);
    const closed = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period: '2026-10', close: true } }), 200, 'close');
    assert.equal(closed.body.closed, true);
    assert.equal(closed.body.closedAt, new Date(AFTER_OCTOBER_MS).toISOString());
    const first = expect(await h.call('GET', '/v1/settlements/set_2026-10', { token: orange() }), 200, 'GET');
    const second = expect(await h.call('GET', '/v1/settlements/set_2026-10', { token: orange() }), 200, 'GET again');
    assert.equal(second.text, first.text, 'byte for byte');
    assert.equal(first.text, closed.text);
    assert.equal(expect(await h.call('GET', '/v1/settlements/set_2026-10.json', { token: orange() }), 200, '.json').text, first.text);
    await h.clock.advanceBy(86_400_000);
    const again = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period: '2026-10', close: true } }), 200, 'close again');
    assert.equal(again.text, first.text, 'closing again changes nothing, even a day later');
    const store = h.server.storage.store;
    const run = await store.getSettlementRun({ id: 'set_2026-10' });
    assert.ok(run !== null);
    const stored = JSON.parse(run.reportJson);
    assert.deepEqual(first.body, { ...stored, statements: (stored.statements as { id: string }[]).filter((s) => s.id !== SFR_CONSEIL), netting: first.body.netting },
      'the operator\'s view is the stored run without the statements it is not a party to');
    for (const id of [ORANGE_SFR, ORANGE_DEPANNAGE]) {
      const statement = expect(await h.call('GET', `/v1/statements/${id}`, { token: orange() }), 200, id);
      assert.equal(statement.text, (await store.getStatement(id))?.bodyJson, `${id}: the stored bytes`);
      assert.equal(statement.headers.get('palier-run-status'), 'closed');
    }
    assert.ok((await verifyLedger(h.server.storage.database.db, h.server.storage.database.dialect)).ok, 'the ledger verifies clean');
  });

  it('CSV: RFC 4180 text/csv that parses back to the JSON figures; ?bom=1 starts with a UTF-8 BOM', async () => {
    const json = expect(await h.call('GET', '/v1/settlements/set_2026-10', { token: sfr() }), 200, 'json').body;
    const csv = expect(await h.call('GET', '/v1/settlements/set_2026-10.csv', { token: sfr() }), 200, 'csv');
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="set_2026-10.csv"/);
    assert.ok(csv.text.endsWith('\r\n') && !csv.text.startsWith('\ufeff'));
    const parsed = parseCsv(csv.text);
    assert.ok(parsed.ok);
    const [header, ...rows] = parsed.value;
    assert.deepEqual(header, [...STATEMENT_CSV_COLUMNS]);
    assert.equal(rows.length, json.statements.length);
    for (const [index, s] of (json.statements as any[]).entries()) {
      const row = Object.fromEntries(STATEMENT_CSV_COLUMNS.map((column, i) => [column, rows[index]?.[i]]));
      assert.deepEqual(row, {
        ...row, statement_id: s.id, period: '2026-10', kind: s.kind, debtor: s.debtorId, creditor: s.creditorId, currency: s.currency,
        sessions: String(s.charges.count), billed_seconds: s.charges.billedSeconds, billed_minutes: s.charges.billedMinutes, gross: s.charges.gross,
        vat: s.charges.vat, net: s.charges.net, collection_fee: s.charges.collectionFee, bad_debt_allowance: s.charges.badDebtAllowance,
        interconnect: s.charges.interconnect, hosting_share: s.charges.hostingShare, merchant_share: s.charges.merchantShare,
        refunds_count: String(s.refunds.count), refunds_gross: s.refunds.gross, amount_due: s.amountDue, status: 'closed', closed_at: json.closedAt,
      });
    }
    const bom = await fetch(`${h.server.url}/v1/settlements/set_2026-10.csv?bom=1`, { headers: { authorization: `Bearer ${sfr()}` } });
    const bytes = new Uint8Array(await bom.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), `\ufeff${csv.text}`);
    const one = expect(await h.call('GET', `/v1/statements/${ORANGE_SFR}.csv`, { token: sfr() }), 200, 'statement csv');
    assert.equal(one.text.split('\r\n')[1], csv.text.split('\r\n').find((line) => line.startsWith(`${ORANGE_SFR},`)));
  });

  it('a refund after the close lands in November as an adjustment of October: a negative amount due stays a number in the CSV', async () => {
    expect(await h.call('POST', `/v1/charges/${charges['aliceLegal2'] ?? ''}/refunds`, { token: orange(), body: { reason: 'late complaint' } }), 201, 'late refund');
    const november = expect(await h.call('POST', '/v1/settlements', { token: orange(), body: { period: '2026-11' } }), 200, 'November draft').body;
    const statement = statementOf(november, 'stm_2026-11_carrier_car_orange_car_sfr');
    assert.equal(statement.adjustments.length, 1);
    assert.equal(statement.adjustments[0].period, '2026-10');
    assert.equal(statement.adjustments[0].refunds.count, 1);
    assert.match(statement.amountDue, /^-[0-9]+\.[0-9]{2}$/, 'SFR owes Orange back');
    const csv = expect(await h.call('GET', '/v1/settlements/set_2026-11.csv', { token: orange() }), 200, 'November csv');
    const parsed = parseCsv(csv.text);
    assert.ok(parsed.ok);
    const row = parsed.value.find((r) => r[0] === statement.id);
    const at = (column: (typeof STATEMENT_CSV_COLUMNS)[number]): string | undefined => row?.[STATEMENT_CSV_COLUMNS.indexOf(column)];
    assert.deepEqual([at('amount_due'), at('adjustments_count'), at('adjustments_due'), at('status'), at('closed_at')], [statement.amountDue, '1', statement.amountDue, 'draft', '']);
    const draft = expect(await h.call('GET', `/v1/statements/${statement.id as string}`, { token: sfr() }), 200, 'a draft statement');
    assert.equal(draft.headers.get('palier-run-status'), 'draft');
    assert.deepEqual(draft.body, statement);
  });

  it('scope: merchants read their own merchant statements; other carriers and merchants get 404 like a statement that does not exist', async () => {
    const depannage = h.key('mer_depannage_pc');
    expect(await h.call('GET', `/v1/statements/${ORANGE_DEPANNAGE}`, { token: depannage }), 200, 'own merchant statement');
    expect(await h.call('GET', `/v1/statements/${ORANGE_DEPANNAGE}.csv`, { token: depannage }), 200, 'own merchant statement, CSV');
    const cases: [string, string][] = [
      [SFR_CONSEIL, depannage], [ORANGE_DEPANNAGE, h.key('mer_conseil_juridique')], [ORANGE_SFR, depannage], [ORANGE_SFR, bouygues()],
      [SFR_CONSEIL, orange()], [ORANGE_DEPANNAGE, sfr()], ['stm_2026-10_carrier_car_free_car_sfr', sfr()], ['stm_nonsense', orange()],
      ['stm_2026-11_merchant_car_sfr_mer_conseil_juridique', orange()],
    ];
    for (const [id, token] of cases) {
      const refused = expect(await h.call('GET', `/v1/statements/${id}`, { token }), 404, id);
      assert.equal(refused.body.code, 'statement_not_found');
      expect(await h.call('GET', `/v1/statements/${id}.csv`, { token }), 404, `${id}.csv`);
    }
  });

  it('the OpenAPI document lists the routes, the CSV ones as text/csv', async () => {
    const doc = expect(await h.call('GET', '/openapi.json'), 200, 'openapi').body;
    for (const path of ['/v1/agreements', '/v1/settlements', '/v1/settlements/{id}', '/v1/settlements/{id}.json', '/v1/statements/{id}']) assert.ok(doc.paths[path], path);
    assert.ok(doc.paths['/v1/settlements/{id}.csv'].get.responses['200'].content['text/csv']);
  });
});

describe('settlement CSV (domain): formula neutralisation, numbers left alone, JSON read back', () => {
  const totals = { ...ZERO_TOTALS, count: 1, billedSeconds: 90n, grossMinor: 120n, vatMinor: 20n, netMinor: 100n, hostingShareMinor: 30n, merchantShareMinor: 70n };
  const statements: Statement[] = assembleStatements('2026-10', [
    { kind: 'merchant', debtorId: '=HYPERLINK("http://evil.example","x")', creditorId: '@SUM(A1:A9)', currency: 'EUR', itemType: 'charge', homePeriod: '2026-10', totals },
    { kind: 'merchant', debtorId: '+cmd', creditorId: '-2+3', currency: 'EUR', itemType: 'refund', homePeriod: '2026-09', totals },
  ]);

  it('cells starting with = + - @ become text with a leading quote; "-0.70" stays a number', () => {
    const parsed = parseCsv(statementsCsv(statements, { closedAt: null }));
    assert.ok(parsed.ok);
    const cells = parsed.value.slice(1).map((row) => [row[3], row[4], row[STATEMENT_CSV_COLUMNS.indexOf('amount_due')]]);
    assert.deepEqual(cells, [
      ["'+cmd", "'-2+3", '-0.70'],
      ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(A1:A9)", '0.70'],
    ]);
  });

  it('statementFromJson reads back exactly what statementJson wrote', () => {
    for (const statement of statements) assert.deepEqual(statementFromJson(JSON.parse(JSON.stringify(statementJson(statement)))), statement);
  });
});
