/**
 * The authenticator (src/adapters/http/principal.ts), on SQLite and PostgreSQL, over the real
 * store of a running server: a quote or user token found is kept (what it names never changes),
 * so a widget's repeated calls read its row once; a token that names nothing is looked up every
 * time (it may be a typo now and never valid, but nothing about it is remembered). The store is
 * the server's own; the test only counts the token lookups that reach it.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Authenticator } from '../../../src/adapters/http/principal.ts';
import type { Store } from '../../../src/app/index.ts';
import { sha256Hex } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';

/** Tuesday 2026-10-06, 10:00 in Paris. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');

describeEachDatabase('authenticator: tokens found are kept, tokens not found are not', ({ target }) => {
  let h: HttpHarness;
  before(async () => { h = await startHarness(target().config(), START_MS); });
  after(async () => { await h.server.stop(); });

  /** The server's store, with its token lookups counted. */
  function countingStore(): { store: Store; lookups: () => number } {
    let lookups = 0;
    const real = h.server.storage.store;
    const store: Store = Object.create(real) as Store;
    Object.assign(store, {
      findQuoteByTokenHash: (hash: string) => { lookups += 1; return real.findQuoteByTokenHash(hash); },
      findSessionByUserTokenHash: (hash: string) => { lookups += 1; return real.findSessionByUserTokenHash(hash); },
    });
    return { store, lookups: () => lookups };
  }

  /** A quote on the demo offer for `subscriber`, consented to with its quote token. */
  async function quoteAndConsent(subscriber: string): Promise<{ quote: CallResult; consent: CallResult }> {
    const quote = await h.call('POST', '/v1/quotes', { token: h.key('mer_depannage_pc'), body: { offerId: 'off_windows_help', subscriberId: h.subscriber(subscriber) } });
    assert.equal(quote.status, 201, quote.text);
    const consent = await h.call('POST', '/v1/sessions', {
      token: quote.body.quoteToken as string, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true },
    });
    assert.equal(consent.status, 201, consent.text);
    return { quote, consent };
  }

  it('a quote token and a user token are read once, then answered from memory; an unknown token is read each time', async () => {
    const { quote, consent } = await quoteAndConsent('Alice');

    const { store, lookups } = countingStore();
    const authenticator = new Authenticator(store);
    const quoteToken = quote.body.quoteToken as string;
    const quotePrincipal = { kind: 'quote', quoteId: quote.body.id as string, tokenHash: sha256Hex(quoteToken) };
    assert.deepEqual(await authenticator.authenticate(quoteToken), quotePrincipal);
    assert.deepEqual(await authenticator.authenticate(quoteToken), quotePrincipal);
    assert.equal(lookups(), 1, 'the quote token was read once');
    const user = { kind: 'user', sessionId: consent.body.id as string };
    assert.deepEqual(await authenticator.authenticate(consent.body.userToken as string), user);
    assert.deepEqual(await authenticator.authenticate(consent.body.userToken as string), user);
    assert.equal(lookups(), 2, 'the user token was read once');
    const unknown = `ust_${'x'.repeat(40)}`;
    assert.equal(await authenticator.authenticate(unknown), null);
    assert.equal(await authenticator.authenticate(unknown), null);
    assert.equal(lookups(), 4, 'a token that names nothing is read every time');
  });

  it('a token told as issued is answered from memory at its first use, as a lookup would answer it', async () => {
    const { quote, consent } = await quoteAndConsent('Alice');
    const quoteToken = quote.body.quoteToken as string;
    const userToken = consent.body.userToken as string;
    const { store, lookups } = countingStore();
    const told = new Authenticator(store);
    told.quoteIssued(quoteToken, quote.body.id as string);
    told.sessionIssued(userToken, consent.body.id as string);
    const looked = new Authenticator(store);
    assert.deepEqual(await told.authenticate(quoteToken), await looked.authenticate(quoteToken));
    assert.deepEqual(await told.authenticate(userToken), await looked.authenticate(userToken));
    assert.equal(lookups(), 2, 'only the authenticator that was not told read the store');
  });

  it('the server tells its authenticator of the tokens it hands out: a flow\'s consent and end read no token', async () => {
    // The server's own store, its token lookups counted for the length of one flow.
    const real = h.server.storage.store;
    const original = { quote: real.findQuoteByTokenHash.bind(real), session: real.findSessionByUserTokenHash.bind(real) };
    let lookups = 0;
    Object.assign(real, {
      findQuoteByTokenHash: (hash: string) => { lookups += 1; return original.quote(hash); },
      findSessionByUserTokenHash: (hash: string) => { lookups += 1; return original.session(hash); },
    });
    try {
      const { consent } = await quoteAndConsent('Bruno');
      const ended = await h.call('POST', `/v1/sessions/${consent.body.id as string}/end`, { token: consent.body.userToken as string, body: {} });
      assert.equal(ended.status, 200, ended.text);
      assert.equal(lookups, 0);
    } finally {
      Reflect.deleteProperty(real, 'findQuoteByTokenHash');
      Reflect.deleteProperty(real, 'findSessionByUserTokenHash');
    }
  });
});
