/**
 * Authorization matrix (issue 4 §3): every route of `apiRoutes()` × every kind of credential.
 * Allowed role on its own object → 2xx; allowed role on someone else's object → 404 with the
 * not-found code (ids leak nothing); role not allowed → 403 `forbidden`; no or unknown credential
 * → 401 `unauthenticated`. Every refusal is a bare problem+json, mentions nothing of the other
 * side, and changes nothing: the database fingerprint, the published events and the owner's view
 * of the object are the same before and after.
 *
 * The routes come from the registry, so a new route fails here until it has a row in MATRIX, and
 * a row must list exactly the principals the registry lets in.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { apiRoutes, type ProblemCode } from '../../../src/adapters/http/index.ts';
import type { PrincipalKind } from '../../../src/adapters/http/principal.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { closeDemoPeriod, writeDemoCharge } from '../../support/demo-charges.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';
import { stateFingerprint } from '../../support/state-fingerprint.ts';

const START_MS = Date.parse('2026-10-06T08:00:00Z'); // Tuesday 10:00 in Paris
/** Sessions left running between rows must not end by silence while the matrix runs. */
const LIVENESS_GRACE_MS = 3_600_000;
/** Before each row's calls the clock moves on: rate-limit buckets refill (20 anonymous requests a second). */
const ROW_PAUSE_MS = 1_000;

/** The side every "own" credential belongs to, and a stranger: another merchant, carrier and subscriber. */
const OWN = { merchant: 'mer_depannage_pc', offer: 'off_windows_help', subscriber: 'Alice', operator: 'car_orange' } as const;
const OTHER = { merchant: 'mer_conseil_juridique', offer: 'off_legal_advice', subscriber: 'Bruno', operator: 'car_sfr' } as const;
type Side = typeof OWN | typeof OTHER;

/** Every kind of caller, and the principal it authenticates as (null: it authenticates as nobody). */
const CREDENTIALS = {
  operatorOwn: 'operator', operatorOther: 'operator', merchantOwn: 'merchant', merchantOther: 'merchant',
  userOwn: 'user', userOther: 'user', quoteOwn: 'quote', quoteOther: 'quote',
  none: null, unknownApiKey: null, unknownUserToken: null,
} as const satisfies Record<string, PrincipalKind | null>;
type Credential = keyof typeof CREDENTIALS;
const OWN_CREDENTIALS: ReadonlySet<Credential> = new Set(['operatorOwn', 'merchantOwn', 'userOwn', 'quoteOwn']);

/** The only members a problem may carry (problem.ts): anything else could be someone's data. */
const PROBLEM_MEMBERS: ReadonlySet<string> = new Set(['type', 'title', 'status', 'code', 'detail', 'requestId', 'errors']);

interface Quoted { readonly id: string; readonly token: string; readonly hash: string }

/** An object of the own side: a quote, and from consent on its session, user token and charge. */
interface Target { readonly quote: Quoted; readonly sessionId?: string; readonly userToken?: string; readonly chargeId?: string }

type Stage = 'quoted' | 'queued' | 'active' | 'on_hold' | 'rated';

interface World {
  /** A metered, ended and charged session of each side. */
  readonly own: Target;
  readonly other: Target;
  readonly ownSubscriberId: string;
  readonly tariffHash: string;
  readonly tariff: unknown;
  /** A statement of a closed month (September) with the own side's operator as its debtor, and a declaration that matches it. */
  readonly closed: { readonly runId: string; readonly statementId: string; readonly declaration: string };
}

interface Outcome {
  readonly status: number;
  readonly code?: ProblemCode;
  readonly check?: (body: any, target: Target, world: World, text: string) => void;
}

