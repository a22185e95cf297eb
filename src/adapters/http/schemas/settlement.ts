/**
 * Schemas of the agreement and settlement routes (issue 6, docs/settlement.md): requests (strict,
 * rates and amounts as decimal strings) and responses (for /openapi.json).
 */
import { z } from 'zod';
import type { Agreement } from '../../../domain/index.ts';

const id = (description: string, lengthMax = 64) => z.string().min(1).max(lengthMax)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an id of letters, digits, _ and -' }).meta({ description });

/**
 * A share or fee as a decimal fraction ("0.15" is 15 %). The format is checked here; the range
 * (0 to 1) is a rule of agreements, refused as 422 `agreement_invalid` with the other rules.
 */
const rate = z.string().max(12).regex(/^[0-9]{1,3}(\.[0-9]{1,6})?$/, { message: 'must be a decimal string such as "0.15" (15 %)' })
  .meta({ description: 'A fraction as a decimal string: "0.15" is 15 %', example: '0.15' });

/** A price per billed minute: sub-cent prices are allowed (each charge's amount is rounded half-up to the cent). */
const perMinute = z.string().max(20).regex(/^(0|[1-9][0-9]{0,5})(\.[0-9]{1,6})?$/, { message: 'must be a decimal string with at most 6 decimals, such as "0.01"' })
  .meta({ description: 'Amount per billed minute in major units, as a decimal string', example: '0.01' });

const instantWithOffset = (description: string) => z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant with its offset, such as 2026-11-01T00:00:00+01:00' })
  .meta({ description, example: '2026-11-01T00:00:00+01:00' });

const effective = {
  effectiveFrom: instantWithOffset('When this version takes effect (now or later)'),
  effectiveTo: instantWithOffset('When it ends (exclusive); omitted: until a later version starts').optional(),
};

export const agreementRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('carrier'),
    billingCarrierId: id('The carrier that bills the subscriber and collects'),
    hostingCarrierId: id('The carrier that hosts the merchant'),
    ...effective,
    collectionFeeRate: rate.meta({ description: 'Collection fee, a fraction of the net (price excluding VAT)' }),
    badDebtRate: rate.meta({ description: 'Bad-debt allowance, a fraction of the net' }),
    interconnectPerMinute: perMinute.optional().meta({ description: 'Interconnect fee per billed minute, in the billing carrier\'s currency' }),
  }).meta({ id: 'CarrierAgreementRequest' }),
  z.strictObject({
    kind: z.literal('merchant'),
    merchantId: id('The merchant (hosted by the calling operator\'s carrier)'),
    ...effective,
    merchantShareRate: rate.optional().meta({ description: 'The merchant\'s share, a fraction of the net (or give wholesalePerMinute)' }),
    wholesalePerMinute: perMinute.optional().meta({ description: 'A wholesale price per billed minute, in the hosting carrier\'s currency (or give merchantShareRate)' }),
  }).meta({ id: 'MerchantAgreementRequest' }),
]);

export const settlementRequest = z.strictObject({
  period: z.string().max(32).meta({ description: 'The month to settle, YYYY-MM (anything else is 400 period_invalid)', example: '2026-10' }),
  close: z.boolean().default(false).meta({ description: 'Close (lock) the period: allowed once it is over in every carrier\'s zone' }),
}).meta({ id: 'SettlementRequest' });

export const runIdParams = z.strictObject({ id: id('Settlement run id, set_YYYY-MM', 32) });
export const statementIdParams = z.strictObject({ id: id('Statement id, stm_YYYY-MM_<kind>_<debtor>_<creditor>', 256) });
export const csvQuery = z.strictObject({
  bom: z.enum(['0', '1']).optional().meta({ description: '1: start with a UTF-8 byte order mark, for spreadsheets' }),
});

