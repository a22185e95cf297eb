/**
 * Agreements and settlement runs (issue 6, docs/settlement.md): publishing agreement versions,
 * settling a period (draft or close), and reading runs and statements as JSON or CSV.
 *
 * Who sees what: an operator sees the statements its carrier is a party to (either carrier of a
 * carrier statement, the hosting carrier of a merchant statement) and its own netting; a merchant
 * sees its own merchant statements. Anything else answers 404 like a statement that does not exist.
 */
import { z } from 'zod';
import { ulidGenerator } from '../../ids.ts';
import { addAgreement, type NewAgreement } from '../../../app/settlement/add-agreement.ts';
import { carrierIsParty, reportCsvFor, reportJsonFor } from '../../../app/settlement/report-view.ts';
import { type SettleError, type SettlementReport, settlePeriod } from '../../../app/settlement/settle-period.ts';
import { type Agreement, Rate, type Statement, statementFromJson, statementJson, statementsCsv } from '../../../domain/index.ts';
import type { Principal } from '../principal.ts';
import { ProblemError } from '../problem.ts';
import { defineRoute, type Reply, type Route } from '../route.ts';
import { noQuery } from '../schemas/requests.ts';
import {
  agreementJson, agreementRequest, agreementView, csvQuery, runIdParams, settlementReportJson, settlementRequest, statementIdParams, statementJsonSchema,
} from '../schemas/settlement.ts';
import type { HttpDeps } from './scope.ts';

const RUN_ID = /^set_([0-9]{4}-[0-9]{2})$/;
const STATEMENT_PERIOD = /^stm_([0-9]{4}-[0-9]{2})_/;
const CSV = 'text/csv; charset=utf-8; header=present';

function operatorOf(principal: Principal): string {
  if (principal.kind !== 'operator') throw new ProblemError('forbidden');
  return principal.carrierId;
}

/** A refusal of a settlement run as a problem. A ledger mismatch names no statement: they may be other carriers'. */
function settleProblem(error: { code: SettleError; detail: string }): ProblemError {
  if (error.code === 'ledger_mismatch') {
    return new ProblemError('ledger_mismatch', { detail: 'the statements do not match the ledger: nothing was closed; an operator of Palier must run `palier ledger verify` and `palier settle`' });
  }
  return new ProblemError(error.code, { detail: error.detail });
}

type Settled = Awaited<ReturnType<typeof settlePeriod>>;

/**
 * Reading a run of an open period computes its draft: the period's aggregates, in SQL (on a
 * worker thread on SQLite). Reads of the same period that arrive while one is computing share
 * its answer, so a burst of GETs costs one computation, not one each.
 */
function draftReader(deps: HttpDeps): (period: string) => Promise<Settled> {
  const computing = new Map<string, Promise<Settled>>();
  return (period) => {
    const running = computing.get(period);
    if (running !== undefined) return running;
    const draft = settlePeriod(deps, { period, close: false }).finally(() => { computing.delete(period); });
    computing.set(period, draft);
    return draft;
  };
}

/** The run `id` (set_YYYY-MM): stored when closed, otherwise computed as a draft. */
async function runReport(readDraft: (period: string) => Promise<Settled>, id: string): Promise<SettlementReport> {
  const period = RUN_ID.exec(id)?.[1];
  if (period === undefined) throw new ProblemError('settlement_not_found');
  const result = await readDraft(period);
  if (!result.ok) {
    if (result.error.code === 'period_invalid') throw new ProblemError('settlement_not_found');
    throw settleProblem(result.error);
  }
  return result.value;
}

function runJsonReply(report: SettlementReport, carrierId: string): Reply {
  return { status: 200, body: null, raw: { contentType: 'application/json', text: reportJsonFor(report, { carrierId }) } };
}

function csvReply(text: string, fileName: string): Reply {
  return { status: 200, body: null, raw: { contentType: CSV, text }, headers: { 'Content-Disposition': `attachment; filename="${fileName}"` } };
}

/** A statement the caller may see: stored (closed run) or computed from the open period's draft, with its JSON text. */
interface VisibleStatement {
  readonly statement: Statement;
  /** The statement's JSON: for a closed run, the stored bytes. */
  readonly json: string;
  readonly closedAtMs: number | null;
}

function mayRead(principal: Principal, statement: Statement): boolean {
  if (principal.kind === 'operator') return carrierIsParty(statement, principal.carrierId);
  return principal.kind === 'merchant' && statement.kind === 'merchant' && statement.creditorId === principal.merchantId;
}

