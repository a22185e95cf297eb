/**
 * The web pages Palier serves (issue 5): the embeddable user widget under /widget (always: a
 * merchant page loads it from here) and, in demo mode only, a demo merchant page, the advisor
 * console and the demo merchant backend under /demo. The assets are plain files (ES modules, CSS,
 * HTML) in src/web/static: nothing is generated, there is no build step.
 *
 * The pages run under the application's Content-Security-Policy (`script-src 'self'`): no inline
 * script or event handler anywhere.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';
import type { SessionBroker, Store } from '../app/index.ts';
import { ProblemError } from '../adapters/http/problem.ts';
import { demoRouter } from './demo-router.ts';

/** The folder of the static assets: widget/ and demo/. */
export const WEB_STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

export interface WebDeps {
  readonly broker: SessionBroker;
  readonly store: Store;
  readonly nowMs: () => number;
  /** Serve the demo pages and the demo merchant backend (/demo). */
  readonly demo: boolean;
}

function noCache(res: Response): void {
  // Revalidated on every load: a new server version is picked up at once, and an ETag keeps it cheap.
  res.setHeader('Cache-Control', 'no-cache');
}

/** The embeddable widget: loadable from any merchant origin (a module script is fetched with CORS). */
export function widgetRouter(): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  router.use(express.static(join(WEB_STATIC_DIR, 'widget'), { index: false, setHeaders: noCache }));
  router.use((_req, _res, next) => { next(new ProblemError('route_not_found')); });
  return router;
}

/** The demo merchant page (index.html) and the advisor console (console.html, also at /demo/console). */
export function demoPagesRouter(): express.Router {
  const router = express.Router();
  router.use(express.static(join(WEB_STATIC_DIR, 'demo'), { index: 'index.html', extensions: ['html'], setHeaders: noCache }));
  router.use((_req, _res, next) => { next(new ProblemError('route_not_found')); });
  return router;
}

/**
 * Mounts the web routers on the application, before the API (AppDeps.extra).
 *
 * @example createApp({ ...deps, extra: (app) => { mountWeb(app, { broker, store, nowMs, demo: true }); } })
 */
export function mountWeb(app: express.Express, deps: WebDeps): void {
  app.use('/widget', widgetRouter());
  if (!deps.demo) return;
  app.get('/', (_req, res) => { res.redirect(302, '/demo/'); });
  app.use('/demo/api', demoRouter(deps));
  app.use('/demo', demoPagesRouter());
}
