import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { testFiles } from './support/update-test-list.ts';

// Node 20 has no test glob, so `npm test` lists its files: this test keeps that list complete.
describe('npm test', () => {
  it('lists every test file under test/ (node --import tsx test/support/update-test-list.ts rewrites it)', () => {
    const script = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { test: string } }).scripts.test;
    assert.deepEqual(script.split(/\s+/).filter((word) => word.endsWith('.test.ts')).sort(), testFiles());
  });
});
