import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxAffordableSeconds, Money, rate, toDec } from '../../../src/domain/index.ts';
import { goldenVectors, tariffFrom } from '../../support/fixtures.ts';

for (const file of ['golden-vectors.json', 'golden-vectors-palier.json']) {
  describe(`rating: golden vectors of fixtures/${file}`, () => {
    for (const vector of goldenVectors(file)) {
      it(`${vector.id}: ${vector.source}`, () => {
        const tariff = tariffFrom(vector.tariff);
        const startMs = Date.parse(vector.meteringStart);
        const metered = vector.meteredIntervals?.map((i) => ({ startMs: Date.parse(i.start), seconds: i.seconds })) ?? vector.meteredSeconds ?? 0;
        const rating = rate(tariff, startMs, metered);
        // Expected values are exact decimals; "0.70" and "0.7000" are the same amount.
        assert.ok(toDec(rating.billed.toString()).equals(toDec(vector.expected.billed)), `billed ${rating.billed.toString()} ≠ ${vector.expected.billed}`);
        if (vector.expected.billedSeconds !== undefined) assert.equal(rating.billedSeconds, vector.expected.billedSeconds);
        if (vector.expected.net !== undefined) assert.equal(rating.vat.net.toString(), vector.expected.net);
        if (vector.expected.vat !== undefined) assert.equal(rating.vat.vat.toString(), vector.expected.vat);
        assert.ok(rating.vat.net.plus(rating.vat.vat).equals(rating.billed), 'net + VAT = billed');
        const cap = vector.cap ?? vector.expected.cap;
        if (cap !== undefined && vector.expected.maxAffordableSeconds !== undefined) {
          const affordable = maxAffordableSeconds(tariff, startMs, Money.of(cap, tariff.currency));
          assert.equal(affordable.seconds, vector.expected.maxAffordableSeconds);
          assert.equal(affordable.limitedBy, 'cap');
        }
      });
    }
  });
}
