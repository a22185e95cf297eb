/**
 * Bad-input catalogue (issue 4 §3): malformed JSON, wrong types, negative, zero, huge and
 * fractional numbers, amounts as JSON numbers, overlong strings, unicode, missing and malformed
 * headers, unknown routes and methods. Every case is answered 4xx problem+json with a code and a
 * request id, never a 500 or a stack trace, and nothing is persisted (the database fingerprint is
 * the same before and after).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ProblemCode } from '../../../src/adapters/http/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { stateFingerprint } from '../../support/state-fingerprint.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z'); // Tuesday 10:00 in Paris
const MERCHANT = 'mer_depannage_pc';
const OFFER = 'off_windows_help';
const OPERATOR = 'car_orange';

/** Objects the cases aim at: an ended, charged and unrated session, an open quote, a tariff. */
interface World {
  readonly subscriberId: string;
  readonly sessionId: string;
  readonly userToken: string;
  readonly chargeId: string;
  readonly quote: { readonly id: string; readonly token: string; readonly hash: string };
  readonly tariff: Record<string, unknown>;
}

interface Expect {
  readonly status: number;
  readonly code: ProblemCode;
  /** For `validation_failed`: one of the violations names this field and rule. */
  readonly field?: string;
  readonly rule?: string;
  /** For 405: the methods the resource supports. */
  readonly allow?: string;
}

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string | ((w: World) => string);
  /** Who calls; a merchant key unless said otherwise. */
  readonly as?: 'merchant' | 'operator' | 'user' | 'quote' | 'none';
  readonly body?: unknown;
  readonly rawBody?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** By default a fresh key on POST; null sends none. */
  readonly idempotencyKey?: string | null;
  readonly expect: Expect;
}

const invalid = (field: string, rule: string): Expect => ({ status: 400, code: 'validation_failed', field, rule });
const refused = (status: number, code: ProblemCode): Expect => ({ status, code });
const malformed = refused(400, 'malformed_json');

/** Bodies: a valid one with one field changed (`undefined` removes it). */
const patch = (base: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries({ ...base, ...changes }).filter(([, value]) => value !== undefined));
const quoteBody = (w: World, changes: Record<string, unknown> = {}) => patch({ offerId: OFFER, subscriberId: w.subscriberId, locale: 'fr-FR' }, changes);
const consentBody = (w: World, changes: Record<string, unknown> = {}) =>
  patch({ quoteId: w.quote.id, announcementHash: w.quote.hash, cap: '5.00', accepted: true }, changes);
const refundBody = (changes: Record<string, unknown>) => patch({ amount: '0.10', reason: 'goodwill' }, changes);
const ratingBody = (changes: Record<string, unknown>) => patch({ stars: 4, comment: 'Très clair' }, changes);
const tariffBody = (w: World, changes: Record<string, unknown>) => patch(w.tariff, changes);
const firstTier = (w: World, changes: Record<string, unknown>) => {
  const tiers = w.tariff['tiers'] as Record<string, unknown>[];
  return tariffBody(w, { tiers: [patch(tiers[0] ?? {}, changes), ...tiers.slice(1)] });
};

const session = (w: World, action = ''): string => `/v1/sessions/${w.sessionId}${action}`;
const charge = (w: World, suffix = ''): string => `/v1/charges/${w.chargeId}${suffix}`;
const LONG_ID = 'x'.repeat(1000);
const NESTED = `${'['.repeat(5000)}${']'.repeat(5000)}`;

/** Bodies as the cases send them; each `body` below is a function of the world, resolved per call. */
type BodyOf = (w: World) => unknown;

