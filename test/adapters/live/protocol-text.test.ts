import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as ws from 'ws';
import { tickText, tickTextPrefix } from '../../../src/adapters/live/protocol.ts';
import { asciiTextFrame, isAscii, textFrame } from '../../../src/adapters/live/text-frame.ts';
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

/** ws's frame writer (exported by the package, left out of its type declarations). */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] } };

describe('live protocol: the hub writes whole text frames', () => {
  const wsFrame = (text: string): Buffer => Buffer.concat(Sender.frame(Buffer.from(text, 'utf8'), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));

  it("a message's frame is byte for byte the one ws's own sender writes, at every length class", () => {
    // Each length class of RFC 6455 §5.2 and its edges: 7 bits (≤ 125 bytes), 16 bits (≤ 65,535), 64 bits.
    for (const bytes of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const text = 'x'.repeat(bytes);
      assert.deepEqual(textFrame(text), wsFrame(text), `${bytes} bytes`);
    }
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (text) => {
      assert.deepEqual(textFrame(text), wsFrame(text), 'the length counts UTF-8 bytes, not characters');
    }));
  });

  it('an ASCII text\'s frame written as a latin1 string is the same bytes', () => {
    for (const bytes of [0, 1, 125, 126, 127, 255, 256, 65_535, 65_536, 70_000]) {
      const text = 'y'.repeat(bytes);
      assert.deepEqual(Buffer.from(asciiTextFrame(text), 'latin1'), wsFrame(text), `${bytes} bytes`);
    }
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary-ascii' }), (text) => {
      assert.ok(isAscii(text));
      assert.deepEqual(Buffer.from(asciiTextFrame(text), 'latin1'), wsFrame(text));
    }));
  });

  it('tells ASCII texts from the others, whose frames are bytes', () => {
    assert.ok(isAscii('{"type":"tick","amount":"4.25"}'));
    for (const text of ['é', 'x\u0080', '\u{1F600}', '\ud800']) assert.equal(isAscii(text), false, JSON.stringify(text));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      assert.equal(isAscii(text), Buffer.byteLength(text, 'utf8') === text.length);
    }));
  });
});
