/**
 * Operations over real HTTP (issue 4 §2), on SQLite and PostgreSQL: the OpenAPI document lists
 * every route of the registry and the docs page serves; every request is logged with the id its
 * response shows, carries the security headers, and no secret reaches the logs; rate limits are per API key;
 * idempotency records are purged a day after.
 *
 * The server logs through the logger it uses in production (createLogger, secrets redacted), here
 * with a destination that keeps the lines.
 */
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, it } from 'node:test';
import { apiRoutes } from '../../../src/adapters/http/app.ts';
import { RATE_LIMIT_KEY_BURST } from '../../../src/adapters/http/limits.ts';
import { IDEMPOTENCY_PURGE_INTERVAL_MS, IDEMPOTENCY_RECORD_TTL_MS } from '../../../src/app/limits.ts';
import { newApiSecret } from '../../../src/adapters/secrets/index.ts';
import { hashApiKeySecret } from '../../../src/domain/index.ts';
import { createLogger } from '../../../src/server.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { type CallResult, type HttpHarness, startHarness } from '../../support/http-harness.ts';

/** helmet's headers (computed once at start, app.ts), on every response. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;"
    + "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests;connect-src 'self' ws: wss:",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Tuesday 2026-10-06, 10:00 in Paris. */
const START_MS = Date.parse('2026-10-06T08:00:00Z');

