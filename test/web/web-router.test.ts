import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type DemoServer, startDemoServer } from '../support/demo-server.ts';

async function get(url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A problem's violations as [field, rule] pairs. */
function violations(problem: unknown): [string, string][] {
  return (problem as { errors: { field: string; rule: string }[] }).errors.map((violation) => [violation.field, violation.rule]);
}

/** The status of a GET sent with the path exactly as written (fetch would normalise the dots away). */
function rawStatus(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(base), { path, method: 'GET' }, (response) => { response.resume(); resolve(response.statusCode ?? 0); });
    request.on('error', reject);
    request.end();
  });
}

async function send(url: string, body: string, contentType = 'application/json'): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
}

describe('web: the widget, the demo pages and the demo merchant backend over HTTP', () => {
  let demo: DemoServer;
  before(async () => { demo = await startDemoServer(); });
  after(async () => { await demo.stop(); });

  it('the widget script is served as JavaScript, loadable from any merchant origin, under the CSP', async () => {
    const script = await get(`${demo.url}/widget/palier-widget.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal(script.headers.get('access-control-allow-origin'), '*');
    assert.equal(script.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.match(script.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(script.text, /customElements\.define\('palier-assist'/);
    for (const asset of ['palier-widget.css', 'palier-meter.css', 'palier-live.js', 'palier-meter.js', 'palier-format.js', 'palier-i18n.js', 'palier-dom.js']) {
      assert.equal((await get(`${demo.url}/widget/${asset}`)).status, 200, asset);
    }
  });

  it('an unknown widget file is a problem+json 404, and nothing outside the folder is reachable', async () => {
    const missing = await get(`${demo.url}/widget/nope.js`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(JSON.parse(missing.text).code, 'route_not_found');
    for (const path of ['/widget/..%2f..%2fweb-router.ts', '/widget/%2e%2e/%2e%2e/web-router.ts', '/widget/../../web-router.ts']) {
      assert.equal(await rawStatus(demo.url, path), 404, path);
    }
  });

  it('the demo pages load only external scripts: no inline script or handler (CSP script-src self)', async () => {
    for (const path of ['/demo/', '/demo/console', '/demo/console.html']) {
      const page = await get(`${demo.url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.ok(scripts.length > 0, `${path} has scripts`);
      for (const [, attributes, body] of scripts) {
        assert.match(attributes ?? '', /\bsrc="/, `${path}: every script is external`);
        assert.equal(body?.trim(), '', `${path}: no inline script`);
      }
      assert.doesNotMatch(page.text, /\son[a-z]+\s*=/i, `${path}: no inline event handler`);
    }
    assert.match((await get(`${demo.url}/demo/`)).text, /<palier-assist\b/);
    const root = await get(`${demo.url}/`);
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/demo/');
  });

  it('GET /demo/api/offers lists the active demo offers with their merchants', async () => {
    const offers = JSON.parse((await get(`${demo.url}/demo/api/offers`)).text) as { items: { id: string; merchantName: string }[] };
    assert.deepEqual(offers.items.map((offer) => offer.id).sort(), ['off_expert_ticket', 'off_legal_advice', 'off_windows_help']);
    assert.equal(offers.items.find((offer) => offer.id === 'off_windows_help')?.merchantName, 'Dépannage PC (démo)');
  });

  it('GET /demo/api/eligibility says whether to show the button, with the cap allowed or the reason', async () => {
    const yes = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=off_windows_help&subscriber=${demo.subscriber('Alice')}`)).text);
    assert.deepEqual(yes, { eligible: true, reason: null, capAllowed: '30.00', currency: 'EUR' });
    const barred = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=off_windows_help&subscriber=${demo.subscriber('Émile')}`)).text);
    assert.deepEqual(barred, { eligible: false, reason: 'subscriber_barred', capAllowed: null, currency: null });
    const unknown = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=off_nope&subscriber=${demo.subscriber('Alice')}`)).text);
    assert.equal(unknown.reason, 'offer_not_found');
  });

  it('bad eligibility queries are 400 validation_failed naming the field and the rule', async () => {
    const missing = await get(`${demo.url}/demo/api/eligibility?offer=off_windows_help`);
    assert.equal(missing.status, 400);
    assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = JSON.parse(missing.text);
    assert.equal(body.code, 'validation_failed');
    assert.deepEqual(violations(body), [['query.subscriber', 'required']]);
    const extra = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=a&subscriber=b&debug=1`)).text);
    assert.deepEqual(violations(extra), [['query.debug', 'unknown_field']]);
    const twice = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=a&offer=b&subscriber=c`)).text);
    assert.deepEqual(violations(twice), [['query.offer', 'type']]);
    const bad = JSON.parse((await get(`${demo.url}/demo/api/eligibility?offer=${encodeURIComponent('a b')}&subscriber=c`)).text);
    assert.deepEqual(violations(bad), [['query.offer', 'format']]);
  });

  it('POST /demo/api/quotes returns the quote with its token, and the widget can consent with that token', async () => {
    const quote = await send(`${demo.url}/demo/api/quotes`, JSON.stringify({ offer: 'off_windows_help', subscriber: demo.subscriber('Alice'), locale: 'en' }));
    assert.equal(quote.status, 201);
    assert.match(quote.body.quoteToken, /^qtk_/);
    assert.equal(quote.body.locale, 'en');
    assert.match(quote.body.announcement.text, /^Assistance tariff, prices including VAT/);
    const consent = await demo.call('POST', '/v1/sessions', quote.body.quoteToken, {
      quoteId: quote.body.id, announcementHash: quote.body.announcement.hash, cap: '3.00', accepted: true,
    });
    assert.equal(consent.status, 201);
    assert.equal(consent.body.status, 'queued');
    assert.match(consent.body.userToken, /^ust_/);
    const ended = await demo.call('POST', `/v1/sessions/${consent.body.id as string}/end`, consent.body.userToken);
    assert.equal(ended.body.status, 'rated');
  });

  it('bad quote requests are problems: schema 400, malformed JSON 400, unknown offer 404, barred 422, GET 405', async () => {
    const url = `${demo.url}/demo/api/quotes`;
    const wrongLocale = await send(url, JSON.stringify({ offer: 'off_windows_help', subscriber: demo.subscriber('Alice'), locale: 'de' }));
    assert.equal(wrongLocale.status, 400);
    assert.deepEqual(violations(wrongLocale.body), [['body.locale', 'enum']]);
    const notObject = await send(url, '[]');
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.code, 'validation_failed');
    const malformed = await send(url, '{"offer":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'malformed_json');
    const text = await send(url, 'offer=x', 'text/plain');
    assert.deepEqual([text.status, text.body.code], [415, 'unsupported_media_type']);
    const empty = await fetch(url, { method: 'POST' });
    assert.equal(empty.status, 400);
    assert.deepEqual(violations(await empty.json()), [['body', 'required']]);
    const unknown = await send(url, JSON.stringify({ offer: 'off_nope', subscriber: demo.subscriber('Alice') }));
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'offer_not_found']);
    const barred = await send(url, JSON.stringify({ offer: 'off_windows_help', subscriber: demo.subscriber('Émile') }));
    assert.deepEqual([barred.status, barred.body.code], [422, 'subscriber_barred']);
    const get405 = await get(url);
    assert.equal(get405.status, 405);
    assert.equal(get405.headers.get('allow'), 'POST');
    assert.equal((await get(`${demo.url}/demo/api/nope`)).status, 404);
  });
});

describe('web: without the demo option', () => {
  let plain: DemoServer;
  before(async () => { plain = await startDemoServer({ demo: false }); });
  after(async () => { await plain.stop(); });

  it('serves the widget but no demo page, no demo backend and no redirect', async () => {
    assert.equal((await get(`${plain.url}/widget/palier-widget.js`)).status, 200);
    for (const path of ['/demo/', '/demo/console', '/demo/api/offers', '/']) {
      const response = await get(`${plain.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(JSON.parse(response.text).code, 'route_not_found', path);
    }
  });
});
