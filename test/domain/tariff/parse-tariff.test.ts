import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalTariffJson, parseTariff, PROFILES, type Violation } from '../../../src/domain/index.ts';
import { fixtureTariff, readJson } from '../../support/fixtures.ts';

const minimal = { currency: 'EUR', vatRate: '0.20', tiers: [{ fromSecond: 0, price: '0.34', perSeconds: 60, incrementSeconds: 60 }] };

function violations(input: unknown, options = {}): Violation[] {
  const parsed = parseTariff(input, options);
  if (parsed.ok) assert.fail('expected the tariff to be refused');
  return parsed.error;
}

const rules = (list: Violation[]): string[] => list.map((v) => `${v.field}:${v.rule}`);

describe('tariff: parsing format v1', () => {
  it('fills defaults: VAT included, no fee, half-up to the cent, minitel-kiosque', () => {
    const parsed = parseTariff(minimal);
    assert.ok(parsed.ok);
    const tariff = parsed.value;
    assert.equal(tariff.pricesIncludeVat, true);
    assert.equal(tariff.connectionFee.toString(), '0.00');
    assert.deepEqual(tariff.rounding, { mode: 'half-up', decimals: 2 });
    assert.equal(tariff.profile, 'minitel-kiosque');
    assert.match(tariff.hash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(Object.isFrozen(tariff) && Object.isFrozen(tariff.tiers));
  });

  it('the hash is of the canonical form: defaults spelled out or not, "0.34" or "0.340", same hash', () => {
    const a = parseTariff(minimal);
    const b = parseTariff({ ...readJson('tariffs/kiosque-3615.json') as object, tiers: [{ fromSecond: 0, price: '0.340', perSeconds: 60, incrementSeconds: 60 }] });
    assert.ok(a.ok && b.ok);
    assert.equal(a.value.hash, b.value.hash);
    assert.equal(canonicalTariffJson(a.value), canonicalTariffJson(b.value));
    const reparsed = parseTariff(JSON.parse(canonicalTariffJson(a.value)));
    assert.ok(reparsed.ok);
    assert.equal(reparsed.value.hash, a.value.hash);
  });

  it('a different price is a different version', () => {
    const a = parseTariff(minimal);
    const b = parseTariff({ ...minimal, tiers: [{ fromSecond: 0, price: '0.35', perSeconds: 60, incrementSeconds: 60 }] });
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.value.hash, b.value.hash);
  });

  it('amounts as JSON numbers are refused, naming the field', () => {
    assert.deepEqual(rules(violations({ ...minimal, connectionFee: 0.5 })), ['connectionFee:type']);
  });

  it('reports every structural violation with field and rule', () => {
    const found = rules(violations({
      currency: 'EUR', vatRate: '-0.2', freeSeconds: 1.5, extra: true,
      tiers: [{ fromSecond: 0, price: '1e3', perSeconds: 0, incrementSeconds: 60 }],
      rounding: { mode: 'bankers', decimals: 2 },
    }));
    assert.deepEqual(found.sort(), [
      'extra:unknown_field', 'freeSeconds:type', 'rounding.mode:enum', 'tiers[0].perSeconds:min', 'tiers[0].price:format', 'vatRate:format',
    ].sort());
  });

  it('a missing field is "required"', () => {
    assert.deepEqual(rules(violations({ currency: 'EUR', tiers: [] })), ['vatRate:required']);
  });

  it('reports the rules that span fields', () => {
    const found = rules(violations({
      currency: 'XXX', vatRate: '1.5',
      tiers: [{ fromSecond: 10, price: '1', perSeconds: 60, incrementSeconds: 1 }, { fromSecond: 5, price: '1', perSeconds: 60, incrementSeconds: 1 }],
      bands: [{ name: 'n', timeZone: 'Mars/Olympus', days: [1, 1], from: '10:00', to: '10:00', priority: 1, tiers: [{ fromSecond: 0, price: '1', perSeconds: 60, incrementSeconds: 1 }] }],
      maxCost: { amount: '1.234', strategy: 'free' },
    }));
    assert.deepEqual(found, [
      'currency:currency_unknown', 'vatRate:max', 'tiers[0].fromSecond:tiers_start_at_zero', 'tiers[1].fromSecond:tiers_order',
      'bands[0].timeZone:time_zone', 'bands[0].days:days_unique', 'bands[0].to:band_empty', 'maxCost.amount:max_cost_precision',
    ]);
  });

  it('a ticket without includedSeconds cannot have tiers; a tariff without a ticket needs them', () => {
    assert.deepEqual(rules(violations({ ...minimal, flatPrice: { amount: '3.00', includedSeconds: null } })), ['tiers:flat_tiers_unreachable']);
    assert.deepEqual(rules(violations({ ...minimal, tiers: [] })), ['tiers:tiers_required']);
  });

  it('refuses prices with more than 6 decimals and above the amount limit', () => {
    assert.deepEqual(rules(violations({ ...minimal, connectionFee: '0.1234567' })), ['connectionFee:precision']);
    assert.deepEqual(rules(violations({ ...minimal, connectionFee: '1000000.01' })), ['connectionFee:max']);
  });
});