interface Row {
  /** Who may call the route: the specification the registry is held to. */
  readonly principals: readonly PrincipalKind[];
  /** What the own credentials act on: the world's charged session, or a fresh one at this stage. */
  readonly on: 'world' | Stage;
  readonly request: (target: Target, world: World) => {
    readonly path: string; readonly body?: unknown; readonly idempotencyKey?: null;
    /** A body sent as is, with its Content-Type (a CSV file), instead of JSON. */
    readonly raw?: { readonly text: string; readonly contentType: string };
  };
  /** Allowed roles on their own object. */
  readonly own: Outcome;
  /** Allowed roles on the own side's object: 404 where ids are scoped, only their own data where they are not. */
  readonly foreign: Outcome | Partial<Record<Credential, Outcome>>;
}

const ok = (status: number, check?: Outcome['check']): Outcome => (check === undefined ? { status } : { status, check });
const notFound = (code: ProblemCode): Outcome => ({ status: 404, code });

function need(value: string | undefined, what: string): string {
  if (value === undefined) throw new Error(`the target has no ${what}`);
  return value;
}

const sessionPath = (target: Target, action = ''): string => `/v1/sessions/${need(target.sessionId, 'session')}${action}`;
const chargePath = (target: Target, suffix = ''): string => `/v1/charges/${need(target.chargeId, 'charge')}${suffix}`;
const itemIds = (body: any): string[] => (body.items as { id: string }[]).map((item) => item.id);
const statementIds = (body: any): string[] => (body.statements as { id: string }[]).map((s) => s.id);
/** The first column (statement id) of every row of a settlement CSV after its header. */
const csvIds = (text: string): string[] => text.split('\r\n').slice(1).filter((line) => line !== '').map((line) => line.split(',')[0] ?? '');
/** The parties of every agreement version listed. */
const partiesOf = (body: any): string[][] => (body.items as { billingCarrierId: string | null; hostingCarrierId: string }[])
  .map((a) => [a.hostingCarrierId, ...(a.billingCarrierId === null ? [] : [a.billingCarrierId])]);
const hasStatus = (status: string) => (body: any): void => { assert.equal(body.status, status); };

