import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { tickText, tickTextPrefix } from '../../../src/adapters/live/protocol.ts';
import { CURRENCIES, minorUnitsText, Money } from '../../../src/domain/index.ts';

describe('live protocol: ticks are written, not serialised', () => {
  it('a tick\'s text is JSON.stringify of the tick message, whatever its session id, figures and currency', () => {
    fc.assert(fc.property(
      fc.string({ maxLength: 64, unit: 'binary' }), fc.integer({ min: 0, max: 100_000_000 }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
      fc.constantFrom(...CURRENCIES), fc.integer({ min: 1, max: 2 ** 40 }),
      (sessionId, meteredSeconds, billedMinor, currency, seq) => {
        const amount = Money.fromMinorUnits(billedMinor, currency).toString();
        const text = tickText(tickTextPrefix(sessionId), meteredSeconds, minorUnitsText(billedMinor, currency), seq);
        assert.equal(text, JSON.stringify({ type: 'tick', sessionId, meteredSeconds, amount, seq }));
      },
    ));
  });

  it('minor units are written as Money writes them', () => {
    assert.equal(minorUnitsText(425n, 'EUR'), '4.25');
    assert.equal(minorUnitsText(-5n, 'EUR'), '-0.05');
    assert.equal(minorUnitsText(0n, 'EUR'), '0.00');
    assert.equal(minorUnitsText(1234n, 'JPY'), '1234');
    assert.equal(minorUnitsText(1234n, 'KWD'), '1.234');
  });
});
