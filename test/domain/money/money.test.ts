import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocate, allocateMinorUnits, formatMoney, minorUnitExponent, Money, Rate, roundDiv, roundDivThreshold } from '../../../src/domain/index.ts';

describe('money: construction', () => {
  it('builds from decimal strings and bigints only', () => {
    assert.equal(Money.of('12.34', 'EUR').toMinorUnits(), 1234n);
    assert.equal(Money.fromMinorUnits(1234n, 'EUR').toString(), '12.34');
    assert.equal(Money.fromMinorUnits(5n, 'JPY').toString(), '5');
    assert.equal(Money.fromMinorUnits(1234n, 'TND').toString(), '1.234');
  });

  it('refuses every JS number at run time (and at compile time)', () => {
    fc.assert(fc.property(fc.double(), (value) => {
      // @ts-expect-error a number is not money
      assert.throws(() => Money.of(value, 'EUR'), TypeError);
      // @ts-expect-error a number is not a rate
      assert.throws(() => Rate.of(value), TypeError);
    }), { numRuns: 1000 });
  });

  it('refuses exponent notation, "+", spaces, empty and overlong strings', () => {
    for (const bad of ['1e3', '+1', ' 1', '1.', '.5', '', '01', '1,5', 'NaN', 'Infinity', '9'.repeat(41)]) {
      assert.throws(() => Money.of(bad, 'EUR'), RangeError, bad);
    }
  });

  it('minor-unit exponents come from the ISO 4217 table', () => {
    assert.deepEqual(['EUR', 'GBP', 'JPY', 'TND', 'XOF', 'KWD'].map((c) => minorUnitExponent(c as 'EUR')), [2, 2, 0, 3, 0, 3]);
  });

  it('toString keeps at least the minor unit and every significant decimal', () => {
    assert.equal(Money.of('0.7', 'EUR').toString(), '0.70');
    assert.equal(Money.of('0.7000', 'EUR').toString(), '0.70');
    assert.equal(Money.of('0.1234', 'EUR').toString(), '0.1234');
    assert.equal(Money.of('-3', 'EUR').toString(), '-3.00');
  });

  it('amounts built from scaled integers print like decimals: trailing zeros down to the minor unit', () => {
    assert.equal(Money.fromScaledInteger(7000n, 4, 'EUR').toString(), '0.70');
    assert.equal(Money.fromScaledInteger(-7000n, 4, 'EUR').toString(), '-0.70');
    assert.equal(Money.fromScaledInteger(0n, 4, 'EUR').toString(), '0.00');
    assert.equal(Money.fromScaledInteger(5000n, 3, 'JPY').toString(), '5');
    assert.equal(Money.fromScaledInteger(5120n, 3, 'JPY').toString(), '5.12');
    assert.equal(Money.fromScaledInteger(5n, 0, 'JPY').toString(), '5');
    assert.equal(Money.fromScaledInteger(5n, 0, 'EUR').toString(), '5.00');
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }), fc.constantFrom('EUR', 'JPY', 'TND' as const), (scaled, decimals, currency) => {
      const viaDecimal = Money.fromFraction(scaled, 10n ** BigInt(decimals), currency);
      const viaScaled = Money.fromScaledInteger(scaled, decimals, currency);
      assert.equal(viaScaled.toString(), viaDecimal.toString());
      assert.ok(viaScaled.equals(viaDecimal));
    }), { numRuns: 1000 });
  });

  it('a fraction of a minor unit is not silently stored', () => {
    assert.throws(() => Money.of('0.001', 'EUR').toMinorUnits(), /not a whole number of minor units/);
    assert.equal(Money.of('0.005', 'EUR').roundToMinorUnit('half-up').toMinorUnits(), 1n);
  });

  it('arithmetic across currencies is a bug', () => {
    assert.throws(() => Money.of('1', 'EUR').plus(Money.of('1', 'GBP')), /currency mismatch/);
  });

  it('round trips every amount from 0.01 to 10^12 minor units exactly', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), (minor) => {
      const money = Money.fromMinorUnits(minor, 'EUR');
      assert.equal(money.toMinorUnits(), minor);
      assert.equal(Money.of(money.toString(), 'EUR').toMinorUnits(), minor);
    }), { numRuns: 1000 });
  });
});