const MATRIX: Readonly<Record<string, Row>> = {
  'POST /v1/quotes': {
    principals: ['merchant', 'operator'], on: 'world',
    request: (_target, world) => ({ path: '/v1/quotes', body: { offerId: OWN.offer, subscriberId: world.ownSubscriberId } }),
    own: ok(201, (body, _target, world) => { assert.equal(body.subscriberId, world.ownSubscriberId); }),
    foreign: { merchantOther: notFound('offer_not_found'), operatorOther: notFound('subscriber_not_found') },
  },
  'POST /v1/sessions': {
    principals: ['quote', 'merchant'], on: 'quoted',
    request: (target) => ({ path: '/v1/sessions', body: { quoteId: target.quote.id, announcementHash: target.quote.hash, cap: '5.00', accepted: true } }),
    own: ok(201, hasStatus('queued')),
    foreign: notFound('quote_not_found'),
  },
  'GET /v1/sessions/{id}': {
    principals: ['user', 'merchant', 'operator'], on: 'world', request: (target) => ({ path: sessionPath(target) }),
    own: ok(200, (body, target) => { assert.equal(body.id, target.sessionId); }), foreign: notFound('session_not_found'),
  },
  'GET /v1/sessions': {
    principals: ['merchant', 'operator'], on: 'world', request: () => ({ path: '/v1/sessions?limit=200' }),
    own: ok(200, (body, target) => { assert.ok(itemIds(body).includes(need(target.sessionId, 'session'))); }),
    foreign: ok(200), // the leak check: nothing of the own side in the page
  },
  'POST /v1/sessions/{id}/connect': {
    principals: ['merchant'], on: 'queued', request: (target) => ({ path: sessionPath(target, '/connect'), body: {} }),
    own: ok(200, hasStatus('active')), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/hold': {
    principals: ['merchant'], on: 'active', request: (target) => ({ path: sessionPath(target, '/hold'), body: {} }),
    own: ok(200, hasStatus('on_hold')), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/resume': {
    principals: ['merchant'], on: 'on_hold', request: (target) => ({ path: sessionPath(target, '/resume'), body: {} }),
    own: ok(200, hasStatus('active')), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/media': {
    principals: ['merchant', 'user'], on: 'active', request: (target) => ({ path: sessionPath(target, '/media'), body: { medium: 'chat' } }),
    own: ok(200, (body) => { assert.equal(body.medium, 'chat'); }), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/heartbeat': {
    principals: ['user', 'merchant'], on: 'active', request: (target) => ({ path: sessionPath(target, '/heartbeat'), idempotencyKey: null }),
    own: ok(200, hasStatus('active')), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/end': {
    principals: ['user', 'merchant', 'operator'], on: 'active', request: (target) => ({ path: sessionPath(target, '/end'), body: {} }),
    own: ok(200, hasStatus('rated')), foreign: notFound('session_not_found'),
  },
  'POST /v1/sessions/{id}/rating': {
    principals: ['user'], on: 'rated', request: (target) => ({ path: sessionPath(target, '/rating'), body: { stars: 4, comment: 'Clair et rapide' } }),
    own: ok(201, (body) => { assert.equal(body.stars, 4); }), foreign: notFound('session_not_found'),
  },
  'GET /v1/charges/{id}': {
    principals: ['merchant', 'operator', 'user'], on: 'world', request: (target) => ({ path: chargePath(target) }),
    own: ok(200, (body, target) => { assert.equal(body.id, target.chargeId); }), foreign: notFound('charge_not_found'),
  },
  'GET /v1/charges': {
    principals: ['merchant', 'operator'], on: 'world', request: () => ({ path: '/v1/charges?limit=200' }),
    own: ok(200, (body, target) => { assert.ok(itemIds(body).includes(need(target.chargeId, 'charge'))); }),
    foreign: ok(200),
  },
  'POST /v1/charges/{id}/refunds': {
    principals: ['merchant', 'operator'], on: 'world', request: (target) => ({ path: chargePath(target, '/refunds'), body: { amount: '0.01', reason: 'goodwill' } }),
    own: ok(201, (body) => { assert.equal(body.amount, '0.01'); }), foreign: notFound('charge_not_found'),
  },
  'GET /v1/offers': {
    principals: ['merchant', 'operator'], on: 'world', request: () => ({ path: '/v1/offers' }),
    own: ok(200, (body) => { assert.ok(itemIds(body).includes(OWN.offer)); }),
    foreign: {
      merchantOther: ok(200, (body) => { assert.deepEqual(itemIds(body), [OTHER.offer]); }),
      operatorOther: ok(200, (body) => { assert.ok(itemIds(body).includes(OWN.offer), 'operators see every offer they may bill'); }),
    },
  },
  'GET /v1/offers/{id}/eligibility': {
    principals: ['merchant', 'operator'], on: 'world',
    request: (_target, world) => ({ path: `/v1/offers/${OWN.offer}/eligibility?subscriberId=${world.ownSubscriberId}` }),
    own: ok(200, (body) => { assert.equal(body.eligible, true); }),
    foreign: { merchantOther: notFound('offer_not_found'), operatorOther: notFound('subscriber_not_found') },
  },
  'POST /v1/tariffs': {
    principals: ['operator'], on: 'world', request: (_target, world) => ({ path: '/v1/tariffs', body: world.tariff }),
    // Tariffs are shared by content hash: publishing an existing one again changes nothing, whoever does it.
    own: ok(200, (body, _target, world) => { assert.equal(body.hash, world.tariffHash); }),
    foreign: ok(200, (body) => { assert.equal(body.created, false); }),
  },
  'GET /v1/tariffs/{hash}': {
    principals: ['merchant', 'operator'], on: 'world', request: (_target, world) => ({ path: `/v1/tariffs/${world.tariffHash}` }),
    own: ok(200, (body, _target, world) => { assert.equal(body.hash, world.tariffHash); }),
    foreign: ok(200), // published tariffs are readable by every key
  },
  'POST /v1/agreements': {
    principals: ['operator'], on: 'world',
    request: () => ({
      path: '/v1/agreements',
      body: { kind: 'carrier', billingCarrierId: OWN.operator, hostingCarrierId: 'car_bouygues', effectiveFrom: '2026-12-01T00:00:00+01:00', collectionFeeRate: '0.15', badDebtRate: '0.02' },
    }),
    own: ok(201, (body) => { assert.equal(body.billingCarrierId, OWN.operator); }),
    foreign: notFound('carrier_not_found'), // the other operator is no party to it
  },
  'GET /v1/agreements': {
    principals: ['operator'], on: 'world', request: () => ({ path: '/v1/agreements' }),
    own: ok(200, (body) => { assert.ok(partiesOf(body).every((parties) => parties.includes(OWN.operator))); }),
    foreign: ok(200, (body) => { assert.ok(partiesOf(body).every((parties) => parties.includes(OTHER.operator))); }),
  },
  'POST /v1/settlements': {
    principals: ['operator'], on: 'world', request: () => ({ path: '/v1/settlements', body: { period: '2026-10' } }),
    own: ok(200, (body) => { assert.deepEqual(statementIds(body), [`stm_2026-10_merchant_${OWN.operator}_${OWN.merchant}`]); }),
    foreign: ok(200, (body) => { assert.deepEqual(statementIds(body), [`stm_2026-10_merchant_${OTHER.operator}_${OTHER.merchant}`]); }),
  },
  'GET /v1/settlements/{id}.csv': {
    principals: ['operator'], on: 'world', request: (_target, world) => ({ path: `/v1/settlements/${world.closed.runId}.csv` }),
    own: ok(200, (_body, _target, world, text) => { assert.equal(csvIds(text).join(), world.closed.statementId); }),
    foreign: ok(200, (_body, _target, _world, text) => { assert.deepEqual(csvIds(text), []); }),
  },
  'GET /v1/settlements/{id}.json': {
    principals: ['operator'], on: 'world', request: (_target, world) => ({ path: `/v1/settlements/${world.closed.runId}.json` }),
    own: ok(200, (body, _target, world) => { assert.deepEqual(statementIds(body), [world.closed.statementId]); }),
    foreign: ok(200, (body) => { assert.deepEqual([statementIds(body), body.netting], [[], []]); }),
  },
  'GET /v1/settlements/{id}': {
    principals: ['operator'], on: 'world', request: (_target, world) => ({ path: `/v1/settlements/${world.closed.runId}` }),
    own: ok(200, (body, _target, world) => { assert.deepEqual(statementIds(body), [world.closed.statementId]); }),
    foreign: ok(200, (body) => { assert.deepEqual([statementIds(body), body.netting], [[], []]); }),
  },
  'GET /v1/statements/{id}.csv': {
    principals: ['operator', 'merchant'], on: 'world', request: (_target, world) => ({ path: `/v1/statements/${world.closed.statementId}.csv` }),
    own: ok(200, (_body, _target, world, text) => { assert.deepEqual(csvIds(text), [world.closed.statementId]); }),
    foreign: notFound('statement_not_found'),
  },
  'GET /v1/statements/{id}': {
    principals: ['operator', 'merchant'], on: 'world', request: (_target, world) => ({ path: `/v1/statements/${world.closed.statementId}` }),
    own: ok(200, (body, _target, world) => { assert.equal(body.id, world.closed.statementId); }),
    foreign: notFound('statement_not_found'),
  },
  'POST /v1/settlements/{id}/reconciliations': {
    principals: ['operator'], on: 'world',
    request: (_target, world) => ({
      path: `/v1/settlements/${world.closed.runId}/reconciliations?statement=${world.closed.statementId}`, idempotencyKey: null,
      raw: { text: world.closed.declaration, contentType: 'text/csv' },
    }),
    own: ok(200, (body) => { assert.equal(body.ok, true); assert.equal(body.counts.matched, 1); }),
    foreign: notFound('statement_not_found'), // the other operator is no party to the own side's merchant statement
  },
  'GET /v1/subscribers/{id}/bill': {
    principals: ['operator'], on: 'world', request: (_target, world) => ({ path: `/v1/subscribers/${world.ownSubscriberId}/bill?period=2026-10` }),
    own: ok(200, (body, target) => { assert.ok((body.lines as { chargeId: string }[]).some((line) => line.chargeId === target.chargeId)); }),
    foreign: notFound('subscriber_not_found'),
  },
  'GET /v1/merchants/{id}/payouts': {
    principals: ['merchant'], on: 'world', request: () => ({ path: `/v1/merchants/${OWN.merchant}/payouts?period=2026-10` }),
    own: ok(200, (body) => { assert.equal(body.merchantId, OWN.merchant); assert.equal(body.status, 'open'); }),
    foreign: notFound('merchant_not_found'),
  },
};