async function findStatement(deps: HttpDeps, readDraft: (period: string) => Promise<Settled>, id: string): Promise<VisibleStatement | null> {
  const stored = await deps.store.getStatement(id);
  if (stored !== null) {
    const run = await deps.store.getSettlementRun({ id: stored.runId });
    return { statement: statementFromJson(JSON.parse(stored.bodyJson)), json: stored.bodyJson, closedAtMs: run?.closedAtMs ?? null };
  }
  const period = STATEMENT_PERIOD.exec(id)?.[1];
  if (period === undefined || (await deps.store.getSettlementRun({ period })) !== null) return null;
  const draft = await readDraft(period);
  if (!draft.ok) {
    if (draft.error.code === 'period_invalid') return null;
    throw settleProblem(draft.error);
  }
  const statement = draft.value.statements.find((s) => s.id === id);
  return statement === undefined ? null : { statement, json: JSON.stringify(statementJson(statement)), closedAtMs: null };
}

async function statementInScope(deps: HttpDeps, readDraft: (period: string) => Promise<Settled>, principal: Principal, id: string): Promise<VisibleStatement> {
  const found = await findStatement(deps, readDraft, id);
  if (found === null || !mayRead(principal, found.statement)) throw new ProblemError('statement_not_found');
  return found;
}

/** The body of POST /v1/agreements as the use case's input. */
function newAgreementOf(body: z.output<typeof agreementRequest>): NewAgreement {
  const dates = { effectiveFromMs: Date.parse(body.effectiveFrom), effectiveToMs: body.effectiveTo === undefined ? null : Date.parse(body.effectiveTo) };
  if (body.kind === 'carrier') {
    return {
      kind: 'carrier', billingCarrierId: body.billingCarrierId, hostingCarrierId: body.hostingCarrierId, ...dates,
      collectionFeeRate: Rate.of(body.collectionFeeRate), badDebtRate: Rate.of(body.badDebtRate), interconnectPerMinute: body.interconnectPerMinute ?? null,
    };
  }
  return {
    kind: 'merchant', merchantId: body.merchantId, ...dates,
    merchantShareRate: body.merchantShareRate === undefined ? null : Rate.of(body.merchantShareRate), wholesalePerMinute: body.wholesalePerMinute ?? null,
  };
}

/** An operator publishes versions of the agreements its carrier is a party to: either side of a carrier agreement, the host of a merchant. */
async function checkAgreementParty(deps: HttpDeps, carrierId: string, body: z.output<typeof agreementRequest>): Promise<void> {
  if (body.kind === 'carrier') {
    if (body.billingCarrierId !== carrierId && body.hostingCarrierId !== carrierId) throw new ProblemError('carrier_not_found');
    return;
  }
  const merchant = await deps.store.getMerchant(body.merchantId);
  if (merchant?.hostingCarrierId !== carrierId) throw new ProblemError('merchant_not_found');
}

async function agreementsOf(deps: HttpDeps, carrierId: string): Promise<Agreement[]> {
  const [billing, hosting, merchants] = await Promise.all([
    deps.store.listAgreements({ kind: 'carrier', billingCarrierId: carrierId }), deps.store.listAgreements({ kind: 'carrier', hostingCarrierId: carrierId }),
    deps.store.listAgreements({ kind: 'merchant', hostingCarrierId: carrierId }),
  ]);
  const pair = (a: Agreement): string => (a.kind === 'carrier' ? `carrier ${a.billingCarrierId} ${a.hostingCarrierId}` : `merchant ${a.hostingCarrierId} ${a.merchantId}`);
  // An on-net carrier agreement (billing = hosting) is listed by both queries: once each.
  return [...new Map([...billing, ...hosting, ...merchants].map((a) => [a.id, a])).values()]
    .sort((a, b) => (pair(a) === pair(b) ? a.effectiveFromMs - b.effectiveFromMs : pair(a) < pair(b) ? -1 : 1));
}

