/**
 * Idempotency records (IETF Idempotency-Key draft): one row per (principal, key) with the hash of
 * its request and, once completed, its response. Two ways to hold the claim while the request runs:
 * - in the database (PostgreSQL, which several processes may share): the claim is an INSERT that
 *   does nothing on a duplicate key, so two concurrent requests with one key can never both start,
 *   whichever process they reach; completing it is an UPDATE.
 * - in the process (SQLite, which one server process writes: docs/operations.md): `InProcessClaims`
 *   keeps the claims in flight in memory and writes the record once, completed, in the next group
 *   commit together with every record completed meanwhile — no commit of its own. A claim dies
 *   with its process, as a database claim would be purged.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import { IDEMPOTENCY_IN_PROGRESS_TTL_MS, IDEMPOTENCY_RECORD_TTL_MS } from '../../app/limits.ts';
import type { IdempotencyBegin, IdempotentResponse } from '../../app/ports/index.ts';
import type { GroupCommit } from './group-commit.ts';
import { IDEMPOTENCY_PURGED_PER_STATEMENT } from './limits.ts';
import { asNumber } from './row-values.ts';
import { prepared } from './prepared.ts';
import type { Database, IdempotencyRecordsTable } from './tables.ts';

type Db = Kysely<Database>;

/** Claims made and abandoned between our insert and our read can repeat; a few rounds settle it. */
const CLAIM_ATTEMPTS_MAX = 5;

type RecordKey = { principal: string; key: string };

const claim = prepared<RecordKey & { requestHash: string; atMs: number }, never>((db, arg) => db.insertInto('idempotency_records').values({
  principal: arg('principal'), key: arg('key'), request_hash: arg('requestHash'), status: 'in_progress', response_status: null, response_body: null,
  created_at_ms: arg('atMs'), completed_at_ms: null,
}).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()));

const recordOf = prepared<RecordKey, Selectable<IdempotencyRecordsTable>>((db, arg) => db.selectFrom('idempotency_records').selectAll()
  .where('principal', '=', arg('principal')).where('key', '=', arg('key')));

const complete = prepared<RecordKey & { status: number; body: string; atMs: number }, never>((db, arg) => db.updateTable('idempotency_records')
  .set({ status: 'completed', response_status: arg('status'), response_body: arg('body'), completed_at_ms: arg('atMs') })
  .where('principal', '=', arg('principal')).where('key', '=', arg('key')).where('status', '=', 'in_progress'));

/** What a stored record answers to a request with `requestHash`. */
function outcomeOf(row: Selectable<IdempotencyRecordsTable>, requestHash: string): IdempotencyBegin {
  if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
  if (row.status !== 'completed' || row.response_status === null || row.response_body === null) return { outcome: 'in_progress' };
  return { outcome: 'replay', response: { status: asNumber(row.response_status), body: row.response_body } };
}

/** A claim in progress longer than IDEMPOTENCY_IN_PROGRESS_TTL_MS: its request died with its process. */
const isDead = (createdAtMs: number, nowMs: number): boolean => createdAtMs < nowMs - IDEMPOTENCY_IN_PROGRESS_TTL_MS;

const deleteDeadClaim = (db: Db, principal: string, key: string, createdAtMs: Selectable<IdempotencyRecordsTable>['created_at_ms']) => db.deleteFrom('idempotency_records')
  .where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').where('created_at_ms', '=', createdAtMs).execute();

export async function beginIdempotent(db: Db, principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin> {
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS_MAX; attempt += 1) {
    const inserted = await claim.execute(db, { principal, key, requestHash, atMs });
    if ((inserted.numAffectedRows ?? 0n) > 0n) return { outcome: 'started' };
    const row = await recordOf.first(db, { principal, key });
    // Abandoned or purged since our insert: claim again.
    if (row === undefined) continue;
    if (row.status === 'in_progress' && isDead(asNumber(row.created_at_ms), atMs)) {
      // A claim whose request died with its process: forget it and claim again.
      await deleteDeadClaim(db, principal, key, row.created_at_ms);
      continue;
    }
    return outcomeOf(row, requestHash);
  }
  return { outcome: 'in_progress' };
}

