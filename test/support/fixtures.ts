/** Loading fixtures for tests: golden vectors and tariff files, parsed and checked. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTariff, type Tariff } from '../../src/domain/index.ts';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function readJson(relativePath: string): unknown {
  return JSON.parse(readFileSync(FIXTURES_DIR + relativePath, 'utf8')) as unknown;
}

/** Parses a tariff and fails loudly: a fixture that does not parse is a broken test. */
export function tariffFrom(json: unknown): Tariff {
  const parsed = parseTariff(json);
  if (!parsed.ok) throw new Error(`fixture tariff does not parse: ${JSON.stringify(parsed.error)}`);
  return parsed.value;
}

export function fixtureTariff(name: string): Tariff {
  return tariffFrom(readJson(`tariffs/${name}.json`));
}

export interface GoldenVector {
  readonly id: string;
  readonly source: string;
  readonly tariff: unknown;
  readonly meteringStart: string;
  readonly meteredSeconds?: number;
  readonly meteredIntervals?: readonly { readonly start: string; readonly seconds: number }[];
  readonly cap?: string;
  readonly expected: {
    readonly billed: string;
    readonly billedSeconds?: number;
    readonly cap?: string;
    readonly maxAffordableSeconds?: number;
    readonly net?: string;
    readonly vat?: string;
  };
}

export function goldenVectors(file: string): readonly GoldenVector[] {
  return (readJson(file) as { vectors: GoldenVector[] }).vectors;
}
