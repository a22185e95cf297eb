import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { demoLinks } from '../../src/web/index.ts';
import { startPalierProcess } from '../support/palier-process.ts';

const CREDENTIALS = JSON.stringify({
  apiKeys: [
    { role: 'operator', scopeId: 'car_orange', label: 'Orange operator (demo)', secret: 'pk_demo_operator' },
    { role: 'merchant', scopeId: 'mer_a', label: 'A merchant (demo)', secret: 'pk_demo_a+b' },
    { role: 'merchant', scopeId: 'mer_b', label: 'B merchant (demo)', secret: 'pk_demo_b' },
  ],
  subscribers: [
    { id: 'sub_barred', label: 'Émile, barred', status: 'barred', msisdn: '+33', billingCarrierId: 'car_free' },
    { id: 'sub_alice', label: 'Alice, Orange', status: 'active', msisdn: '+33', billingCarrierId: 'car_orange' },
  ],
});

describe('web: the demo URLs npm start prints', () => {
  it('the merchant page with the first active subscriber, and a console per merchant key in the fragment', () => {
    assert.deepEqual(demoLinks('http://127.0.0.1:8080', CREDENTIALS, 'data/demo-credentials.json'), [
      '  Demo merchant   http://127.0.0.1:8080/demo/?subscriber=sub_alice  (Alice, Orange)',
      '  Advisor console http://127.0.0.1:8080/demo/console#key=pk_demo_a%2Bb  (A merchant (demo))',
      '                  http://127.0.0.1:8080/demo/console#key=pk_demo_b  (B merchant (demo))',
    ]);
  });

  it('without a readable credentials file, the URLs say where the ids and keys are', () => {
    for (const text of [null, 'not json', '{"apiKeys":3}']) {
      const lines = demoLinks('http://h', text, 'data/demo-credentials.json');
      assert.equal(lines.length, 2);
      assert.match(lines[0] ?? '', /http:\/\/h\/demo\/ {2}\(add \?subscriber=<id>; the demo subscribers' ids are in data\/demo-credentials\.json\)/);
      assert.match(lines[1] ?? '', /http:\/\/h\/demo\/console#key=<a merchant API key from data\/demo-credentials\.json>/);
    }
  });
});

describe('web: npm start and the demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palier-demo-start-'));
  const env = { PALIER_SQLITE_PATH: join(dir, 'palier.sqlite') };
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('prints ready-to-open demo URLs that work; PALIER_DEMO=0 turns the demo off', async () => {
    const first = await startPalierProcess({ env: { ...env, PALIER_DEMO: '1' }, cwd: dir });
    try {
      const merchantLine = first.lines.find((line) => line.startsWith('  Demo merchant'));
      const consoleLine = first.lines.find((line) => line.startsWith('  Advisor console'));
      const credentials = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as {
        subscribers: { id: string; label: string }[]; apiKeys: { scopeId: string; secret: string }[];
      };
      const alice = credentials.subscribers.find((s) => s.label.startsWith('Alice'))?.id ?? '';
      assert.equal(merchantLine, `  Demo merchant   ${first.url}/demo/?subscriber=${alice}  (Alice, Orange)`);
      const merchantKey = credentials.apiKeys.find((k) => k.scopeId === 'mer_depannage_pc')?.secret ?? '';
      assert.equal(consoleLine, `  Advisor console ${first.url}/demo/console#key=${encodeURIComponent(merchantKey)}  (Dépannage PC merchant (demo))`);
      assert.equal((await fetch(`${first.url}/demo/?subscriber=${alice}`)).status, 200);
      assert.equal((await fetch(`${first.url}/demo/console`)).status, 200);
    } finally {
      await first.stop('SIGTERM');
    }
    const second = await startPalierProcess({ env: { ...env, PALIER_DEMO: '0' }, cwd: dir });
    try {
      assert.ok(!second.lines.some((line) => line.includes('/demo/')), second.lines.join('\n'));
      assert.equal((await fetch(`${second.url}/demo/`)).status, 404);
      assert.equal((await fetch(`${second.url}/widget/palier-widget.js`)).status, 200);
    } finally {
      await second.stop('SIGTERM');
    }
  });
});