export async function completeIdempotent(db: Db, principal: string, key: string, response: IdempotentResponse, atMs: number): Promise<void> {
  await complete.execute(db, { principal, key, status: response.status, body: response.body, atMs });
}

export async function abandonIdempotent(db: Db, principal: string, key: string): Promise<void> {
  await db.deleteFrom('idempotency_records').where('principal', '=', principal).where('key', '=', key).where('status', '=', 'in_progress').execute();
}

/**
 * Removes records completed more than IDEMPOTENCY_RECORD_TTL_MS before `nowMs`, and claims left in
 * progress longer than IDEMPOTENCY_IN_PROGRESS_TTL_MS (their process died); returns how many. In
 * DELETEs of IDEMPOTENCY_PURGED_PER_STATEMENT rows at most, each committed alone, with the event
 * loop let go between two: a day's backlog never holds the database (or, on SQLite, the loop) at
 * once. Each DELETE takes the oldest of one status through the index on (status, created_at_ms),
 * one range in creation order (a record is created before it completes): on PostgreSQL the rows a
 * chunk removed stay in the index until vacuumed, and an ordered index scan marks them dead as it
 * passes, so the next chunk does not read them again.
 */
export async function purgeIdempotent(db: Db, nowMs: number): Promise<number> {
  const completedBeforeMs = nowMs - IDEMPOTENCY_RECORD_TTL_MS;
  const completed = await purgeOldest(db, 'completed', completedBeforeMs, (eb) => eb('completed_at_ms', '<', completedBeforeMs));
  const claims = await purgeOldest(db, 'in_progress', nowMs - IDEMPOTENCY_IN_PROGRESS_TTL_MS, null);
  return completed + claims;
}

type RecordFilter = (eb: ExpressionBuilder<Database, 'idempotency_records'>) => Expression<SqlBool>;

async function purgeOldest(db: Db, status: 'completed' | 'in_progress', createdBeforeMs: number, also: RecordFilter | null): Promise<number> {
  let purged = 0;
  for (;;) {
    const deleted = await db.deleteFrom('idempotency_records')
      .where((eb) => eb(eb.refTuple('principal', 'key'), 'in', eb.selectFrom('idempotency_records').select(['principal', 'key'])
        .where('status', '=', status).where('created_at_ms', '<', createdBeforeMs).$if(also !== null, (query) => query.where(also as RecordFilter))
        .orderBy('created_at_ms').limit(IDEMPOTENCY_PURGED_PER_STATEMENT).$asTuple('principal', 'key')))
      .executeTakeFirst();
    const rows = asNumber(deleted.numDeletedRows);
    purged += rows;
    if (rows < IDEMPOTENCY_PURGED_PER_STATEMENT) return purged;
    await yieldToEventLoop();
  }
}

/** The earliest instant a record kept now may be purged: each status's oldest creation plus its retention (the purge index answers both). */
export async function nextIdempotentPurgeMs(db: Db): Promise<number | null> {
  const oldest = (status: string) => db.selectFrom('idempotency_records').select((eb) => eb.fn.min('created_at_ms').as('created_at_ms'))
    .where('status', '=', status).executeTakeFirst();
  const [completed, inProgress] = await Promise.all([oldest('completed'), oldest('in_progress')]);
  const due = [
    ...(completed?.created_at_ms == null ? [] : [asNumber(completed.created_at_ms) + IDEMPOTENCY_RECORD_TTL_MS]),
    ...(inProgress?.created_at_ms == null ? [] : [asNumber(inProgress.created_at_ms) + IDEMPOTENCY_IN_PROGRESS_TTL_MS]),
  ];
  return due.length === 0 ? null : Math.min(...due);
}

const insertCompleted = prepared<RecordKey & { requestHash: string; status: number; body: string; createdAtMs: number; atMs: number }, never>((db, arg) => db
  .insertInto('idempotency_records').values({
    principal: arg('principal'), key: arg('key'), request_hash: arg('requestHash'), status: 'completed', response_status: arg('status'),
    response_body: arg('body'), created_at_ms: arg('createdAtMs'), completed_at_ms: arg('atMs'),
  }).onConflict((oc) => oc.columns(['principal', 'key']).doNothing()));

