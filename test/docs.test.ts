import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tariffJsonSchema } from '../src/domain/index.ts';

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('docs', () => {
  it('docs/tariff-format.md embeds the JSON Schema generated from the validating schema', () => {
    const doc = read('docs/tariff-format.md');
    const embedded = /## JSON Schema[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    assert.ok(embedded !== undefined, 'the JSON Schema block is present');
    assert.deepEqual(JSON.parse(embedded), tariffJsonSchema());
  });

  it('the README shows both commands', () => {
    const readme = read('README.md');
    assert.match(readme, /npm install && npm start/);
    assert.match(readme, /npm test/);
  });
});