describe('tariff: jurisdiction profiles', () => {
  it('fr-sva-2015: a connection fee, two tiers and a band are three reasons', () => {
    const tiers = [{ fromSecond: 0, price: '0.80', perSeconds: 60, incrementSeconds: 1 }, { fromSecond: 60, price: '0.50', perSeconds: 60, incrementSeconds: 1 }];
    const bands = [{ name: 'nuit', timeZone: 'Europe/Paris', days: [1], from: '20:00', to: '08:00', priority: 1, tiers: [{ ...tiers[0], price: '0.50' }] }];
    const found = violations({ currency: 'EUR', vatRate: '0.20', connectionFee: '0.50', tiers, bands, profile: 'fr-sva-2015' });
    assert.deepEqual(rules(found), ['connectionFee:sva_no_connection_fee', 'bands:sva_no_time_variation', 'tiers:sva_single_tier']);
  });

  it('fr-sva-2015: per second from the first second, face values in cents, 089x ceiling', () => {
    const found = violations({
      currency: 'EUR', vatRate: '0.20', minimumSeconds: 30, profile: 'fr-sva-2015',
      tiers: [{ fromSecond: 0, price: '0.815', perSeconds: 60, incrementSeconds: 60 }],
    });
    assert.deepEqual(rules(found), [
      'minimumSeconds:sva_per_second_from_first', 'tiers[0].incrementSeconds:sva_per_second_from_first',
      'tiers[0].price:sva_face_value_cents', 'tiers[0].price:sva_price_ceiling',
    ]);
  });

  it('fr-sva-2015: per call up to 3.00 € on 089x, 0.50 € on 082x', () => {
    const ticket = readJson('tariffs/sva-089-per-call.json');
    assert.ok(parseTariff(ticket).ok);
    assert.deepEqual(rules(violations(ticket, { svaNumberRange: '082' })), ['flatPrice.amount:sva_price_ceiling']);
  });

  it('fr-carrier-billing: maxCost over 50 € per session is refused; in GBP the currency is wrong', () => {
    const base = { ...minimal, profile: 'fr-carrier-billing' };
    assert.deepEqual(rules(violations({ ...base, maxCost: { amount: '60.00', strategy: 'disconnect' } })), ['maxCost.amount:session_ceiling']);
    assert.deepEqual(rules(violations({ ...base, currency: 'GBP' })), ['currency:profile_currency']);
    assert.equal(PROFILES['fr-carrier-billing'].monthlyAmountMax?.toString(), '300.00');
  });

  it('uk-phone-paid: £40 per transaction, £240 per month', () => {
    assert.equal(PROFILES['uk-phone-paid'].sessionAmountMax?.toString(), '40.00');
    assert.equal(PROFILES['uk-phone-paid'].monthlyAmountMax?.toString(), '240.00');
    assert.deepEqual(rules(violations({ ...minimal, currency: 'GBP', profile: 'uk-phone-paid', flatPrice: { amount: '45.00', includedSeconds: 60 } })),
      ['flatPrice.amount:session_ceiling']);
  });

  it('every fixture tariff complies with the profile it names', () => {
    for (const name of ['kiosque-3615', 'kiosque-3617', 'kiosque-paliers', 'sva-089-per-second', 'sva-089-per-call', 'contact-plus-like',
      'expert-ticket', 'audiotel-0899-1999', 'uk-phone-paid']) {
      assert.ok(fixtureTariff(name).hash.startsWith('sha256:'), name);
    }
  });

  it('the 1999 Audiotel grid (1.35 € per call + 0.34 €/min) would be illegal after the 2015 reform', () => {
    assert.deepEqual(rules(violations(readJson('tariffs/audiotel-0899-1999.json'), { profile: 'fr-sva-2015' })), ['connectionFee:sva_no_connection_fee']);
  });
});
