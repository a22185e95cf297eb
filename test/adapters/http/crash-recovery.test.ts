/**
 * Crash recovery with the real server process (DESIGN.md §1, "Restart and failure"): sessions run
 * over HTTP in real time, the process is SIGKILLed mid-session and started again on the same
 * database. A session whose stored proof of life is older than the liveness grace ends at that
 * proof; a session whose cap stop passed ends at the stop; the others resume. No charge is lost
 * or written twice, and `palier ledger verify` passes afterwards.
 *
 * The timeline is in real time, so it is planned with margins of a second or more around every
 * instant the server decides on (PALIER_LIVENESS_GRACE_MS is 10 s here; a heartbeat is stored at
 * most every 5 s, LIVENESS_PERSIST_INTERVAL_MS), and the first test checks that it held:
 *
 *   c        two ghosts (one active, one queued) and the session rated before the crash open
 *   c+5.05   a heartbeat stores the ghosts' proof of life P; they go silent after P+3.5 s
 *   K-6      the survivors open (active, on hold, queued); their last heartbeat, stored, is about K-1
 *   K-1.5    a session with a 3-second cap connects: its cap stop falls around the restart
 *   K        SIGKILL, with K = P + grace + 1 s: the running server would end the ghosts only at
 *            P + 3.5 s + grace; the restarted one finds their stored proof older than the grace
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { demoCredentialsPath } from '../../../src/adapters/secrets/index.ts';
import { KyselyStore } from '../../../src/adapters/store/index.ts';
import { LIVENESS_PERSIST_INTERVAL_MS } from '../../../src/app/limits.ts';
import { lastProofOfLifeMs, rate, type Session } from '../../../src/domain/index.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { databaseEnv, type PalierProcess, runPalierCli, startPalierProcess } from '../../support/palier-process.ts';

/** Long enough for a restart on a loaded machine: the survivors' stored proof must still be within it after. */
const GRACE_MS = 10_000;
/** Heartbeats of a session before its proof of life is stored: one a second. */
const BEAT_OFFSETS_MS = [1_000, 2_000, 3_000, 4_000];
/** The heartbeat that gets stored: just past the persist interval after the stored proof. */
const STORED_BEAT_MS = LIVENESS_PERSIST_INTERVAL_MS + 50;
/** The ghosts' heartbeats after their stored one: kept in memory only, the last 3.5 s after it… */
const GHOST_UNSTORED_BEATS_MS = [1_000, 2_000, 3_500];
/** …and none this late, well before the persist interval would store it. */
const GHOST_BEAT_LATEST_MS = 4_000;
/**
 * The kill, after the ghosts' stored proof of life P: the restarted server finds P older than the
 * grace, while the running one would end them only at P + 3.5 s + grace, 2.5 s after the kill.
 */
const KILL_AFTER_GHOST_PROOF_MS = GRACE_MS + 1_000;
/** The survivors open this long before the kill, so that their first stored heartbeat comes about a second before it. */
const SURVIVORS_OPEN_BEFORE_KILL_MS = 6_000;

const MERCHANT_OF_OFFER: Record<string, string> = {
  off_legal_advice: 'mer_conseil_juridique', off_windows_help: 'mer_depannage_pc', off_expert_ticket: 'mer_ticket_expert',
};

interface Credentials {
  readonly apiKeys: readonly { scopeId: string; secret: string }[];
  readonly subscribers: readonly { id: string; label: string }[];
}

/** One session as the test drives it: its tokens and its last heartbeat, as the test saw it. */
interface Tracked {
  readonly name: string;
  readonly id: string;
  readonly userToken: string;
  readonly merchantKey: string;
  readonly createdAtMs: number;
  /** The user heartbeat is sent first, so it is the older side: the session's proof of life. */
  lastBeatSentAtMs: number | null;
  lastBeatAckedAtMs: number | null;
}

interface Response { readonly status: number; readonly body: any; readonly text: string }

