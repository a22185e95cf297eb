/**
 * Graceful shutdown of the real server process (issue 4 §2), on SQLite and PostgreSQL: on SIGTERM
 * it stops accepting connections, finishes the request in flight, keeps the open sessions in the
 * database for the next start and exits 0.
 *
 * The request in flight is a quote whose body the test sends in two halves: the server has its
 * headers (the request is running, waiting for the rest of its body) when the signal comes, and
 * gets the second half only after it has stopped listening.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { demoCredentialsPath } from '../../../src/adapters/secrets/index.ts';
import { KyselyStore } from '../../../src/adapters/store/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { databaseEnv, type PalierProcess, startPalierProcess } from '../../support/palier-process.ts';

/** Long enough for the server to parse the headers of the first half, on a loaded machine. */
const HEADERS_ARRIVE_MS = 500;
/** The server logs "stopping" within this long of the signal. */
const STOPPING_WITHIN_MS = 5_000;

interface Credentials {
  readonly apiKeys: readonly { scopeId: string; secret: string }[];
  readonly subscribers: readonly { id: string; label: string }[];
}

/** Whether a new TCP connection to `url` is refused. */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); done(false); });
    socket.once('error', (error: NodeJS.ErrnoException) => { done(error.code === 'ECONNREFUSED'); });
  });
}

describeEachDatabase('graceful shutdown of the real server', ({ database, target }) => {
  let cwd = '';
  let server: PalierProcess | null = null;
  let credentials: Credentials;
  const key = (scopeId: string): string => credentials.apiKeys.find((k) => k.scopeId === scopeId)?.secret ?? assert.fail(`a demo key for ${scopeId}`);
  const subscriber = (label: string): string => credentials.subscribers.find((s) => s.label.startsWith(label))?.id ?? assert.fail(`a demo subscriber ${label}`);

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'palier-sigterm-'));
    server = await startPalierProcess({ env: databaseEnv(target().config()), cwd });
    credentials = JSON.parse(readFileSync(resolve(cwd, demoCredentialsPath(target().config())), 'utf8')) as Credentials;
  }, { timeout: 30_000 });
  after(async () => {
    await server?.stop('SIGKILL');
    if (cwd !== '') rmSync(cwd, { recursive: true, force: true });
  });

  async function post(url: string, token: string, body: unknown): Promise<any> {
    const response = await fetch(url, {
      method: 'POST', body: JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    });
    assert.ok(response.status === 200 || response.status === 201, `${url}: ${response.status}`);
    return response.json();
  }

  it('SIGTERM: new connections are refused, the request in flight completes (201), the open session stays in the database, exit code 0', async () => {
    assert.ok(server !== null);
    const { url, pid } = server;
    const merchant = key('mer_conseil_juridique');
    // An active session, left open across the stop.
    const quote = await post(`${url}/v1/quotes`, merchant, { offerId: 'off_legal_advice', subscriberId: subscriber('Alice') });
    const consent = await post(`${url}/v1/sessions`, quote.quoteToken as string, { quoteId: quote.id, announcementHash: quote.announcement.hash, cap: '5.00', accepted: true });
    await post(`${url}/v1/sessions/${consent.id as string}/connect`, merchant, {});

    // The request in flight: headers and half of the body now, the rest after the signal.
    const body = JSON.stringify({ offerId: 'off_legal_advice', subscriberId: subscriber('Bruno'), locale: 'en' });
    const half = Math.floor(body.length / 2);
    const inFlight = request(`${url}/v1/quotes`, {
      method: 'POST', agent: false,
      headers: {
        authorization: `Bearer ${merchant}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'idempotency-key': randomUUID(),
      },
    });
    const answered = new Promise<{ status: number; text: string }>((done, fail) => {
      inFlight.once('response', (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => { done({ status: response.statusCode ?? 0, text }); });
      });
      inFlight.once('error', fail);
    });
    inFlight.write(body.slice(0, half));
    await sleep(HEADERS_ARRIVE_MS);

    process.kill(pid, 'SIGTERM');
    const signalledAtMs = Date.now();
    while (server.logRecord('stopping') === null) {
      assert.ok(Date.now() - signalledAtMs < STOPPING_WITHIN_MS, `the server logs that it is stopping:\n${server.lines.join('\n')}`);
      await sleep(20);
    }
    assert.equal(await refused(url), true, 'a new connection is refused once the server is stopping');

    inFlight.end(body.slice(half));
    const response = await answered;
    assert.equal(response.status, 201, response.text);
    const inFlightQuote = JSON.parse(response.text) as { id: string; subscriberId: string };
    assert.equal(inFlightQuote.subscriberId, subscriber('Bruno'));

    const exited = await server.exited;
    assert.deepEqual(exited, { code: 0, signal: null });
    server = null;

    const store = new KyselyStore(database().db, database().dialect);
    assert.notEqual(await store.getQuote(inFlightQuote.id), null, 'the request in flight was committed');
    const kept = await store.getSession(consent.id as string);
    assert.equal(kept?.status, 'active', 'the open session is kept for the next start, not ended');
  });
});
