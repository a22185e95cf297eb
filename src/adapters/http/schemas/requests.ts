/**
 * Request schemas of the REST API: strict (unknown fields are refused), amounts as decimal
 * strings, every bound from a limit. The same schemas validate requests and generate
 * /openapi.json.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import { PAGE_SIZE_MAX, RATING_COMMENT_LENGTH_MAX, REFUND_REASON_LENGTH_MAX } from '../../../app/index.ts';
import { LOCALES, MEDIA, SESSION_STATUSES } from '../../../domain/index.ts';

/**
 * Free text stored as is: no NUL character (PostgreSQL `text` refuses it) and no lone surrogate
 * (it has no UTF-8 form, so the stored text would differ from the text sent).
 */
const text = (lengthMax: number) => z.string().max(lengthMax)
  .refine((value) => !value.includes('\u0000') && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value), {
    message: 'must be text without NUL characters or lone surrogates', params: { rule: 'format' },
  });

const id = (description: string) => z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an id of letters, digits, _ and -' }).meta({ description });

/** An amount in major units as a decimal string with at most 2 decimals: "10.00". */
export const moneyAmount = z.string().max(20).regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/, { message: 'must be a decimal string with at most 2 decimals, such as "10.00"' })
  .meta({ description: 'Amount in major units, as a decimal string', example: '10.00' });

export const sessionIdParams = z.strictObject({ id: id('Session id') });
export const chargeIdParams = z.strictObject({ id: id('Charge id') });
export const offerIdParams = z.strictObject({ id: id('Offer id') });
export const tariffHashParams = z.strictObject({ hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be sha256: followed by 64 hex digits' }) });

export const quoteRequest = z.strictObject({
  offerId: id('The offer to quote'),
  subscriberId: id('The subscriber who will pay (their billing carrier charges them)'),
  locale: z.enum(LOCALES).default('fr-FR').meta({ description: 'Language of the price announcement' }),
}).meta({ id: 'QuoteRequest' });

export const consentRequest = z.strictObject({
  quoteId: id('The quote accepted'),
  announcementHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be the announcement hash of the quote' })
    .meta({ description: 'Hash of the announcement text the user was shown' }),
  cap: moneyAmount.meta({ description: 'The spending cap the user chose (at most the quote\'s capAllowed)' }),
  accepted: z.literal(true).meta({ description: 'Explicit acceptance: must be true' }),
  channel: z.enum(['web', 'app', 'voice', 'chat']).default('web'),
}).meta({ id: 'ConsentRequest' });

export const emptyBody = z.strictObject({}).optional();

export const mediaRequest = z.strictObject({ medium: z.enum(MEDIA) }).meta({ id: 'MediaRequest' });

export const ratingRequest = z.strictObject({
  stars: z.int().min(1).max(5),
  comment: text(RATING_COMMENT_LENGTH_MAX).default(''),
}).meta({ id: 'RatingRequest' });

export const refundRequest = z.strictObject({
  amount: moneyAmount.optional().meta({ description: 'Amount to refund tax included; omitted: all that is left' }),
  reason: text(REFUND_REASON_LENGTH_MAX).min(1),
}).meta({ id: 'RefundRequest' });

const limit = z.string().regex(/^[1-9][0-9]{0,2}$/, { message: `must be a whole number from 1 to ${PAGE_SIZE_MAX} in decimal digits` })
  .transform((text) => Number.parseInt(text, 10)).pipe(z.int().min(1).max(PAGE_SIZE_MAX)).optional()
  .meta({ description: `Page size, 1–${PAGE_SIZE_MAX}` });
// A cursor is the base64url of the last id of a page: anything else would reach the database
// as an arbitrary string (a NUL byte makes PostgreSQL fail the query).
const cursor = z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a cursor from a previous page' })
  .refine((value) => /^[A-Za-z0-9_-]{1,64}$/.test(Buffer.from(value, 'base64url').toString('utf8')), {
    message: 'must be a cursor from a previous page', params: { rule: 'format' },
  })
  .optional();

export const listSessionsQuery = z.strictObject({ status: z.enum(SESSION_STATUSES).optional(), offerId: id('Only this offer').optional(), cursor, limit });
export const listChargesQuery = z.strictObject({ subscriberId: id('Only this subscriber').optional(), cursor, limit });
export const eligibilityQuery = z.strictObject({ subscriberId: id('The subscriber who would pay') });
export const noQuery = z.strictObject({});