async function sleepUntil(atMs: number): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
}

/** The scenario's client: the base URL changes when the server restarts. */
class Client {
  url = '';
  constructor(private readonly credentials: Credentials) {}

  key(scopeId: string): string {
    const found = this.credentials.apiKeys.find((k) => k.scopeId === scopeId);
    assert.ok(found, `a demo key for ${scopeId}`);
    return found.secret;
  }

  subscriber(label: string): string {
    const found = this.credentials.subscribers.find((s) => s.label.startsWith(label));
    assert.ok(found, `a demo subscriber ${label}`);
    return found.id;
  }

  async call(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && !path.endsWith('/heartbeat')) headers['idempotency-key'] = randomUUID();
    const response = await fetch(`${this.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text), text };
  }

  async ok(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<any> {
    const response = await this.call(method, path, token, body);
    assert.ok(response.status === 200 || response.status === 201, `${method} ${path}: ${response.status} ${response.text}`);
    return response.body;
  }

  /** Quote, consent (with the quote token, as the widget does) and, unless `queued`, connect. */
  async open(name: string, input: { offerId: string; subscriber: string; cap: string; queued?: boolean }): Promise<Tracked> {
    const merchantKey = this.key(MERCHANT_OF_OFFER[input.offerId] ?? '');
    const quote = await this.ok('POST', '/v1/quotes', merchantKey, { offerId: input.offerId, subscriberId: this.subscriber(input.subscriber), locale: 'fr-FR' });
    const consent = await this.ok('POST', '/v1/sessions', quote.quoteToken, { quoteId: quote.id, announcementHash: quote.announcement.hash, cap: input.cap, accepted: true });
    if (input.queued !== true) await this.ok('POST', `/v1/sessions/${consent.id as string}/connect`, merchantKey);
    return { name, id: consent.id, userToken: consent.userToken, merchantKey, createdAtMs: Date.parse(consent.createdAt), lastBeatSentAtMs: null, lastBeatAckedAtMs: null };
  }

  /** Proof of life from the user's widget and, unless `userOnly` (a queued session), the advisor side. */
  async beat(session: Tracked, userOnly = false): Promise<void> {
    const sentAtMs = Date.now();
    await this.ok('POST', `/v1/sessions/${session.id}/heartbeat`, session.userToken);
    const ackedAtMs = Date.now();
    if (!userOnly) await this.ok('POST', `/v1/sessions/${session.id}/heartbeat`, session.merchantKey);
    session.lastBeatSentAtMs = sentAtMs;
    session.lastBeatAckedAtMs = ackedAtMs;
  }
}

/** What the scenario leaves for the assertions. */
interface Outcome {
  readonly client: Client;
  readonly sessions: Record<'rated' | 'ghost' | 'queuedGhost' | 'active' | 'flat' | 'held' | 'queued' | 'capped', Tracked>;
  /** Each session as stored at the moment of the kill. */
  readonly storedAtKill: ReadonlyMap<string, Session>;
  readonly killedAtMs: number;
  readonly cappedStopAtMs: number;
  readonly ratedCharge: any;
  /** The restarted server's "sessions recovered" log record: counts, and when recovery was over. */
  readonly recovered: { readonly resumed: number; readonly ended: number; readonly atMs: number };
}

const SURVIVORS: readonly (keyof Outcome['sessions'])[] = ['active', 'flat', 'held', 'queued'];
const GHOSTS: readonly (keyof Outcome['sessions'])[] = ['ghost', 'queuedGhost'];

// The two databases run side by side (the timeline is mostly waiting); the steps of each run in order.
describe('crash recovery', { concurrency: true }, () => {
  describeEachDatabase('crash recovery', ({ database, target }) => { describe('the server is SIGKILLed mid-session and restarted on the same database', { concurrency: 1 }, () => {
    let cwd = '';
    let env: Record<string, string> = {};
    let store: KyselyStore;
    let server: PalierProcess | null = null;
    let outcome: Outcome;

    const storedSession = async (id: string): Promise<Session> => {
      const session = await store.getSession(id);
      assert.ok(session, `session ${id} is stored`);
      return session;
    };

    /** Ghosts, first: a heartbeat a second until one is stored, 5.05 s after consent; its instant (P) is returned. */
    const storeGhostProof = async (client: Client, session: Tracked): Promise<number> => {
      const userOnly = session.name === 'queuedGhost';
      for (const offsetMs of BEAT_OFFSETS_MS) { await sleepUntil(session.createdAtMs + offsetMs); await client.beat(session, userOnly); }
      await sleepUntil(session.createdAtMs + STORED_BEAT_MS);
      await client.beat(session, userOnly);
      const proofMs = lastProofOfLifeMs(await storedSession(session.id));
      assert.ok(proofMs >= session.createdAtMs + LIVENESS_PERSIST_INTERVAL_MS, `${session.name}: the heartbeat past the persist interval is stored`);
      return proofMs;
    };

    /** Ghosts, then: heartbeats the server keeps in memory only (none 4 s or more after P, so none is stored), then silence. */
    const beatInMemoryOnly = async (client: Client, session: Tracked, proofMs: number): Promise<void> => {
      for (const offsetMs of GHOST_UNSTORED_BEATS_MS) {
        await sleepUntil(proofMs + offsetMs);
        if (Date.now() < proofMs + GHOST_BEAT_LATEST_MS) await client.beat(session, session.name === 'queuedGhost');
      }
    };

    /** Survivors: a heartbeat a second, the last one stored just before the kill. */
    const runSurvivor = async (client: Client, session: Tracked, storedBeatAtMs: number, step?: () => Promise<void>): Promise<void> => {
      const userOnly = session.name === 'queued';
      for (const offsetMs of BEAT_OFFSETS_MS) {
        await sleepUntil(session.createdAtMs + offsetMs);
        await client.beat(session, userOnly);
        if (offsetMs === BEAT_OFFSETS_MS[1]) await step?.();
      }
      await sleepUntil(storedBeatAtMs);
      await client.beat(session, userOnly);
    };

    /** The session rated before the crash: two seconds metered, ended by the user; its charge as served then. */
    const runRated = async (client: Client, rated: Tracked): Promise<any> => {
      await sleepUntil(rated.createdAtMs + 1_000);
      await client.beat(rated);
      await sleepUntil(rated.createdAtMs + 2_500);
      const ended = await client.ok('POST', `/v1/sessions/${rated.id}/end`, rated.userToken);
      assert.equal(ended.status, 'rated');
      return client.ok('GET', `/v1/charges/${ended.chargeId as string}`, rated.userToken);
    };

    const runBeforeCrash = async (client: Client): Promise<Omit<Outcome, 'storedAtKill' | 'killedAtMs' | 'recovered'>> => {
      const rated = await client.open('rated', { offerId: 'off_legal_advice', subscriber: 'Alice', cap: '5.00' });
      const ghost = await client.open('ghost', { offerId: 'off_windows_help', subscriber: 'Bruno', cap: '5.00' });
      const queuedGhost = await client.open('queuedGhost', { offerId: 'off_legal_advice', subscriber: 'Femke', cap: '5.00', queued: true });
      const ratedCharge = runRated(client, rated);
      const [ghostProofMs, queuedGhostProofMs] = await Promise.all([storeGhostProof(client, ghost), storeGhostProof(client, queuedGhost)]);
      const killAtMs = Math.max(ghostProofMs, queuedGhostProofMs) + KILL_AFTER_GHOST_PROOF_MS;
      const ghostTails = Promise.all([beatInMemoryOnly(client, ghost, ghostProofMs), beatInMemoryOnly(client, queuedGhost, queuedGhostProofMs)]);
      await sleepUntil(killAtMs - SURVIVORS_OPEN_BEFORE_KILL_MS);
      const active = await client.open('active', { offerId: 'off_legal_advice', subscriber: 'Bruno', cap: '5.00' });
      const flat = await client.open('flat', { offerId: 'off_expert_ticket', subscriber: 'David', cap: '10.00' });
      const held = await client.open('held', { offerId: 'off_windows_help', subscriber: 'Alice', cap: '5.00' });
      const queued = await client.open('queued', { offerId: 'off_legal_advice', subscriber: 'Chloé', cap: '5.00', queued: true });
      const storedBeatAtMs = Math.max(active.createdAtMs, flat.createdAtMs, held.createdAtMs, queued.createdAtMs) + STORED_BEAT_MS;
      const survivors = Promise.all([
        runSurvivor(client, active, storedBeatAtMs), runSurvivor(client, flat, storedBeatAtMs), runSurvivor(client, queued, storedBeatAtMs),
        runSurvivor(client, held, storedBeatAtMs, async () => { await client.ok('POST', `/v1/sessions/${held.id}/hold`, held.merchantKey); }),
      ]);
      // 0.04 € at 0.80 €/min billed per second: the cap stop is 3 s after connect, while the server is down.
      await sleepUntil(killAtMs - 1_500);
      const capped = await client.open('capped', { offerId: 'off_legal_advice', subscriber: 'Chloé', cap: '0.04' });
      const cappedView = await client.ok('GET', `/v1/sessions/${capped.id}`, capped.userToken);
      assert.notEqual(cappedView.stopAt, null, 'the capped session has a stop planned');
      await Promise.all([ghostTails, survivors]);
      await sleepUntil(killAtMs);
      return {
        client, sessions: { rated, ghost, queuedGhost, active, flat, held, queued, capped }, cappedStopAtMs: Date.parse(cappedView.stopAt), ratedCharge: await ratedCharge,
      };
    };

    before(async () => {
      const config = target().config();
      store = new KyselyStore(database().db, database().dialect);
      cwd = mkdtempSync(join(tmpdir(), 'palier-crash-'));
      env = { ...databaseEnv(config), PALIER_LIVENESS_GRACE_MS: String(GRACE_MS) };
      server = await startPalierProcess({ env, cwd });
      const credentials = JSON.parse(readFileSync(resolve(cwd, demoCredentialsPath(config)), 'utf8')) as Credentials;
      const client = new Client(credentials);
      client.url = server.url;
      const run = await runBeforeCrash(client);
      const storedAtKill = new Map<string, Session>();
      for (const session of Object.values(run.sessions)) storedAtKill.set(session.id, await storedSession(session.id));
      const killedAtMs = Date.now();
      const killed = await server.stop('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');
      server = await startPalierProcess({ env, cwd });
      client.url = server.url;
      const record = server.logRecord('sessions recovered');
      assert.ok(record, `the restarted server logs the recovery:\n${server.lines.join('\n')}`);
      outcome = { ...run, storedAtKill, killedAtMs, recovered: { resumed: Number(record['resumed']), ended: Number(record['ended']), atMs: Number(record['time']) } };
    }, { timeout: 60_000 });

    it('the timeline held: at the kill the ghosts were still open with a stored proof older than the grace, the survivors had just stored theirs', (t) => {
      const { sessions, storedAtKill, killedAtMs, recovered } = outcome;
      const proofAgeMs = (name: keyof Outcome['sessions'], atMs: number): number => atMs - lastProofOfLifeMs(storedAtKill.get(sessions[name].id) as Session);
      t.diagnostic(`kill → recovered: ${recovered.atMs - killedAtMs} ms; stored proof ages at the kill: ${
        [...GHOSTS, ...SURVIVORS].map((name) => `${name} ${proofAgeMs(name, killedAtMs)} ms`).join(', ')}`);
      for (const name of GHOSTS) {
        assert.notEqual(storedAtKill.get(sessions[name].id)?.status, 'rated', `${name}: the running server had not ended it yet (the kill came late)`);
        assert.ok(proofAgeMs(name, killedAtMs) > GRACE_MS, `${name}: its stored proof is older than the grace at the kill`);
      }
      for (const name of SURVIVORS) {
        assert.ok(proofAgeMs(name, recovered.atMs) <= GRACE_MS, `${name}: its stored proof is within the grace when the restarted server recovered (the restart took ${recovered.atMs - killedAtMs} ms)`);
      }
    });

    after(async () => {
      await server?.stop('SIGKILL');
      if (cwd !== '') rmSync(cwd, { recursive: true, force: true });
    });

    it('the sessions whose stored proof of life is older than the grace end with liveness_lost at that proof', async () => {
      const { client, sessions, storedAtKill, killedAtMs } = outcome;
      for (const session of GHOSTS.map((name) => sessions[name])) {
        const storedProofMs = lastProofOfLifeMs(storedAtKill.get(session.id) as Session);
        assert.ok(killedAtMs - storedProofMs > GRACE_MS, `${session.name}: its stored proof is older than the grace at the kill already`);
        const view = await client.ok('GET', `/v1/sessions/${session.id}`, session.userToken);
        assert.equal(view.status, 'rated', session.name);
        assert.equal(view.endReason, 'liveness_lost', session.name);
        assert.equal(Date.parse(view.endedAt), storedProofMs, `${session.name} ends at its stored proof of life`);
        assert.ok(storedProofMs <= (session.lastBeatAckedAtMs ?? 0), `${session.name}: not after the last heartbeat acknowledged`);
        assert.ok(storedProofMs >= (session.lastBeatSentAtMs ?? 0) - LIVENESS_PERSIST_INTERVAL_MS, `${session.name}: at most the persist interval before it`);
      }
      const ghost = await client.ok('GET', `/v1/sessions/${sessions.ghost.id}`, sessions.ghost.userToken);
      const ghostProofMs = lastProofOfLifeMs(storedAtKill.get(sessions.ghost.id) as Session);
      assert.equal(ghost.meteredSeconds, Math.floor((ghostProofMs - Date.parse(ghost.meteringStartedAt)) / 1000), 'the ghost is metered up to its stored proof, not to the kill');
      assert.notEqual(ghost.chargeId, null);
      const queuedGhost = await client.ok('GET', `/v1/sessions/${sessions.queuedGhost.id}`, sessions.queuedGhost.userToken);
      assert.deepEqual([queuedGhost.meteredSeconds, queuedGhost.chargeId], [0, null], 'waiting was free: no charge');
    });

    it('the others resume: still open, their heartbeats accepted, and they end normally afterwards', async () => {
      const { client, sessions } = outcome;
      const survivors = SURVIVORS.map((name) => sessions[name]);
      for (const session of survivors) await client.beat(session, session === sessions.queued);
      const expected = { active: 'active', flat: 'active', held: 'on_hold', queued: 'queued' } as Record<string, string>;
      for (const session of survivors) {
        const view = await client.ok('GET', `/v1/sessions/${session.id}`, session.userToken);
        assert.equal(view.status, expected[session.name], `${session.name} resumed as it was`);
      }
      assert.equal((await client.ok('POST', `/v1/sessions/${sessions.held.id}/resume`, sessions.held.merchantKey)).status, 'active');
      assert.equal((await client.ok('POST', `/v1/sessions/${sessions.queued.id}/connect`, sessions.queued.merchantKey)).status, 'active');
      await sleep(1_100);
      for (const session of survivors) await client.beat(session);
      for (const session of survivors) {
        const ended = await client.ok('POST', `/v1/sessions/${session.id}/end`, session === sessions.flat ? session.merchantKey : session.userToken);
        assert.equal(ended.status, 'rated', session.name);
        assert.equal(ended.endReason, session === sessions.flat ? 'advisor' : 'user', session.name);
        assert.notEqual(ended.chargeId, null, `${session.name} is billed`);
      }
    });

    it('a session whose cap stop fell around the restart ends at the stop, billed its cap', async () => {
      const { client, sessions, cappedStopAtMs, recovered } = outcome;
      await sleepUntil(cappedStopAtMs + 1_500);
      const view = await client.ok('GET', `/v1/sessions/${sessions.capped.id}`, sessions.capped.userToken);
      assert.equal(view.status, 'rated');
      assert.equal(view.endReason, 'cap_reached');
      assert.equal(Date.parse(view.endedAt), cappedStopAtMs);
      assert.equal(view.amount, '0.04');
      // Ended by the recovery if its stop had passed when the server came back, else resumed and
      // ended by its timer: then its charge is later than the end of the recovery.
      const charge = await client.ok('GET', `/v1/charges/${view.chargeId as string}`, sessions.capped.userToken);
      const endedByRecovery = Date.parse(charge.createdAt) <= recovered.atMs;
      const { resumed, ended } = recovered;
      assert.equal(resumed + ended, SURVIVORS.length + GHOSTS.length + 1, 'every open session was taken over');
      assert.ok(ended === GHOSTS.length || (endedByRecovery && ended === GHOSTS.length + 1),
        `the recovery log counts the survivors as resumed and the ghosts as ended (${resumed} resumed, ${ended} ended)`);
    });

    it('the session rated before the crash keeps its one charge, unchanged', async () => {
      const { client, sessions, ratedCharge } = outcome;
      const view = await client.ok('GET', `/v1/sessions/${sessions.rated.id}`, sessions.rated.userToken);
      assert.equal(view.chargeId, ratedCharge.id);
      assert.deepEqual(await client.ok('GET', `/v1/charges/${ratedCharge.id as string}`, sessions.rated.userToken), ratedCharge);
    });

    it('every session is rated with at most one charge, equal to rate() of its metered intervals', async () => {
      const { client, sessions } = outcome;
      const charges = await database().db.selectFrom('charges').select(['id', 'session_id']).execute();
      assert.equal(new Set(charges.map((c) => c.session_id)).size, charges.length, 'no session has two charges');
      for (const tracked of Object.values(sessions)) {
        const session = await storedSession(tracked.id);
        assert.equal(session.status, 'rated', tracked.name);
        const tariff = await store.getTariff(session.tariffHash);
        assert.ok(tariff);
        const meteredS = session.intervals.reduce((sum, interval) => sum + interval.seconds, 0);
        const rows = charges.filter((c) => c.session_id === session.id);
        if (meteredS === 0 || session.meteringStartedAtMs === null) {
          assert.deepEqual([rows.length, session.chargeId], [0, null], `${tracked.name}: nothing metered, no charge`);
          continue;
        }
        const billed = rate(tariff, session.meteringStartedAtMs, session.intervals).billed;
        assert.deepEqual(rows.map((c) => c.id), [session.chargeId], `${tracked.name}: exactly its one charge`);
        const charge = await client.ok('GET', `/v1/charges/${session.chargeId ?? ''}`, tracked.userToken);
        assert.deepEqual([charge.sessionId, charge.meteredSeconds, charge.amount], [session.id, meteredS, billed.toString()], tracked.name);
      }
      assert.equal(charges.length, Object.values(sessions).filter((s) => s !== sessions.queuedGhost).length, 'no stray charge');
    });

    it('palier ledger verify passes on the same database, and the server still stops gracefully', async () => {
      const verify = await runPalierCli(['ledger', 'verify'], { env, cwd });
      assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);
      assert.match(verify.stdout, /ok: every invariant holds/);
      const stopped = await server?.stop('SIGTERM');
      assert.deepEqual(stopped, { code: 0, signal: null });
      server = null;
    });
  }); });
});
