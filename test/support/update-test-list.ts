/**
 * Rewrites the `test` script of package.json to list every *.test.ts under test/ (Node 20 has no
 * test glob). Run after adding a test file: `node --import tsx test/support/update-test-list.ts`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function testFiles(dir = join(root, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'bench' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  }).sort();
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const path = join(root, 'package.json');
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as { scripts: Record<string, string> };
  pkg.scripts['test'] = `node --import tsx --test ${testFiles().join(' ')}`;
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
  process.stdout.write(`${pkg.scripts['test']}\n`);
}