describeEachDatabase('operations over HTTP: OpenAPI, request logs, rate limits', ({ target }) => {
  let h: HttpHarness;
  const logLines: string[] = [];
  before(async () => {
    h = await startHarness(target().config(), START_MS, 30_000, {
      logger: createLogger({ level: 'info', destination: { write: (line: string) => { logLines.push(line); } } }),
    });
  });
  after(async () => { await h.server.stop(); });

  const records = (): Record<string, unknown>[] => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('/openapi.json has every route of the registry with its method and operation id, and nothing else; /docs/api is an HTML page of them', async () => {
    const routes = apiRoutes({ broker: h.server.broker, store: h.server.storage.store, clock: h.clock });
    const doc = await h.call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    const paths = doc.body.paths as Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[] }>>;
    for (const route of routes) {
      const operation = paths[route.path]?.[route.method];
      assert.ok(operation !== undefined, `${route.method.toUpperCase()} ${route.path} is documented`);
      assert.equal(operation.operationId, route.operationId);
      const idempotencyHeader = operation.parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      assert.equal(idempotencyHeader, route.idempotencyKey === 'required', `${route.operationId}: the Idempotency-Key header is documented when required`);
    }
    const documented = Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)).sort();
    assert.deepEqual(documented, routes.map((route) => `${route.method} ${route.path}`).sort(), 'no operation documented that the registry does not serve');
    assert.equal(new Set(routes.map((r) => r.operationId)).size, routes.length, 'operation ids are unique');

    const page = await h.call('GET', '/docs/api');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.text, /^<!doctype html>/);
    for (const route of routes) assert.ok(page.text.includes(`<code>${route.method.toUpperCase()} ${route.path}</code>`), `${route.operationId} is on the page`);
  });

  it('every request log line carries the request id its response shows (X-Request-Id), and no credential appears in any log line', async () => {
    logLines.length = 0;
    const merchant = h.key('mer_depannage_pc');
    const operator = h.key('car_orange');
    const responses: CallResult[] = [];
    const call = async (...args: Parameters<HttpHarness['call']>): Promise<CallResult> => {
      const result = await h.call(...args);
      responses.push(result);
      return result;
    };
    const quote = await call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Alice') } });
    assert.equal(quote.status, 201);
    const quoteToken = quote.body.quoteToken as string;
    const consent = await call('POST', '/v1/sessions', {
      token: quoteToken, body: { quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '5.00', accepted: true },
    });
    assert.equal(consent.status, 201);
    const userToken = consent.body.userToken as string;
    await call('GET', `/v1/sessions/${consent.body.id as string}`, { token: userToken });
    await call('GET', '/v1/charges', { token: operator });
    const badKey = 'pk_demo_this_key_does_not_exist_0000';
    assert.equal((await call('GET', '/v1/sessions', { token: badKey })).status, 401);
    assert.equal((await call('POST', '/v1/quotes', { token: merchant, body: { offerId: 'off_windows_help', extra: 1 } })).status, 400);
    assert.equal((await call('GET', '/v1/nowhere', { token: merchant })).status, 404);
    const chosen = await call('GET', '/v1/offers', { token: merchant, headers: { 'x-request-id': 'client-chosen.id:42' } });
    assert.equal(chosen.headers.get('x-request-id'), 'client-chosen.id:42', 'a sane client request id is kept');
    const insane = await call('GET', '/v1/offers', { token: merchant, headers: { 'x-request-id': 'not sane, has spaces' } });
    assert.match(insane.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'an insane one is replaced');
    await new Promise((resolve) => setImmediate(resolve));

    const requestLines = records().filter((r) => r['msg'] === 'request');
    assert.equal(requestLines.length, responses.length, 'one request line per request');
    for (const [index, response] of responses.entries()) {
      const id = response.headers.get('x-request-id');
      assert.ok(id !== null && id !== '', 'every response has a request id');
      if (response.status >= 400) assert.equal(response.body.requestId, id, 'a problem carries the same id');
      const line = requestLines.filter((r) => r['requestId'] === id);
      assert.equal(line.length, 1, `response ${index} (${response.status}) has its one log line`);
      assert.equal(line[0]?.['status'], response.status);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(response.headers.get(name), value, `response ${index} (${response.status}) has ${name}`);
    }
    assert.equal(quote.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(quote.headers.get('etag'), null, 'no ETag on the answer to a POST');
    for (const secret of [merchant, operator, quoteToken, userToken, badKey]) {
      for (const line of logLines) assert.ok(!line.includes(secret), `a credential leaked into the logs: ${line}`);
    }
  });

  it('whoever logs a credential, the server\'s logger redacts it: headers, tokens, keys', () => {
    logLines.length = 0;
    const key = h.key('mer_depannage_pc');
    h.server.logger.info({
      req: { headers: { authorization: `Bearer ${key}` } }, headers: { authorization: `Bearer ${key}` }, authorization: key,
      token: 'ust_abc', body: { userToken: 'ust_def', quoteToken: 'qtk_ghi', apiKey: key, secret: key }, userToken: 'ust_jkl',
    }, 'probe');
    assert.equal(logLines.length, 1);
    const line = logLines[0] ?? '';
    for (const secret of [key, 'ust_abc', 'ust_def', 'qtk_ghi', 'ust_jkl']) assert.ok(!line.includes(secret), `${secret} is redacted: ${line}`);
    assert.match(line, /\[Redacted\]/);
  });

  it(`per-key rate limit: one API key past its burst (${RATE_LIMIT_KEY_BURST}) → 429 with Retry-After; another key, even of the same merchant, is unaffected; refilled a second later`, async () => {
    const limited = h.key('mer_ticket_expert');
    // A second key of the same merchant: limits are per key, not per merchant.
    const sibling = newApiSecret();
    await h.server.storage.store.insertApiKey({
      id: 'key_ticket_expert_2', keyHash: hashApiKeySecret(sibling), role: 'merchant', scopeId: 'mer_ticket_expert', label: 'second key', revokedAtMs: null,
    }, h.clock.nowMs());
    // The rate limiter runs on the server's (manual) clock: no token comes back while the test runs.
    await h.clock.advanceBy(5_000);
    for (let sent = 0; sent < RATE_LIMIT_KEY_BURST; sent += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => h.call('GET', '/v1/offers', { token: limited })));
      assert.deepEqual([...new Set(batch.map((r) => r.status))], [200], `within the burst (${sent + 50})`);
    }
    const refused = await h.call('GET', '/v1/offers', { token: limited });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.code, 'rate_limited');
    assert.equal(refused.headers.get('retry-after'), '1', 'a token comes back within a second (200 a second)');
    for (const other of [sibling, h.key('mer_conseil_juridique'), h.key('car_orange')]) {
      assert.equal((await h.call('GET', '/v1/offers', { token: other })).status, 200, 'another key has its own bucket');
    }
    assert.equal((await h.call('GET', '/v1/offers', { token: limited })).status, 429, 'still limited while the clock stands');
    await h.clock.advanceBy(1_000);
    assert.equal((await h.call('GET', '/v1/offers', { token: limited })).status, 200, 'refilled after Retry-After');
  });

  // Last: it moves the server's clock a day ahead.
  it('idempotency records: a POST replays for 24 h; the server purges its record after (logged), and the key then runs a new request', async () => {
    const merchant = h.key('mer_depannage_pc');
    const quote = (): Promise<CallResult> => h.call('POST', '/v1/quotes', {
      token: merchant, idempotencyKey: 'purged-after-a-day', body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Bruno') },
    });
    const first = await quote();
    assert.equal(first.status, 201, first.text);
    await h.clock.advanceBy(IDEMPOTENCY_RECORD_TTL_MS);
    const replay = await quote();
    assert.equal(replay.headers.get('idempotent-replayed'), 'true', '24 h later: replayed');
    assert.equal(replay.body.id, first.body.id);
    await h.clock.advanceBy(2 * IDEMPOTENCY_PURGE_INTERVAL_MS);
    const purges = records().filter((r) => r['msg'] === 'idempotency records purged');
    assert.ok(purges.length > 0 && purges.every((r) => typeof r['count'] === 'number' && r['count'] > 0), JSON.stringify(purges));
    const again = await quote();
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get('idempotent-replayed'), null, 'the record is gone: the key runs a new request');
    assert.notEqual(again.body.id, first.body.id);
  });

  it('requests and responses are built with the application\'s prototypes: express\'s per-request setPrototypeOf changes nothing (performance: node\'s inline caches)', async () => {
    const seen: { request: [object | null, object | null]; response: [object | null, object | null] }[] = [];
    const record = (req: IncomingMessage, res: ServerResponse): void => {
      const entry = { request: [Object.getPrototypeOf(req) as object | null, null] as [object | null, object | null], response: [Object.getPrototypeOf(res) as object | null, null] as [object | null, object | null] };
      seen.push(entry);
      res.once('finish', () => { entry.request[1] = Object.getPrototypeOf(req) as object | null; entry.response[1] = Object.getPrototypeOf(res) as object | null; });
    };
    h.server.http.prependListener('request', record);
    try {
      const quote = await h.call('POST', '/v1/quotes', { token: h.key('mer_depannage_pc'), body: { offerId: 'off_windows_help', subscriberId: h.subscriber('Alice') } });
      assert.equal(quote.status, 201, quote.text);
      assert.equal((await h.call('GET', '/livez')).status, 200);
    } finally {
      h.server.http.removeListener('request', record);
    }
    assert.equal(seen.length, 2);
    for (const { request, response } of seen) {
      assert.notEqual(request[0], IncomingMessage.prototype, 'built with the application\'s request prototype, not node\'s');
      assert.notEqual(response[0], ServerResponse.prototype);
      assert.ok(request[0] !== null && response[0] !== null && Object.getPrototypeOf(Object.getPrototypeOf(request[0])) === IncomingMessage.prototype);
      assert.equal(request[1], request[0], 'express found the prototype it sets already in place');
      assert.equal(response[1], response[0]);
    }
  });
});
