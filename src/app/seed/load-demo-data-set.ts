/**
 * Reads the demo data set shipped in fixtures/demo/ (and the tariff files it names from
 * fixtures/tariffs/). The paths are relative to this module, so the demo works from any working
 * directory, from the sources and from a build (dist/ mirrors src/ at the same depth).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DemoDataSetFiles } from './demo-data-set-schema.ts';
import { type DemoDataSet, parseDemoDataSet } from './demo-data-set.ts';

/** fixtures/ of this checkout. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** Every tariff file of `dir` by name without `.json`. */
function readTariffs(dir: string): Record<string, unknown> {
  const names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  return Object.fromEntries(names.map((name) => [name.slice(0, -'.json'.length), readJson(`${dir}${name}`)]));
}

/**
 * Loads and validates the demo data set. The files ship with the code, so one that does not
 * validate is a bug of the repository: this throws, listing every violation.
 *
 * @example const dataSet = loadDemoDataSet(); dataSet.carriers.length // 5
 */
export function loadDemoDataSet(fixturesDir: string = FIXTURES_DIR): DemoDataSet {
  const dir = fixturesDir.endsWith('/') ? fixturesDir : `${fixturesDir}/`;
  const files: DemoDataSetFiles = {
    carriers: readJson(`${dir}demo/carriers.json`),
    subscribers: readJson(`${dir}demo/subscribers.json`),
    merchants: readJson(`${dir}demo/merchants.json`),
    agreements: readJson(`${dir}demo/agreements.json`),
    apiKeys: readJson(`${dir}demo/api-keys.json`),
  };
  const parsed = parseDemoDataSet(files, readTariffs(`${dir}tariffs/`));
  if (!parsed.ok) {
    const lines = parsed.error.map((v) => `  ${v.field}: ${v.message} [${v.rule}]`);
    throw new Error(`the demo data set in ${dir}demo/ is invalid:\n${lines.join('\n')}`);
  }
  return parsed.value;
}