interface Claim {
  readonly requestHash: string;
  readonly atMs: number;
}

/**
 * The claims in flight of the one process writing a SQLite database: same answers as the claims in
 * the database above, without their commits. Claiming reads the stored record (a completed one
 * replays) and, when there is none, notes the claim in memory; completing writes the record,
 * completed, and only then forgets the claim, so a retry always finds one or the other. A claim
 * in flight longer than IDEMPOTENCY_IN_PROGRESS_TTL_MS is treated as dead, as in the database.
 *
 * Records are written by the group commit (group-commit.ts): the records completed while a batch
 * waits go into it as one member, inserted one after another in its transaction, so a POST's
 * record costs an INSERT inside a transaction (about 10 µs) instead of a commit of its own (about
 * 55 µs on the churn benchmark). `complete` resolves after that COMMIT, as before after its own.
 */
export class InProcessClaims {
  private readonly claims = new Map<string, Claim>();
  /** Completed records not yet handed to a batch, and the group commit member that will write them. */
  private pending: Parameters<typeof insertCompleted.execute>[1][] = [];
  private written: Promise<void> | null = null;

  constructor(private readonly commits: GroupCommit) {}

  async begin(db: Db, principal: string, key: string, requestHash: string, atMs: number): Promise<IdempotencyBegin> {
    const id = claimId(principal, key);
    const running = this.live(id, atMs);
    if (running !== undefined) return running.requestHash === requestHash ? { outcome: 'in_progress' } : { outcome: 'mismatch' };
    // Read at once, even while a batch is open on the connection (prepared.ts `firstThroughBatch`),
    // instead of after its COMMIT: a record that batch wrote still has its claim here (answered
    // above) until after the COMMIT; and the response a record holds is of work committed before
    // the record was handed to a batch, so even one that batch rolled back would replay the truth.
    const read = recordOf.firstThroughBatch(db, { principal, key });
    const row = read === null ? await recordOf.first(db, { principal, key }) : read.row;
    if (row !== undefined) {
      // In progress only if written by a version that claimed in the database: dead, or still running.
      if (row.status !== 'in_progress' || !isDead(asNumber(row.created_at_ms), atMs)) return outcomeOf(row, requestHash);
      await deleteDeadClaim(db, principal, key, row.created_at_ms);
    }
    // Another request with this key may have claimed it while the record was read.
    const claimed = this.live(id, atMs);
    if (claimed !== undefined) return claimed.requestHash === requestHash ? { outcome: 'in_progress' } : { outcome: 'mismatch' };
    this.claims.set(id, { requestHash, atMs });
    return { outcome: 'started' };
  }

  async complete(principal: string, key: string, response: IdempotentResponse, atMs: number): Promise<void> {
    const id = claimId(principal, key);
    const claim = this.claims.get(id);
    if (claim === undefined) return;
    this.pending.push({ principal, key, requestHash: claim.requestHash, status: response.status, body: response.body, createdAtMs: claim.atMs, atMs });
    this.written ??= this.commits.run(async (connection) => {
      // Records completed from now on wait for the next batch.
      const records = this.pending;
      this.pending = [];
      this.written = null;
      for (const record of records) await insertCompleted.execute(connection, record);
    });
    await this.written;
    if (this.claims.get(id) === claim) this.claims.delete(id);
  }

  abandon(principal: string, key: string): void {
    this.claims.delete(claimId(principal, key));
  }

  /** Forgets the claims dead at `nowMs`; returns how many. */
  purge(nowMs: number): number {
    let purged = 0;
    for (const [id, claim] of this.claims) {
      if (!isDead(claim.atMs, nowMs)) continue;
      this.claims.delete(id);
      purged += 1;
    }
    return purged;
  }

  /** The claim of `id` still alive at `atMs`; a dead one is forgotten. */
  private live(id: string, atMs: number): Claim | undefined {
    const claim = this.claims.get(id);
    if (claim === undefined || !isDead(claim.atMs, atMs)) return claim;
    this.claims.delete(id);
    return undefined;
  }
}

/** A map key for (principal, key), unambiguous: an Idempotency-Key never holds a newline (printable ASCII only, bind-route.ts). */
const claimId = (principal: string, key: string): string => `${principal}\n${key}`;
