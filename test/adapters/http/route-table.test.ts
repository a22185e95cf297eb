/**
 * The route table (src/adapters/http/route-table.ts) picks the route express's own router would
 * pick: the API's real routes, mounted once as express layers (as the application did before) and
 * once through the table, are sent the same requests over HTTP — each route's path with random
 * parameters (percent-encoding valid or not, dots, the `.csv`/`.json` suffixes), literals in
 * random case, no, one or two trailing slashes, unknown paths, and GET, HEAD, POST, PUT — and
 * must answer with the same route, the same decoded parameters, or the same refusal. When no route
 * takes a request, the table's `find` names the methods its path has routes for (the API's 405 and
 * its `Allow`): exactly the methods express's layers answer for that path.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import fc from 'fast-check';
import { apiRoutes } from '../../../src/adapters/http/app.ts';
import type { Route } from '../../../src/adapters/http/route.ts';
import { RouteTable } from '../../../src/adapters/http/route-table.ts';
import type { SessionBroker, Store } from '../../../src/app/index.ts';

/** The routes only: no handler runs here, so the broker and store are never called. */
const routes = apiRoutes({ broker: Object.create(null) as SessionBroker, store: Object.create(null) as Store, clock: { nowMs: () => 0 } });

/** Answers which route was chosen, and its parameters, in headers (a HEAD response has no body). */
const answer = (route: Route) => (req: Request, res: Response): void => {
  res.setHeader('X-Route', `${route.method} ${route.path}`);
  res.setHeader('X-Params', encodeURIComponent(JSON.stringify(req.params)));
  res.status(200).end();
};

function application(mount: (app: express.Express) => void): express.Express {
  const app = express();
  mount(app);
  app.use((_req, res) => { res.setHeader('X-Route', 'none'); res.status(404).end(); });
  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.setHeader('X-Route', `error ${error.name}`);
    res.status(error.status ?? 500).end();
  });
  return app;
}

const servers: { close: () => void }[] = [];

async function serve(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let viaLayers = '';
let viaTable = '';

before(async () => {
  viaLayers = await serve(application((app) => {
    for (const route of routes) app[route.method](route.path.replace(/\{([A-Za-z]+)\}/g, ':$1'), answer(route));
  }));
  // As the API layer uses the table: a refused parameter is the error, no route goes on (here to 404).
  const table = new RouteTable(routes, answer);
  viaTable = await serve(application((app) => {
    app.use((req, res, next) => {
      const found = table.find(req.method, req.path);
      if (found.kind === 'bad_parameter') next(found.error);
      else if (found.kind !== 'route') next();
      else {
        req.params = found.params;
        found.value(req, res);
      }
    });
  }));
});
after(() => { for (const server of servers) server.close(); });

async function outcome(base: string, method: string, path: string): Promise<string> {
  const response = await fetch(`${base}${path}`, { method });
  await response.arrayBuffer();
  return `${response.status} ${response.headers.get('x-route')} ${decodeURIComponent(response.headers.get('x-params') ?? '')}`;
}

/** Parameter values: safe characters, dots and suffixes, valid and broken percent-encoding. */
const parameter = fc.array(fc.constantFrom('a', 'Z', '0', '_', '-', '~', '.', '.csv', '.JSON', '%41', '%2F', '%e2%82%ac', '%zz', '%', '%C3'), { minLength: 0, maxLength: 5 })
  .map((parts) => parts.join(''));

/** Route paths are ASCII: one character a code unit. */
const flipCase = (text: string, flips: readonly boolean[]): string => Array.from({ length: text.length }, (_, i) => (flips[i % flips.length] ? text.charAt(i).toUpperCase() : text.charAt(i))).join('');

const request = fc.record({
  route: fc.constantFrom(...routes),
  values: fc.array(parameter, { minLength: 2, maxLength: 2 }),
  flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
  slashes: fc.constantFrom('', '/', '//'),
  extra: fc.constantFrom('', '', '', '/x', '/{id}'),
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'),
}).map(({ route, values, flips, slashes, extra, method }) => {
  let index = 0;
  const path = flipCase(`${route.path}${extra}`, flips).replace(/\{[A-Za-z]+\}/gi, () => values[index++ % values.length] ?? '');
  return { method, path: `${path}${slashes}` };
});

it('every route, with its own parameters, is found as express finds it', async () => {
  for (const route of routes) {
    const path = route.path.replace(/\{[A-Za-z]+\}/g, 'abc_1');
    const expected = `200 ${route.method} ${route.path} ${JSON.stringify(Object.fromEntries([...route.path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => [m[1], 'abc_1'])))}`;
    assert.equal(await outcome(viaTable, route.method.toUpperCase(), path), expected);
    assert.equal(await outcome(viaLayers, route.method.toUpperCase(), path), expected);
  }
  assert.match(await outcome(viaTable, 'GET', '/v1/settlements/run_1.csv'), /^200 get \/v1\/settlements\/\{id\}\.csv \{"id":"run_1"\}$/);
  assert.match(await outcome(viaTable, 'GET', '/v1/settlements/run_1'), /^200 get \/v1\/settlements\/\{id\} \{"id":"run_1"\}$/);
  assert.match(await outcome(viaTable, 'GET', '/v1/sessions/%zz'), /^400 error URIError/);
});

it('any request gets the route, parameters or refusal express gives it', async () => {
  await fc.assert(fc.asyncProperty(request, async ({ method, path }) => {
    assert.equal(await outcome(viaTable, method, path), await outcome(viaLayers, method, path), `${method} ${path}`);
  }), { numRuns: 400 });
});

it('a path no route takes with this method is offered the methods express answers for it', async () => {
  const table = new RouteTable(routes, (route) => route);
  const methods = ['GET', 'HEAD', 'POST'];
  await fc.assert(fc.asyncProperty(request, async ({ method, path }) => {
    const found = table.find(method, new URL(path, 'http://x').pathname);
    if (found.kind === 'route' || found.kind === 'bad_parameter') return;
    const answered: string[] = [];
    for (const other of methods) if ((await outcome(viaLayers, other, path)).startsWith('200 ')) answered.push(other);
    const offered = found.kind === 'none' ? [] : [...found.allow];
    assert.deepEqual([...offered].sort(), answered.sort(), `${method} ${path}`);
  }), { numRuns: 150 });
  assert.deepEqual(table.find('PUT', '/v1/sessions'), { kind: 'other_methods', allow: ['POST', 'GET', 'HEAD'] });
  assert.deepEqual(table.find('POST', '/V1/SESSIONS/ses_1'), { kind: 'other_methods', allow: ['GET', 'HEAD'] });
  assert.deepEqual(table.find('GET', '/v1/invoices'), { kind: 'none' });
});