describe('money: rounding modes', () => {
  const cases: [string, string, string, string, string][] = [
    // amount, half-up, half-even, up, down
    ['0.125', '0.13', '0.12', '0.13', '0.12'],
    ['0.135', '0.14', '0.14', '0.14', '0.13'],
    ['0.121', '0.12', '0.12', '0.13', '0.12'],
    ['-0.125', '-0.13', '-0.12', '-0.13', '-0.12'],
    ['2', '2.00', '2.00', '2.00', '2.00'],
  ];
  for (const [amount, halfUp, halfEven, up, down] of cases) {
    it(`${amount} → half-up ${halfUp}, half-even ${halfEven}, up ${up}, down ${down}`, () => {
      const money = Money.of(amount, 'EUR');
      assert.equal(money.round(2, 'half-up').toString(), halfUp);
      assert.equal(money.round(2, 'half-even').toString(), halfEven);
      assert.equal(money.round(2, 'up').toString(), up);
      assert.equal(money.round(2, 'down').toString(), down);
    });
  }

  it('roundDiv agrees with decimal rounding for every mode', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 6n }),
      fc.constantFrom('half-up', 'half-even', 'up', 'down' as const), (numerator, denominator, mode) => {
        const viaDecimal = Money.fromFraction(numerator, denominator, 'JPY').round(0, mode).toMinorUnits();
        assert.equal(roundDiv(numerator, denominator, mode), viaDecimal);
      }), { numRuns: 1000 });
  });

  it('roundDivThreshold is where roundDiv first exceeds the value, for every mode', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 6n }),
      fc.constantFrom('half-up', 'half-even', 'up', 'down' as const), (value, denominator, mode) => {
        const threshold = roundDivThreshold(value, denominator, mode);
        assert.ok(roundDiv(threshold, denominator, mode) > value, 'at the threshold');
        assert.ok(roundDiv(threshold - 1n, denominator, mode) <= value, 'just below it');
      }), { numRuns: 2000 });
  });
});

describe('money: allocate', () => {
  it('splits 100 in three as 34, 33, 33 (largest remainder, ties to the first)', () => {
    assert.deepEqual(allocateMinorUnits(100n, [Rate.of('1'), Rate.of('1'), Rate.of('1')]), [34n, 33n, 33n]);
  });

  it('85 % of 10.00 € net is 8.50 € (the Fortumo example, on the price excluding VAT)', () => {
    const net = Money.of('12.00', 'EUR').dividedBy(Rate.of('1.20')).roundToMinorUnit('half-up');
    assert.deepEqual(allocate(net, [Rate.of('0.85'), Rate.of('0.15')]).map(String), ['8.50', '1.50']);
  });

  it('negative totals split symmetrically', () => {
    assert.deepEqual(allocateMinorUnits(-100n, [Rate.of('1'), Rate.of('1'), Rate.of('1')]), [-34n, -33n, -33n]);
  });

  it('the parts always sum to the total and each is within one unit of its exact share', () => {
    const weight = fc.integer({ min: 0, max: 1_000_000 }).map((n) => Rate.of(`${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`));
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.array(weight, { minLength: 1, maxLength: 8 }), (total, weights) => {
      fc.pre(weights.some((w) => !w.isZero()));
      const parts = allocateMinorUnits(total, weights);
      assert.equal(parts.reduce((sum, part) => sum + part, 0n), total);
      const weightSum = weights.reduce((sum, w) => sum.plus(w), Rate.of('0'));
      parts.forEach((part, index) => {
        const exact = Money.fromMinorUnits(total, 'JPY').times(weights[index] ?? Rate.of('0')).dividedBy(weightSum);
        assert.ok(Money.fromMinorUnits(part, 'JPY').minus(exact).decimal().abs().lessThan(1), 'within one unit');
      });
    }), { numRuns: 1000 });
  });
});

describe('money: display', () => {
  it('fr-FR prints 1 234,50 € with a narrow no-break space and a no-break space', () => {
    assert.equal(formatMoney(Money.of('1234.5', 'EUR'), 'fr-FR'), '1\u202f234,50\u00a0€');
  });
  it('en prints €1,234.50 and keeps extra decimals exactly', () => {
    assert.equal(formatMoney(Money.of('1234.5', 'EUR'), 'en'), '€1,234.50');
    assert.equal(formatMoney(Money.of('0.1234', 'EUR'), 'en'), '€0.1234');
    assert.equal(formatMoney(Money.of('12345678901234.56', 'EUR'), 'en'), '€12,345,678,901,234.56');
  });
});