const CASES: readonly (Omit<Case, 'body'> & { readonly body?: BodyOf })[] = [
  // POST /v1/quotes: body shape, JSON syntax, media types, headers.
  { name: 'quote: offerId as a JSON number', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: 42 }), expect: invalid('body.offerId', 'type') },
  { name: 'quote: offerId empty', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: '' }), expect: invalid('body.offerId', 'min') },
  { name: 'quote: offerId with a slash', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: 'off/windows' }), expect: invalid('body.offerId', 'format') },
  { name: 'quote: offerId of 1000 characters', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: LONG_ID }), expect: invalid('body.offerId', 'max') },
  { name: 'quote: offerId in unicode', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: 'off_fenêtres_🪟' }), expect: invalid('body.offerId', 'format') },
  { name: 'quote: subscriberId null', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { subscriberId: null }), expect: invalid('body.subscriberId', 'type') },
  { name: 'quote: subscriberId missing', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { subscriberId: undefined }), expect: invalid('body.subscriberId', 'required') },
  { name: 'quote: unknown locale', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { locale: 'xx-XX' }), expect: invalid('body.locale', 'enum') },
  { name: 'quote: unknown field', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { discount: '100%' }), expect: invalid('body.discount', 'unknown_field') },
  { name: 'quote: a __proto__ member', method: 'POST', path: '/v1/quotes', rawBody: `{"__proto__":{"admin":true},"offerId":"${OFFER}","subscriberId":"sub_x"}`, expect: invalid('body.__proto__', 'unknown_field') },
  { name: 'quote: body is an array', method: 'POST', path: '/v1/quotes', body: (w) => [quoteBody(w)], expect: invalid('body', 'type') },
  { name: 'quote: body is arrays nested 5000 deep', method: 'POST', path: '/v1/quotes', rawBody: NESTED, expect: invalid('body', 'type') },
  { name: 'quote: body is null', method: 'POST', path: '/v1/quotes', rawBody: 'null', expect: malformed },
  { name: 'quote: body is a string', method: 'POST', path: '/v1/quotes', rawBody: `"${OFFER}"`, expect: malformed },
  { name: 'quote: body is a number', method: 'POST', path: '/v1/quotes', rawBody: '42', expect: malformed },
  { name: 'quote: truncated JSON', method: 'POST', path: '/v1/quotes', rawBody: '{"offerId":', expect: malformed },
  { name: 'quote: trailing comma', method: 'POST', path: '/v1/quotes', rawBody: `{"offerId":"${OFFER}",}`, expect: malformed },
  { name: 'quote: single quotes', method: 'POST', path: '/v1/quotes', rawBody: `{'offerId':'${OFFER}'}`, expect: malformed },
  { name: 'quote: empty body', method: 'POST', path: '/v1/quotes', rawBody: '', expect: invalid('body.offerId', 'required') },
  { name: 'quote: no body and no Content-Type', method: 'POST', path: '/v1/quotes', expect: invalid('body', 'required') },
  { name: 'quote: body over 64 KiB', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w, { offerId: 'x'.repeat(70_000) }), expect: refused(413, 'payload_too_large') },
  { name: 'quote: Content-Type text/plain', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), headers: { 'content-type': 'text/plain' }, expect: refused(415, 'unsupported_media_type') },
  { name: 'quote: a form instead of JSON', method: 'POST', path: '/v1/quotes', rawBody: `offerId=${OFFER}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: refused(415, 'unsupported_media_type') },
  { name: 'quote: JSON in latin1', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), headers: { 'content-type': 'application/json; charset=latin1' }, expect: refused(415, 'unsupported_media_type') },
  { name: 'quote: Content-Encoding nobody knows', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), headers: { 'content-encoding': 'zstd-ish' }, expect: refused(415, 'unsupported_media_type') },
  { name: 'quote: gzip that does not inflate', method: 'POST', path: '/v1/quotes', rawBody: 'not gzip at all', headers: { 'content-encoding': 'gzip' }, expect: malformed },
  { name: 'quote: gzip of malformed JSON', method: 'POST', path: '/v1/quotes', rawBody: gzipSync('{"offerId":'), headers: { 'content-encoding': 'gzip' }, expect: malformed },
  { name: 'quote: no Idempotency-Key', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), idempotencyKey: null, expect: refused(400, 'idempotency_key_required') },
  { name: 'quote: empty Idempotency-Key', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), idempotencyKey: '', expect: refused(400, 'idempotency_key_required') },
  { name: 'quote: Idempotency-Key of 256 characters', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), idempotencyKey: 'k'.repeat(256), expect: invalid('header.Idempotency-Key', 'format') },
  { name: 'quote: Idempotency-Key with a space', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), idempotencyKey: 'my key', expect: invalid('header.Idempotency-Key', 'format') },
  { name: 'quote: Idempotency-Key in latin1', method: 'POST', path: '/v1/quotes', body: (w) => quoteBody(w), idempotencyKey: 'clé-1', expect: invalid('header.Idempotency-Key', 'format') },
  { name: 'quote: no Authorization', method: 'POST', path: '/v1/quotes', as: 'none', body: (w) => quoteBody(w), expect: refused(401, 'unauthenticated') },
  { name: 'quote: Authorization Basic', method: 'POST', path: '/v1/quotes', as: 'none', body: (w) => quoteBody(w), headers: { authorization: 'Basic bWU6cGFzcw==' }, expect: refused(401, 'unauthenticated') },
  { name: 'quote: bearer token of 1000 characters', method: 'POST', path: '/v1/quotes', as: 'none', body: (w) => quoteBody(w), headers: { authorization: `Bearer pk_${LONG_ID}` }, expect: refused(401, 'unauthenticated') },

  // POST /v1/sessions (consent): amounts are decimal strings, acceptance is explicit.
  { name: 'consent: cap as a JSON number', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: 10 }), expect: invalid('body.cap', 'type') },
  { name: 'consent: cap as a JSON number, with the quote token', method: 'POST', path: '/v1/sessions', as: 'quote', body: (w) => consentBody(w, { cap: 5.5 }), expect: invalid('body.cap', 'type') },
  { name: 'consent: cap as a huge JSON number', method: 'POST', path: '/v1/sessions', rawBody: '{"cap": 1e400}', expect: invalid('body.cap', 'type') },
  { name: 'consent: cap negative', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '-1.00' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap with three decimals', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '1.234' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap with an exponent', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '1e3' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap in hexadecimal', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '0x10' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap with a decimal comma', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '5,00' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap in full-width digits', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '５.００' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap with a leading space', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: ' 5.00' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap with a leading zero', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '05.00' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap of 30 digits', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '9'.repeat(30) }), expect: invalid('body.cap', 'max') },
  { name: 'consent: cap of 13 integer digits', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '1000000000000' }), expect: invalid('body.cap', 'format') },
  { name: 'consent: cap huge but well formed', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '999999999999.99' }), expect: refused(422, 'cap_above_allowed') },
  { name: 'consent: cap zero', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { cap: '0' }), expect: refused(422, 'cap_below_first_step') },
  { name: 'consent: accepted false', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { accepted: false }), expect: invalid('body.accepted', 'enum') },
  { name: 'consent: accepted as the string "true"', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { accepted: 'true' }), expect: invalid('body.accepted', 'enum') },
  { name: 'consent: accepted missing', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { accepted: undefined }), expect: invalid('body.accepted', 'required') },
  { name: 'consent: announcement hash malformed', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { announcementHash: 'sha256:abc' }), expect: invalid('body.announcementHash', 'format') },
  { name: 'consent: announcement hash of another text', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { announcementHash: `sha256:${'0'.repeat(64)}` }), expect: refused(422, 'announcement_mismatch') },
  { name: 'consent: unknown channel', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { channel: 'fax' }), expect: invalid('body.channel', 'enum') },
  { name: 'consent: unknown quote', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { quoteId: 'quo_nope' }), expect: refused(404, 'quote_not_found') },
  { name: 'consent: unknown field', method: 'POST', path: '/v1/sessions', body: (w) => consentBody(w, { userId: 'usr_1' }), expect: invalid('body.userId', 'unknown_field') },

  // Session actions: path ids, empty bodies, media.
  { name: 'connect: unknown field in the empty body', method: 'POST', path: (w) => session(w, '/connect'), body: () => ({ force: true }), expect: invalid('body.force', 'unknown_field') },
  { name: 'connect: body is an array', method: 'POST', path: (w) => session(w, '/connect'), body: () => [], expect: invalid('body', 'type') },
  { name: 'hold: id with an encoded slash', method: 'POST', path: '/v1/sessions/ses_a%2Fb/hold', body: () => ({}), expect: invalid('path.id', 'format') },
  { name: 'resume: id of 1000 characters', method: 'POST', path: `/v1/sessions/${LONG_ID}/resume`, body: () => ({}), expect: invalid('path.id', 'max') },
  { name: 'end: id in unicode', method: 'POST', path: '/v1/sessions/s%C3%A9ance/end', body: () => ({}), expect: invalid('path.id', 'format') },
  { name: 'end: id that is not valid percent-encoding', method: 'POST', path: '/v1/sessions/%E0%A4%A/end', body: () => ({}), expect: invalid('path', 'format') },
  { name: 'media: unknown medium', method: 'POST', path: (w) => session(w, '/media'), body: () => ({ medium: 'fax' }), expect: invalid('body.medium', 'enum') },
  { name: 'media: medium as a number', method: 'POST', path: (w) => session(w, '/media'), body: () => ({ medium: 3 }), expect: invalid('body.medium', 'enum') },
  { name: 'media: medium missing', method: 'POST', path: (w) => session(w, '/media'), body: () => ({}), expect: invalid('body.medium', 'required') },
  { name: 'heartbeat: unknown field', method: 'POST', path: (w) => session(w, '/heartbeat'), body: () => ({ alive: true }), idempotencyKey: null, expect: invalid('body.alive', 'unknown_field') },

  // POST /v1/sessions/{id}/rating: stars are an integer from 1 to 5.
  { name: 'rating: 0 stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: 0 }), expect: invalid('body.stars', 'min') },
  { name: 'rating: 6 stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: 6 }), expect: invalid('body.stars', 'max') },
  { name: 'rating: -1 stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: -1 }), expect: invalid('body.stars', 'min') },
  { name: 'rating: 2.5 stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: 2.5 }), expect: invalid('body.stars', 'type') },
  { name: 'rating: "5" stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: '5' }), expect: invalid('body.stars', 'type') },
  { name: 'rating: 1e400 stars', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', rawBody: '{"stars": 1e400}', expect: invalid('body.stars', 'type') },
  { name: 'rating: stars missing', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ stars: undefined }), expect: invalid('body.stars', 'required') },
  { name: 'rating: comment of 2001 characters', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ comment: 'é'.repeat(2001) }), expect: invalid('body.comment', 'max') },
  { name: 'rating: comment as a number', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ comment: 5 }), expect: invalid('body.comment', 'type') },
  { name: 'rating: comment with a NUL character', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', body: () => ratingBody({ comment: 'bien\u0000' }), expect: invalid('body.comment', 'format') },
  { name: 'rating: comment with a lone surrogate', method: 'POST', path: (w) => session(w, '/rating'), as: 'user', rawBody: '{"stars":4,"comment":"bien \\ud83d"}', expect: invalid('body.comment', 'format') },

  // POST /v1/charges/{id}/refunds: amounts are decimal strings.
  { name: 'refund: amount as a JSON number', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: 1.5 }), expect: invalid('body.amount', 'type') },
  { name: 'refund: amount negative', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: '-0.50' }), expect: invalid('body.amount', 'format') },
  { name: 'refund: amount with three decimals', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: '0.001' }), expect: invalid('body.amount', 'format') },
  { name: 'refund: amount with an exponent', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: '1e-2' }), expect: invalid('body.amount', 'format') },
  { name: 'refund: amount zero', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: '0.00' }), expect: refused(422, 'refund_exceeds_charge') },
  { name: 'refund: amount huge but well formed', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ amount: '999999999999.99' }), expect: refused(422, 'refund_exceeds_charge') },
  { name: 'refund: reason empty', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ reason: '' }), expect: invalid('body.reason', 'min') },
  { name: 'refund: reason missing', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ reason: undefined }), expect: invalid('body.reason', 'required') },
  { name: 'refund: reason of 501 characters', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ reason: 'r'.repeat(501) }), expect: invalid('body.reason', 'max') },
  { name: 'refund: reason with a NUL character', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ reason: 'geste\u0000commercial' }), expect: invalid('body.reason', 'format') },
  { name: 'refund: unknown field', method: 'POST', path: (w) => charge(w, '/refunds'), body: () => refundBody({ currency: 'USD' }), expect: invalid('body.currency', 'unknown_field') },
  { name: 'refund: charge id with an encoded slash', method: 'POST', path: '/v1/charges/chg%2F..%2Fx/refunds', body: () => refundBody({}), expect: invalid('path.id', 'format') },
  { name: 'refund: unknown charge', method: 'POST', path: '/v1/charges/chg_nope/refunds', body: () => refundBody({}), expect: refused(404, 'charge_not_found') },

  // POST /v1/tariffs: the tariff format's types and bounds.
  { name: 'tariff: empty object', method: 'POST', path: '/v1/tariffs', as: 'operator', body: () => ({}), expect: invalid('body.currency', 'required') },
  { name: 'tariff: vatRate as a JSON number', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { vatRate: 0.2 }), expect: invalid('body.vatRate', 'type') },
  { name: 'tariff: currency in lower case', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { currency: 'eur' }), expect: invalid('body.currency', 'format') },
  { name: 'tariff: tiers as a string', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { tiers: 'cheap' }), expect: invalid('body.tiers', 'type') },
  { name: 'tariff: 33 tiers', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { tiers: Array.from({ length: 33 }, (_, i) => ({ fromSecond: i * 60, price: '0.10', perSeconds: 60, incrementSeconds: 60 })) }), expect: invalid('body.tiers', 'max') },
  { name: 'tariff: negative fromSecond', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { fromSecond: -1 }), expect: invalid('body.tiers[0].fromSecond', 'min') },
  { name: 'tariff: fractional fromSecond', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { fromSecond: 1.5 }), expect: invalid('body.tiers[0].fromSecond', 'type') },
  { name: 'tariff: fromSecond 1e300', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { fromSecond: 1e300 }), expect: invalid('body.tiers[0].fromSecond', 'max') },
  { name: 'tariff: price as a JSON number', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { price: 0.5 }), expect: invalid('body.tiers[0].price', 'type') },
  { name: 'tariff: price negative', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { price: '-0.50' }), expect: invalid('body.tiers[0].price', 'format') },
  { name: 'tariff: price with an exponent', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { price: '5e-1' }), expect: invalid('body.tiers[0].price', 'format') },
  { name: 'tariff: perSeconds zero', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => firstTier(w, { perSeconds: 0 }), expect: invalid('body.tiers[0].perSeconds', 'min') },
  { name: 'tariff: unknown field', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { discount: '0.5' }), expect: invalid('body.discount', 'unknown_field') },
  { name: 'tariff: well formed, but breaks its profile', method: 'POST', path: '/v1/tariffs', as: 'operator', body: (w) => tariffBody(w, { tiers: [] }), expect: refused(422, 'tariff_invalid') },

  // Query and path parameters of GET routes.
  { name: 'sessions: limit=0', method: 'GET', path: '/v1/sessions?limit=0', expect: invalid('query.limit', 'format') },
  { name: 'sessions: limit=500', method: 'GET', path: '/v1/sessions?limit=500', expect: invalid('query.limit', 'max') },
  { name: 'sessions: limit=1000', method: 'GET', path: '/v1/sessions?limit=1000', expect: invalid('query.limit', 'format') },
  { name: 'sessions: limit=abc', method: 'GET', path: '/v1/sessions?limit=abc', expect: invalid('query.limit', 'format') },
  { name: 'sessions: limit=2.5', method: 'GET', path: '/v1/sessions?limit=2.5', expect: invalid('query.limit', 'format') },
  { name: 'sessions: limit=-1', method: 'GET', path: '/v1/sessions?limit=-1', expect: invalid('query.limit', 'format') },
  { name: 'sessions: limit given twice', method: 'GET', path: '/v1/sessions?limit=1&limit=2', expect: invalid('query.limit', 'type') },
  { name: 'sessions: unknown status', method: 'GET', path: '/v1/sessions?status=paid', expect: invalid('query.status', 'enum') },
  { name: 'sessions: offerId with an encoded slash', method: 'GET', path: '/v1/sessions?offerId=off%2Fx', expect: invalid('query.offerId', 'format') },
  { name: 'sessions: cursor that decodes to a NUL byte', method: 'GET', path: '/v1/sessions?cursor=AA', expect: invalid('query.cursor', 'format') },
  { name: 'sessions: cursor with punctuation', method: 'GET', path: '/v1/sessions?cursor=a.b', expect: invalid('query.cursor', 'format') },
  { name: 'sessions: cursor of 201 characters', method: 'GET', path: `/v1/sessions?cursor=${'A'.repeat(201)}`, expect: invalid('query.cursor', 'max') },
  { name: 'sessions: unknown parameter', method: 'GET', path: '/v1/sessions?merchantId=mer_conseil_juridique', expect: invalid('query.merchantId', 'unknown_field') },
  { name: 'charges: subscriberId in unicode', method: 'GET', path: '/v1/charges?subscriberId=%C3%A9mile', expect: invalid('query.subscriberId', 'format') },
  { name: 'charges: cursor that decodes to a NUL byte', method: 'GET', path: '/v1/charges?cursor=AAAA', expect: invalid('query.cursor', 'format') },
  { name: 'charges: limit=0', method: 'GET', path: '/v1/charges?limit=0', expect: invalid('query.limit', 'format') },
  { name: 'offers: unknown parameter', method: 'GET', path: '/v1/offers?all=1', expect: invalid('query.all', 'unknown_field') },
  { name: 'eligibility: subscriberId missing', method: 'GET', path: `/v1/offers/${OFFER}/eligibility`, expect: invalid('query.subscriberId', 'required') },
  { name: 'eligibility: offer id of 1000 characters', method: 'GET', path: `/v1/offers/${LONG_ID}/eligibility?subscriberId=sub_x`, expect: invalid('path.id', 'max') },
  { name: 'tariff: hash malformed', method: 'GET', path: '/v1/tariffs/sha256:xyz', expect: invalid('path.hash', 'format') },
  { name: 'session: id of 1000 characters', method: 'GET', path: `/v1/sessions/${LONG_ID}`, expect: invalid('path.id', 'max') },
  { name: 'session: id in unicode', method: 'GET', path: '/v1/sessions/%E2%82%AC', expect: invalid('path.id', 'format') },
  { name: 'session: id that is not valid percent-encoding', method: 'GET', path: '/v1/sessions/%ZZ', expect: invalid('path', 'format') },
  { name: 'charge: id with an encoded slash', method: 'GET', path: '/v1/charges/a%2Fb', expect: invalid('path.id', 'format') },
  { name: 'sessions: no Authorization', method: 'GET', path: '/v1/sessions', as: 'none', expect: refused(401, 'unauthenticated') },

  // Routes and methods.
  { name: 'unknown route under /v1', method: 'GET', path: '/v1/invoices', expect: refused(404, 'route_not_found') },
  { name: 'unknown route, POST', method: 'POST', path: '/v1/sessions/x/y/z', body: () => ({}), expect: refused(404, 'route_not_found') },
  { name: 'unknown route outside /v1', method: 'GET', path: '/admin', as: 'none', expect: refused(404, 'route_not_found') },
  { name: 'GET on a POST route', method: 'GET', path: '/v1/quotes', expect: { ...refused(405, 'method_not_allowed'), allow: 'POST' } },
  { name: 'POST on a GET route', method: 'POST', path: (w) => session(w), body: () => ({}), expect: { ...refused(405, 'method_not_allowed'), allow: 'GET, HEAD' } },
  { name: 'PUT on a collection', method: 'PUT', path: '/v1/sessions', body: () => ({}), expect: { ...refused(405, 'method_not_allowed'), allow: 'POST, GET, HEAD' } },
  { name: 'DELETE a charge', method: 'DELETE', path: (w) => charge(w), expect: { ...refused(405, 'method_not_allowed'), allow: 'GET, HEAD' } },
  { name: 'PATCH a session', method: 'PATCH', path: (w) => session(w), body: () => ({ status: 'rated' }), expect: { ...refused(405, 'method_not_allowed'), allow: 'GET, HEAD' } },
  // Paths are found without regard to case (as express's router does), for 405 as for 200.
  { name: 'GET on a POST route, path in capitals', method: 'GET', path: '/V1/QUOTES', expect: { ...refused(405, 'method_not_allowed'), allow: 'POST' } },
  // The route and method are checked before the body is read: its flaws are not the answer.
  { name: 'PUT on a collection, body not JSON', method: 'PUT', path: '/v1/sessions', rawBody: '{"broken', expect: { ...refused(405, 'method_not_allowed'), allow: 'POST, GET, HEAD' } },
  { name: 'unknown route, body in another media type', method: 'POST', path: '/v1/invoices', rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: refused(404, 'route_not_found') },
];

/** What a problem may hold; a stack trace, a file path or a database message would be a leak. */
const PROBLEM_MEMBERS: ReadonlySet<string> = new Set(['type', 'title', 'status', 'code', 'detail', 'requestId', 'errors']);
const INTERNALS = /\n\s+at |\bstack\b|node_modules|file:\/\/|\/work\/|\.ts:\d+|SQLITE_|violates|relation "/;

describeEachDatabase('api bad input: every refusal is 4xx problem+json and persists nothing', ({ target: database }) => {
  let h: HttpHarness;
  let world: World;

  before(async () => {
    h = await startHarness(database().config(), START_MS);
    const merchant = h.key(MERCHANT);
    const subscriberId = h.subscriber('Alice');
    const quote = async () => {
      const created = await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: OFFER, subscriberId } });
      assert.equal(created.status, 201, created.text);
      return { id: created.body.id as string, token: created.body.quoteToken as string, hash: created.body.announcement.hash as string };
    };
    const used = await quote();
    const consent = await h.call('POST', '/v1/sessions', { token: used.token, body: { quoteId: used.id, announcementHash: used.hash, cap: '5.00', accepted: true } });
    assert.equal(consent.status, 201, consent.text);
    const sessionId = consent.body.id as string;
    assert.equal((await h.call('POST', `/v1/sessions/${sessionId}/connect`, { token: merchant })).status, 200);
    await h.clock.advanceBy(20_000);
    const ended = await h.call('POST', `/v1/sessions/${sessionId}/end`, { token: merchant });
    assert.equal(ended.status, 200, ended.text);
    const offers = (await h.call('GET', '/v1/offers', { token: merchant })).body.items as { id: string; tariffHash: string }[];
    const tariff = await h.call('GET', `/v1/tariffs/${offers.find((offer) => offer.id === OFFER)?.tariffHash ?? '?'}`, { token: merchant });
    assert.equal(tariff.status, 200, tariff.text);
    world = {
      subscriberId, sessionId, userToken: consent.body.userToken, chargeId: ended.body.chargeId, quote: await quote(), tariff: tariff.body.tariff,
    };
  });
  after(async () => { await h.server.stop(); });

  /** One request as the case says, with any method (the harness speaks GET and POST only). */
  async function send(c: (typeof CASES)[number]) {
    const token = { merchant: h.key(MERCHANT), operator: h.key(OPERATOR), user: world.userToken, quote: world.quote.token, none: undefined }[c.as ?? 'merchant'];
    const headers: Record<string, string> = { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) };
    const body = c.rawBody ?? (c.body === undefined ? undefined : JSON.stringify(c.body(world)));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const key = c.idempotencyKey === undefined ? (c.method === 'POST' ? randomUUID() : null) : c.idempotencyKey;
    if (key !== null) headers['idempotency-key'] = key;
    Object.assign(headers, c.headers);
    const path = typeof c.path === 'string' ? c.path : c.path(world);
    const response = await fetch(`${h.server.url}${path}`, { method: c.method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  }

  it('the catalogue holds one case per name', () => {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.expect.status} ${c.expect.code}${c.expect.field === undefined ? '' : ` (${c.expect.field}: ${c.expect.rule ?? ''})`}`, async () => {
      const db = h.server.storage.database.db;
      const before = { state: await stateFingerprint(db), events: h.events.length };
      const result = await send(c);
      assert.equal(result.status, c.expect.status, result.text);
      assert.match(result.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.doesNotMatch(result.text, INTERNALS, 'no stack trace, path or SQL');
      const problem = JSON.parse(result.text) as Record<string, unknown>;
      for (const member of Object.keys(problem)) assert.ok(PROBLEM_MEMBERS.has(member), `a problem has no member ${member}`);
      assert.equal(problem['code'], c.expect.code);
      assert.equal(problem['status'], c.expect.status);
      assert.equal(typeof problem['requestId'], 'string');
      assert.equal(problem['requestId'], result.headers.get('x-request-id'));
      if (c.expect.field !== undefined) {
        const errors = problem['errors'] as { field: string; rule: string; message: string }[];
        assert.ok(errors.some((e) => e.field === c.expect.field && e.rule === c.expect.rule), `names ${c.expect.field} (${c.expect.rule ?? ''}): ${JSON.stringify(errors)}`);
        for (const e of errors) assert.deepEqual(Object.keys(e).sort(), ['field', 'message', 'rule']);
      }
      if (c.expect.allow !== undefined) assert.equal(result.headers.get('allow'), c.expect.allow);
      assert.deepEqual(await stateFingerprint(db), before.state, 'nothing persisted');
      assert.equal(h.events.length, before.events, 'nothing published');
    });
  }

  it('a page size is written in decimal digits: limit=0x10, 1e1, %205 or 5.0 → 400', async () => {
    for (const limit of ['0x10', '1e1', '%205', '5.0']) {
      const result = await h.call('GET', `/v1/sessions?limit=${limit}`, { token: h.key(MERCHANT) });
      assert.equal(result.status, 400, `limit=${limit}: ${result.text}`);
    }
  });

  it('after the whole catalogue the open quote still consents and the session is still unrated', async () => {
    const consent = await h.call('POST', '/v1/sessions', { token: world.quote.token, body: { quoteId: world.quote.id, announcementHash: world.quote.hash, cap: '5.00', accepted: true } });
    assert.equal(consent.status, 201, consent.text);
    const charge = await h.call('GET', `/v1/charges/${world.chargeId}`, { token: h.key(MERCHANT) });
    assert.deepEqual(charge.body.refunds, []);
    const rating = await h.call('POST', `/v1/sessions/${world.sessionId}/rating`, { token: world.userToken, body: { stars: 5 } });
    assert.equal(rating.status, 201, rating.text);
  });
});
