/**
 * Reconciliation against a counterparty's declaration, the subscriber's bill and the merchant's
 * payout (issue 6, docs/settlement.md). Everything here reads; nothing is written.
 */
import { closedStatement, type ClosedStatement, reconciliationJson, reconcileStatement } from '../../../app/settlement/reconcile.ts';
import { merchantPayout, payoutJson } from '../../../app/settlement/merchant-payout.ts';
import { billJson, subscriberBill } from '../../../app/settlement/subscriber-bill.ts';
import { assert, type Locale, type Result } from '../../../domain/index.ts';
import { RECONCILIATION_BODY_BYTES_MAX } from '../limits.ts';
import type { Principal } from '../principal.ts';
import { ProblemError } from '../problem.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  billJsonSchema, billQuery, merchantIdParams, payoutJsonSchema, payoutQuery, reconciliationJson as reconciliationSchema, reconciliationQuery,
  settlementIdParams, subscriberIdParams,
} from '../schemas/billing.ts';
import type { HttpDeps } from './scope.ts';

const RUN_ID = /^set_(20[0-9]{2}-(0[1-9]|1[0-2]))$/;

/**
 * The statement `statementId` of the closed run `runId`, if the operator's carrier is a party to
 * it (either carrier of a carrier statement, the hosting carrier of a merchant statement). A run
 * not closed yet is 409 `period_not_closed`; a statement of another run or of other parties is
 * 404 like one that does not exist.
 */
async function statementInScope(deps: HttpDeps, principal: Principal, runId: string, statementId: string): Promise<ClosedStatement> {
  const run = await deps.store.getSettlementRun({ id: runId });
  if (run === null) {
    const period = RUN_ID.exec(runId)?.[1];
    if (period === undefined) throw new ProblemError('settlement_not_found');
    throw new ProblemError('period_not_closed', { detail: `${period} is not closed: close it first (POST /v1/settlements with close, or palier settle --close)` });
  }
  const found = await closedStatement(deps.store, statementId);
  if (!found.ok || found.value.runId !== run.id) throw new ProblemError('statement_not_found');
  const statement = found.value;
  const party = principal.kind === 'operator'
    && (principal.carrierId === statement.debtorId || (statement.kind === 'carrier' && principal.carrierId === statement.creditorId));
  if (!party) throw new ProblemError('statement_not_found');
  return statement;
}

/** The value, or its refusal as a problem (`period_invalid` is a query the schema let through: a validation failure). */
function refusedPeriod<T, E extends 'period_invalid' | 'subscriber_not_found' | 'merchant_not_found'>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  if (result.error === 'period_invalid') {
    throw new ProblemError('validation_failed', { errors: [{ field: 'query.period', rule: 'format', message: 'must be a month YYYY-MM' }] });
  }
  throw new ProblemError(result.error);
}

export function billingRoutes(deps: HttpDeps): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/settlements/{id}/reconciliations', operationId: 'reconcileStatement', tag: 'Settlement',
      summary: 'Reconcile a closed statement with the counterparty\'s declaration (CSV): matched, missing on either side, amount and duration mismatches, duplicates, totals',
      description: 'The body is the declaration file, `Content-Type: text/csv`, header `charge_id,session_id,start,billed_seconds,amount`, streamed (up to 200 MB). '
        + 'Nothing is written, so no Idempotency-Key is needed. A row that breaks the format is listed in `errors`; a file without the header is 422 `declaration_invalid`.',
      principals: ['operator'], params: settlementIdParams, query: reconciliationQuery, idempotencyKey: 'none',
      streamBody: { mediaType: 'text/csv', bytesMax: RECONCILIATION_BODY_BYTES_MAX, description: 'the declaration file (CSV)' },
      responses: { 200: { description: 'The reconciliation report', schema: reconciliationSchema } },
      handle: async ({ principal, params, query, stream }) => {
        assert(stream !== undefined, 'a streamed route gets its body as a stream');
        const statement = await statementInScope(deps, principal, params.id, query.statement);
        const result = await reconcileStatement(deps, { statement, declaration: stream, toleranceSeconds: query.toleranceSeconds ?? 1 });
        if (!result.ok) throw new ProblemError(result.error.code, { detail: result.error.detail });
        return { status: 200, body: reconciliationJson(statement, result.value) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/subscribers/{id}/bill', operationId: 'subscriberBill', tag: 'Settlement',
      summary: 'A subscriber\'s bill for a month: the lines as on the phone bill (date, merchant, duration, amount incl. VAT), refunds, VAT by rate, the monthly cap used',
      principals: ['operator'], params: subscriberIdParams, query: billQuery,
      responses: { 200: { description: 'The bill', schema: billJsonSchema } },
      handle: async ({ principal, params, query }) => {
        const subscriber = await deps.store.getSubscriber(params.id);
        if (subscriber === null || principal.kind !== 'operator' || subscriber.billingCarrierId !== principal.carrierId) throw new ProblemError('subscriber_not_found');
        const language: Locale = query.lang === 'en' ? 'en' : 'fr-FR';
        const bill = refusedPeriod(await subscriberBill(deps, { subscriberId: subscriber.id, period: query.period, language }));
        return { status: 200, body: billJson(bill) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/merchants/{id}/payouts', operationId: 'merchantPayout', tag: 'Settlement',
      summary: 'What the merchant is owed for a month, per offer: sessions, billed minutes, gross, its share, refunds deducted, ratings; when it is paid',
      principals: ['merchant'], params: merchantIdParams, query: payoutQuery,
      responses: { 200: { description: 'The payout', schema: payoutJsonSchema } },
      handle: async ({ principal, params, query }) => {
        if (principal.kind !== 'merchant' || principal.merchantId !== params.id) throw new ProblemError('merchant_not_found');
        const payout = refusedPeriod(await merchantPayout(deps, { merchantId: params.id, period: query.period }));
        return { status: 200, body: payoutJson(payout) };
      },
    }),
  ];
}
