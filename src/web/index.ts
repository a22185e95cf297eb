/** The web adapter: the user widget, the advisor console and the demo merchant backend (issue 5). */
export { demoRouter, type DemoRouterDeps } from './demo-router.ts';
export { demoLinks } from './demo-links.ts';
export { demoPagesRouter, mountWeb, WEB_STATIC_DIR, type WebDeps, widgetRouter } from './web-router.ts';