/** What `as` should get from `row`: 401, 403, then the row's own or foreign outcome. */
function expectedOutcome(row: Row, as: Credential): Outcome {
  const kind = CREDENTIALS[as];
  if (kind === null) return { status: 401, code: 'unauthenticated' };
  if (!row.principals.includes(kind)) return { status: 403, code: 'forbidden' };
  if (OWN_CREDENTIALS.has(as)) return row.own;
  if ('status' in row.foreign) return row.foreign;
  const outcome = row.foreign[as];
  if (outcome === undefined) throw new Error(`the row has no foreign outcome for ${as}`);
  return outcome;
}

function routeKey(route: { method: string; path: string }): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

describeEachDatabase('api authorization: every route × every credential', ({ target: database }) => {
  let h: HttpHarness;
  let world: World;
  /** Every id and secret of the own side: none may appear in an answer to anyone else. */
  const ownValues = new Set<string>();
  const garbage = { unknownApiKey: `pk_${randomBytes(20).toString('hex')}`, unknownUserToken: `ust_${randomBytes(24).toString('base64url')}` };

  function expectStatus(result: CallResult, status: number, what: string): CallResult {
    assert.equal(result.status, status, `${what}: ${result.text}`);
    return result;
  }

  /** A fresh object of `side`, taken through the API as far as `until`. */
  async function stage(side: Side, until: Stage): Promise<Target> {
    const merchant = h.key(side.merchant);
    const quote = expectStatus(await h.call('POST', '/v1/quotes', { token: merchant, body: { offerId: side.offer, subscriberId: h.subscriber(side.subscriber) } }), 201, 'quote');
    const quoted: Quoted = { id: quote.body.id, token: quote.body.quoteToken, hash: quote.body.announcement.hash };
    let target: Target = { quote: quoted };
    if (until !== 'quoted') {
      const body = { quoteId: quoted.id, announcementHash: quoted.hash, cap: '5.00', accepted: true };
      const consent = expectStatus(await h.call('POST', '/v1/sessions', { token: quoted.token, body }), 201, 'consent');
      target = { quote: quoted, sessionId: consent.body.id, userToken: consent.body.userToken };
      if (until !== 'queued') expectStatus(await h.call('POST', sessionPath(target, '/connect'), { token: merchant }), 200, 'connect');
      if (until === 'on_hold') expectStatus(await h.call('POST', sessionPath(target, '/hold'), { token: merchant }), 200, 'hold');
      if (until === 'rated') target = await end(side, target);
    }
    if (side === OWN) for (const value of [target.quote.id, target.quote.token, target.sessionId, target.userToken, target.chargeId]) if (value !== undefined) ownValues.add(value);
    return target;
  }

  async function end(side: Side, target: Target): Promise<Target> {
    const ended = expectStatus(await h.call('POST', sessionPath(target, '/end'), { token: h.key(side.merchant) }), 200, 'end');
    const chargeId: unknown = ended.body.chargeId; // null when nothing was metered
    if (typeof chargeId !== 'string') return target;
    if (side === OWN) ownValues.add(chargeId);
    return { ...target, chargeId };
  }

  function tokenOf(as: Credential, target: Target): string | undefined {
    switch (as) {
      case 'operatorOwn': return h.key(OWN.operator);
      case 'operatorOther': return h.key(OTHER.operator);
      case 'merchantOwn': return h.key(OWN.merchant);
      case 'merchantOther': return h.key(OTHER.merchant);
      case 'userOwn': return target.userToken ?? world.own.userToken;
      case 'userOther': return world.other.userToken;
      case 'quoteOwn': return target.quote.token;
      case 'quoteOther': return world.other.quote.token;
      case 'none': return undefined;
      case 'unknownApiKey': return garbage.unknownApiKey;
      case 'unknownUserToken': return garbage.unknownUserToken;
    }
  }

  /** What the owner sees of the object, through the API. */
  async function ownerView(target: Target): Promise<unknown[]> {
    const merchant = h.key(OWN.merchant);
    const view = async (path: string): Promise<unknown> => expectStatus(await h.call('GET', path, { token: merchant }), 200, `owner's GET ${path}`).body;
    return [
      target.sessionId === undefined ? null : await view(sessionPath(target)),
      target.chargeId === undefined ? null : await view(chargePath(target)),
    ];
  }

  /** The session as the broker holds it in memory: proofs of life are persisted only every few seconds. */
  async function liveSession(target: Target): Promise<unknown> {
    return target.sessionId === undefined ? null : ((await h.server.broker.view(target.sessionId))?.session ?? null);
  }

  before(async () => {
    h = await startHarness(database().config(), START_MS, LIVENESS_GRACE_MS);
    const ownActive = await stage(OWN, 'active');
    const otherActive = await stage(OTHER, 'active');
    await h.clock.advanceBy(120_000); // two metered minutes: the charges are not zero
    const offers = (await h.call('GET', '/v1/offers', { token: h.key(OWN.merchant) })).body.items as { id: string; tariffHash: string }[];
    const tariffHash = need(offers.find((offer) => offer.id === OWN.offer)?.tariffHash, 'tariff');
    const tariff = expectStatus(await h.call('GET', `/v1/tariffs/${tariffHash}`, { token: h.key(OWN.merchant) }), 200, 'tariff');
    // September, closed: one session of the own side, settled by the own operator's merchant statement.
    const september = await writeDemoCharge(h.server.storage.store, {
      tag: 'matrix_september', subscriberId: h.subscriber(OWN.subscriber), offerId: OWN.offer, startMs: Date.parse('2026-09-15T08:00:00Z'), seconds: 120,
    });
    await closeDemoPeriod(h.server.storage.store, '2026-09', h.clock.nowMs());
    const closed = {
      runId: 'set_2026-09', statementId: `stm_2026-09_merchant_${OWN.operator}_${OWN.merchant}`,
      declaration: `charge_id,session_id,start,billed_seconds,amount\n${september.id},${september.sessionId},2026-09-15T08:00:00Z,120,${september.amount.toString()}\n`,
    };
    world = {
      own: await end(OWN, ownActive), other: await end(OTHER, otherActive), ownSubscriberId: h.subscriber(OWN.subscriber),
      tariffHash: tariff.body.hash, tariff: tariff.body.tariff, closed,
    };
    ownValues.add(world.ownSubscriberId);
    const charge = expectStatus(await h.call('GET', chargePath(world.own), { token: h.key(OWN.merchant) }), 200, 'charge');
    assert.notEqual(charge.body.amount, '0.00', 'the own charge has something to refund');
  });
  after(async () => { await h.server.stop(); });

  /** One call; a refusal (or a foreign success) must leave the database, the events and the owner's view unchanged. */
  async function check(route: string, row: Row, as: Credential, target: Target, method: 'GET' | 'POST'): Promise<void> {
    const expected = expectedOutcome(row, as);
    const mayChange = OWN_CREDENTIALS.has(as) && expected.status < 300;
    const db = h.server.storage.database.db;
    const snapshot = async () => ({ state: await stateFingerprint(db), events: h.events.length, live: await liveSession(target) });
    const before = mayChange ? null : await snapshot();
    const request = row.request(target, world);
    const token = tokenOf(as, target);
    const result = await h.call(method, request.path, {
      ...(token === undefined ? {} : { token }), ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.idempotencyKey === null ? { idempotencyKey: null } : {}),
      ...(request.raw === undefined ? {} : { rawBody: request.raw.text, headers: { 'content-type': request.raw.contentType } }),
    });
    const label = `${route} as ${as}`;
    assert.equal(result.status, expected.status, `${label}: ${result.text}`);
    if (expected.status >= 400) {
      assert.match(result.headers.get('content-type') ?? '', /^application\/problem\+json/, label);
      assert.equal(result.body.code, expected.code, label);
      assert.equal(result.body.status, result.status, label);
      assert.equal(result.body.requestId, result.headers.get('x-request-id'), label);
      for (const member of Object.keys(result.body)) assert.ok(PROBLEM_MEMBERS.has(member), `${label}: a problem has no member ${member}`);
    } else {
      expected.check?.(result.body, target, world, result.text);
    }
    if (!OWN_CREDENTIALS.has(as)) {
      for (const value of ownValues) assert.ok(!result.text.includes(value), `${label}: the answer mentions ${value} of the other side`);
    }
    if (before !== null) {
      const now = await snapshot();
      assert.deepEqual(now.state, before.state, `${label}: nothing persisted`);
      assert.equal(now.events, before.events, `${label}: nothing published`);
      assert.deepEqual(now.live, before.live, `${label}: the running session is untouched (proofs of life, medium, status)`);
    }
  }

  it('MATRIX has a row for every route of apiRoutes() and no other', () => {
    const routes = apiRoutes({ broker: h.server.broker, store: h.server.storage.store, clock: h.clock }).map(routeKey);
    assert.deepEqual(Object.keys(MATRIX).sort(), [...routes].sort());
  });

  it('each route answers each credential as its row says, refusals change and leak nothing', async (t) => {
    for (const route of apiRoutes({ broker: h.server.broker, store: h.server.storage.store, clock: h.clock })) {
      const key = routeKey(route);
      await t.test(key, async () => {
        const row = MATRIX[key];
        assert.ok(row !== undefined, `${key} has no row in MATRIX: add who may call it and what each credential gets`);
        assert.deepEqual([...route.principals].sort(), [...row.principals].sort(), `${key}: the registry lets in exactly the row's principals`);
        let target = row.on === 'world' ? world.own : await stage(OWN, row.on);
        // Time moves on before the calls: a proof of life given by a refused call would now be visible.
        await h.clock.advanceBy(ROW_PAUSE_MS);
        const credentials = Object.keys(CREDENTIALS) as Credential[];
        const succeeds = (as: Credential): boolean => OWN_CREDENTIALS.has(as) && expectedOutcome(row, as).status < 300;
        const ownerBefore = await ownerView(target);
        for (const as of credentials.filter((c) => !succeeds(c))) await check(key, row, as, target, route.method === 'get' ? 'GET' : 'POST');
        assert.deepEqual(await ownerView(target), ownerBefore, `${key}: the owner sees the same object after every refusal`);
        // A success may consume its object (a quote consented to, a session ended): the next caller gets a fresh one.
        let consumed = false;
        for (const as of credentials.filter(succeeds)) {
          if (consumed && row.on !== 'world') target = await stage(OWN, row.on);
          await check(key, row, as, target, route.method === 'get' ? 'GET' : 'POST');
          consumed = true;
        }
      });
    }
  });

  it('an unknown quote token is refused like any unknown credential: 401 unauthenticated', async () => {
    const unknownQuoteToken = `qtk_${randomBytes(24).toString('base64url')}`;
    const list = await h.call('GET', '/v1/sessions', { token: unknownQuoteToken });
    assert.equal(list.status, 401, list.text);
    const consent = await h.call('POST', '/v1/sessions', {
      token: unknownQuoteToken, body: { quoteId: world.own.quote.id, announcementHash: world.own.quote.hash, cap: '5.00', accepted: true },
    });
    assert.equal(consent.status, 401, consent.text);
  });
});
