/**
 * Schemas of the reconciliation, bill and payout routes: their parameters (strict, every bound
 * from a limit) and their responses (for /openapi.json).
 */
import { z } from 'zod';
import { limits } from '../../../domain/index.ts';

const id = (description: string) => z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an id of letters, digits, _ and -' }).meta({ description });
const period = z.string().regex(/^20[0-9]{2}-(0[1-9]|1[0-2])$/, { message: 'must be a month YYYY-MM' })
  .meta({ description: 'A calendar month, YYYY-MM, in the time zone of the carrier that bills (bill) or hosts (payout)', example: '2026-10' });
const amount = z.string().meta({ description: 'Decimal string in major units', example: '1.23' });

export const settlementIdParams = z.strictObject({
  id: z.string().min(1).max(32).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a settlement run id such as set_2026-10' }).meta({ description: 'Settlement run id, set_YYYY-MM' }),
});
export const subscriberIdParams = z.strictObject({ id: id('Subscriber id') });
export const merchantIdParams = z.strictObject({ id: id('Merchant id') });

export const reconciliationQuery = z.strictObject({
  statement: id('The statement of the run to reconcile (stm_…): one counterparty pair'),
  toleranceSeconds: z.string().regex(/^(0|[1-9][0-9]{0,3})$/, { message: `must be a whole number of seconds from 0 to ${limits.RECONCILIATION_TOLERANCE_S_MAX}` })
    .transform((text) => Number.parseInt(text, 10)).pipe(z.int().min(0).max(limits.RECONCILIATION_TOLERANCE_S_MAX)).optional()
    .meta({ description: 'Billed seconds may differ by this much before it is a duration mismatch (default 1)' }),
});
export const billQuery = z.strictObject({
  period,
  lang: z.enum(['fr-FR', 'fr', 'en']).default('fr-FR').meta({ description: 'Language of the labels and displayed figures' }),
});
export const payoutQuery = z.strictObject({ period });

const ids = { line: z.int(), chargeId: z.string().nullable(), sessionId: z.string().nullable() };

export const reconciliationJson = z.object({
  statementId: z.string(), runId: z.string(), period: z.string(), kind: z.enum(['carrier', 'merchant']), debtorId: z.string(), creditorId: z.string(),
  currency: z.string(), toleranceSeconds: z.int(), ok: z.boolean().meta({ description: 'Every charge declared once, exactly, and every row valid' }),
  rows: z.object({ read: z.int(), invalid: z.int() }),
  counts: z.object({
    ours: z.int(), matched: z.int(), missingTheirs: z.int(), missingOurs: z.int(), amountMismatches: z.int(), durationMismatches: z.int(), duplicates: z.int(), errors: z.int(),
  }),
  totals: z.object({ ours: amount, theirs: amount, difference: amount.meta({ description: 'ours − theirs' }) }),
  missingTheirs: z.array(z.object({ chargeId: z.string(), sessionId: z.string(), start: z.string(), billedSeconds: z.int(), amount })),
  missingOurs: z.array(z.object({ ...ids, start: z.string(), billedSeconds: z.int(), amount })),
  amountMismatches: z.array(z.object({ ...ids, ours: amount, theirs: amount, difference: amount })),
  durationMismatches: z.array(z.object({ ...ids, oursSeconds: z.int(), theirsSeconds: z.int(), differenceSeconds: z.int() })),
  duplicates: z.array(z.object({ ...ids, firstLine: z.int() })),
  errors: z.array(z.object({ line: z.int(), field: z.string(), rule: z.string(), message: z.string() })),
  truncated: z.array(z.string()).meta({ description: `Lists cut at ${limits.RECONCILIATION_LISTED_MAX} entries (the counts are complete)` }),
}).meta({ id: 'ReconciliationReport' });

const display = z.record(z.string(), z.string());

export const billJsonSchema = z.object({
  subscriberId: z.string(), billingCarrierId: z.string(), billingCarrierName: z.string(), period: z.string(), periodLabel: z.string(), timeZone: z.string(),
  currency: z.string(), lang: z.string(), labels: display,
  lines: z.array(z.object({
    type: z.enum(['charge', 'refund']), id: z.string(), chargeId: z.string(), date: z.string().meta({ description: 'Local date in the carrier\'s zone' }),
    time: z.string(), merchant: z.string(), offer: z.string(), billedSeconds: z.int().nullable(), duration: z.string().nullable().meta({ description: 'mm:ss' }),
    amount: amount.meta({ description: 'Tax included; negative for a refund' }), display,
  })),
  totals: z.object({
    gross: amount, refunds: amount, netPayable: amount,
    vat: z.array(z.object({ rate: z.string(), rateLabel: z.string(), net: amount, vat: amount, gross: amount })), display,
  }),
  cap: z.object({ monthlyCap: amount, posted: amount, held: amount, left: amount, display }),
}).meta({ id: 'SubscriberBill' });

const payoutFigures = {
  sessions: z.int(), billedSeconds: z.string(), billedMinutes: z.string(), gross: amount, merchantShare: amount, refunds: z.int(), refunded: amount,
  refundsDeducted: amount.meta({ description: 'The merchant\'s part of the refunds' }),
  ratings: z.object({ count: z.int(), average: z.string().nullable().meta({ description: 'Average stars, 1–5, two decimals' }) }), owed: amount,
};

export const payoutJsonSchema = z.object({
  merchantId: z.string(), merchantName: z.string(), hostingCarrierId: z.string(), period: z.string(), timeZone: z.string(), currency: z.string(),
  status: z.enum(['closed', 'open']).meta({ description: 'closed: settled by its statement; open: provisional' }), statementId: z.string().nullable(),
  offers: z.array(z.object({ offerId: z.string(), offerName: z.string(), ...payoutFigures })),
  totals: z.object(payoutFigures),
  payout: z.object({ delayDays: z.int(), minimum: amount, payableOn: z.string().nullable(), carriedOver: z.boolean(), note: z.string() }),
}).meta({ id: 'MerchantPayout' });