const amount = z.string().meta({ description: 'Decimal string in major units', example: '1.23' });
const instant = z.string().meta({ description: 'ISO 8601 instant (UTC)', example: '2026-11-01T00:00:00.000Z' });
const rateOut = z.string().meta({ description: 'A fraction as a decimal string', example: '0.15' });

export const agreementJson = z.object({
  id: z.string(), kind: z.enum(['carrier', 'merchant']), billingCarrierId: z.string().nullable(), hostingCarrierId: z.string(), merchantId: z.string().nullable(),
  effectiveFrom: instant, effectiveTo: instant.nullable(),
  collectionFeeRate: rateOut.nullable(), badDebtRate: rateOut.nullable(), interconnectPerMinute: amount.nullable(),
  merchantShareRate: rateOut.nullable(), wholesalePerMinute: amount.nullable(),
  currency: z.string().nullable().meta({ description: 'Currency of the per-minute amount, if any' }),
}).meta({ id: 'Agreement' });

/** An agreement version as JSON: rates and amounts as decimal strings, instants in ISO 8601. */
export function agreementView(agreement: Agreement): z.infer<typeof agreementJson> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  const base = {
    id: agreement.id, kind: agreement.kind, hostingCarrierId: agreement.hostingCarrierId,
    effectiveFrom: new Date(agreement.effectiveFromMs).toISOString(), effectiveTo: iso(agreement.effectiveToMs),
  };
  if (agreement.kind === 'carrier') {
    const { collectionFeeRate, badDebtRate, interconnectPerMinute } = agreement.terms;
    return {
      ...base, billingCarrierId: agreement.billingCarrierId, merchantId: null, collectionFeeRate: collectionFeeRate.toString(), badDebtRate: badDebtRate.toString(),
      interconnectPerMinute: interconnectPerMinute?.toString() ?? null, merchantShareRate: null, wholesalePerMinute: null, currency: interconnectPerMinute?.currency ?? null,
    };
  }
  const { merchantShareRate, wholesalePerMinute } = agreement.terms;
  return {
    ...base, billingCarrierId: null, merchantId: agreement.merchantId, collectionFeeRate: null, badDebtRate: null, interconnectPerMinute: null,
    merchantShareRate: merchantShareRate?.toString() ?? null, wholesalePerMinute: wholesalePerMinute?.toString() ?? null, currency: wholesalePerMinute?.currency ?? null,
  };
}

const totalsJson = z.object({
  count: z.int().meta({ description: 'Charges (sessions) or refunds' }), billedSeconds: z.string(), billedMinutes: z.string(),
  gross: amount, vat: amount, net: amount, collectionFee: amount, badDebtAllowance: amount, interconnect: amount, hostingShare: amount, merchantShare: amount,
}).meta({ id: 'StatementTotals' });

export const statementJsonSchema = z.object({
  id: z.string(), period: z.string(), kind: z.enum(['carrier', 'merchant']),
  debtorId: z.string().meta({ description: 'Who owes: the billing carrier (carrier statement) or the hosting carrier (merchant statement)' }),
  creditorId: z.string().meta({ description: 'Who is owed: the hosting carrier or the merchant' }),
  currency: z.string(), charges: totalsJson, refunds: totalsJson,
  adjustments: z.array(z.object({ period: z.string(), charges: totalsJson, refunds: totalsJson })).meta({ description: 'Late items of earlier, closed periods' }),
  amountDue: amount.meta({ description: 'What the debtor owes the creditor (negative: the creditor owes back)' }),
}).meta({ id: 'Statement' });

export const settlementReportJson = z.object({
  id: z.string(), period: z.string(), closed: z.boolean(), closedAt: instant.nullable(), statements: z.array(statementJsonSchema),
  netting: z.array(z.object({
    currency: z.string(),
    positions: z.array(z.object({ carrierId: z.string(), net: amount.meta({ description: 'Positive: receives; negative: pays' }) })),
    transfers: z.array(z.object({ from: z.string(), to: z.string(), amount })),
  })),
}).meta({ id: 'SettlementRun' });