function agreementRoutes(deps: HttpDeps): Route[] {
  const ids = ulidGenerator(() => deps.clock.nowMs());
  return [
    defineRoute({
      method: 'post', path: '/v1/agreements', operationId: 'addAgreement', tag: 'Settlement',
      summary: 'Publish a version of an agreement: billing carrier ↔ hosting carrier (fees), or hosting carrier ↔ merchant (share or wholesale price)',
      description: 'Versions of a pair follow each other with no gap and no overlap; the version in force ends where the new one starts. '
        + 'A version takes effect now or later. Broken rules (shares outside 0–100 %, both or neither of merchantShareRate and wholesalePerMinute, '
        + 'overlap, gap, back-dated) are 422 `agreement_invalid` with every violation. The operator\'s carrier must be a party: '
        + 'either carrier of a carrier agreement, the host of the merchant.',
      principals: ['operator'], body: agreementRequest,
      responses: { 201: { description: 'The version published', schema: agreementJson } },
      handle: async ({ principal, body }) => {
        await checkAgreementParty(deps, operatorOf(principal), body);
        const added = await addAgreement({ store: deps.store, clock: deps.clock, ids }, newAgreementOf(body));
        if (!added.ok) {
          const refusal = added.error;
          throw refusal.code === 'agreement_invalid' ? new ProblemError(refusal.code, { errors: refusal.errors }) : new ProblemError(refusal.code, { detail: refusal.detail });
        }
        return { status: 201, body: agreementView(added.value) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/agreements', operationId: 'listAgreements', tag: 'Settlement',
      summary: 'The agreement versions the operator\'s carrier is a party to, by pair, oldest version first',
      principals: ['operator'], query: noQuery,
      responses: { 200: { description: 'The versions', schema: z.object({ items: z.array(agreementJson) }) } },
      handle: async ({ principal }) => ({ status: 200, body: { items: (await agreementsOf(deps, operatorOf(principal))).map(agreementView) } }),
    }),
  ];
}

function runRoutes(deps: HttpDeps, readDraft: (period: string) => Promise<Settled>): Route[] {
  const runJson = {
    principals: ['operator'], params: runIdParams,
    responses: { 200: { description: 'The run as the operator may see it', schema: settlementReportJson } },
    handle: async ({ principal, params }: { principal: Principal; params: { id: string } }) => runJsonReply(await runReport(readDraft, params.id), operatorOf(principal)),
  } as const;
  return [
    defineRoute({
      method: 'post', path: '/v1/settlements', operationId: 'settle', tag: 'Settlement',
      summary: 'Settle a period: the statements of every counterparty pair, checked against the ledger, and the netting; with close, lock it',
      description: 'Without `close` a draft (nothing is stored). With `close` — once the month is over in every carrier\'s zone — the statements are stored and the period is locked; '
        + 'asking again returns the stored run byte for byte. The answer holds the statements the operator\'s carrier is a party to.',
      principals: ['operator'], body: settlementRequest,
      responses: { 200: { description: 'The run (draft or closed)', schema: settlementReportJson } },
      handle: async ({ principal, body }) => {
        const carrierId = operatorOf(principal);
        const result = await settlePeriod(deps, { period: body.period, close: body.close });
        if (!result.ok) throw settleProblem(result.error);
        return runJsonReply(result.value, carrierId);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/settlements/{id}.csv', operationId: 'getSettlementCsv', tag: 'Settlement',
      summary: 'A run as CSV (RFC 4180, UTF-8): one row per statement the operator may see; ?bom=1 for spreadsheets',
      principals: ['operator'], params: runIdParams, query: csvQuery,
      responses: { 200: { description: 'The CSV', schema: z.string(), contentType: 'text/csv' } },
      handle: async ({ principal, params, query }) => {
        const report = await runReport(readDraft, params.id);
        return csvReply(reportCsvFor(report, { carrierId: operatorOf(principal) }, { bom: query.bom === '1' }), `${report.id}.csv`);
      },
    }),
    defineRoute({ ...runJson, method: 'get', path: '/v1/settlements/{id}.json', operationId: 'getSettlementJson', tag: 'Settlement', summary: 'A run as JSON (the same as without .json)' }),
    defineRoute({
      ...runJson, method: 'get', path: '/v1/settlements/{id}', operationId: 'getSettlement', tag: 'Settlement',
      summary: 'A run, set_YYYY-MM: a closed one exactly as stored, an open period as a draft computed now',
    }),
  ];
}

function statementRoutes(deps: HttpDeps, readDraft: (period: string) => Promise<Settled>): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/statements/{id}.csv', operationId: 'getStatementCsv', tag: 'Settlement',
      summary: 'A statement as CSV: the header and its row', principals: ['operator', 'merchant'], params: statementIdParams, query: csvQuery,
      responses: { 200: { description: 'The CSV', schema: z.string(), contentType: 'text/csv' } },
      handle: async ({ principal, params, query }) => {
        const found = await statementInScope(deps, readDraft, principal, params.id);
        const closedAt = found.closedAtMs === null ? null : new Date(found.closedAtMs).toISOString();
        return csvReply(statementsCsv([found.statement], { closedAt }, { bom: query.bom === '1' }), `${found.statement.id}.csv`);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/statements/{id}', operationId: 'getStatement', tag: 'Settlement',
      summary: 'A statement: stored bytes once its period is closed, a draft before (header Palier-Run-Status: closed or draft)',
      description: 'Operators read the statements their carrier is a party to; merchants read their own merchant statements.',
      principals: ['operator', 'merchant'], params: statementIdParams,
      responses: { 200: { description: 'The statement', schema: statementJsonSchema } },
      handle: async ({ principal, params }) => {
        const found = await statementInScope(deps, readDraft, principal, params.id);
        return { status: 200, body: null, raw: { contentType: 'application/json', text: found.json }, headers: { 'Palier-Run-Status': found.closedAtMs === null ? 'draft' : 'closed' } };
      },
    }),
  ];
}

/** Every agreement and settlement route; suffixed paths (`.csv`, `.json`) come before `{id}`, which would match them too. */
export function settlementRoutes(deps: HttpDeps): Route[] {
  const readDraft = draftReader(deps);
  return [...agreementRoutes(deps), ...runRoutes(deps, readDraft), ...statementRoutes(deps, readDraft)];
}
