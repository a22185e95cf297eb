/** The demo data set and seeding it: the only door to src/app/seed. */
export type { DemoDataSetFiles } from './demo-data-set-schema.ts';
export { type DemoApiKeyEntry, type DemoDataSet, type DemoOfferEntry, type DemoSubscriberEntry, parseDemoDataSet } from './demo-data-set.ts';
export { FIXTURES_DIR, loadDemoDataSet } from './load-demo-data-set.ts';
export {
  type DemoApiKeyCredential, type DemoSeed, type DemoSubscriber, ensureSeeded, isDatabaseEmpty, seedDemo, type SeedDemoOptions,
} from './seed-demo.ts';
