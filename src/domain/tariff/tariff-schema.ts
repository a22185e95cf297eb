/**
 * The JSON shape of tariff format v1, as a zod schema. It validates structure (types, ranges,
 * unknown fields); `parseTariff` adds the rules that span fields. `docs/tariff-format.md` embeds
 * the JSON Schema generated from it (`z.toJSONSchema`), so the document and the validator agree.
 */
import { z } from 'zod';
import { decimalPlacesOf, isDecimalString, ROUNDING_MODES, toDec } from '../money/index.ts';
import {
  AMOUNT_MAJOR_MAX, BAND_NAME_LENGTH_MAX, BANDS_PER_TARIFF_MAX, FREE_SECONDS_MAX, INCREMENT_SECONDS_MAX,
  MINIMUM_SECONDS_MAX, PER_SECONDS_MAX, PRICE_DECIMALS_MAX, ROUNDING_DECIMALS_MAX, SESSION_DURATION_S_MAX,
  TIERS_PER_LIST_MAX,
} from '../limits.ts';
import { MAX_COST_STRATEGIES } from './tariff.ts';
import { PROFILE_IDS } from './profiles.ts';

/** A non-negative amount in major units as a decimal string: "0.34", never a JSON number. */
export const amountSchema = z
  .string()
  .max(40)
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, { message: 'must be a non-negative decimal string such as "0.34"' })
  .superRefine((value, ctx) => {
    // zod runs refinements even after the pattern failed: only a well-formed string is measured.
    if (!isDecimalString(value)) return;
    if (decimalPlacesOf(value) > PRICE_DECIMALS_MAX) {
      ctx.addIssue({ code: 'custom', message: `at most ${PRICE_DECIMALS_MAX} decimals`, params: { rule: 'precision' } });
    } else if (toDec(value).greaterThan(toDec(AMOUNT_MAJOR_MAX))) {
      ctx.addIssue({ code: 'custom', message: `at most ${AMOUNT_MAJOR_MAX}`, params: { rule: 'max' } });
    }
  })
  .meta({ description: 'Decimal string in major units, e.g. "0.34"' });

const seconds = (max: number) => z.int().min(0).max(max);

export const tierSchema = z.strictObject({
  fromSecond: seconds(SESSION_DURATION_S_MAX).meta({ description: 'Start of the palier in elapsed metered seconds' }),
  price: amountSchema.meta({ description: 'Price per perSeconds' }),
  perSeconds: z.int().min(1).max(PER_SECONDS_MAX).meta({ description: 'The time unit of price, in seconds (60 = per minute)' }),
  incrementSeconds: z.int().min(1).max(INCREMENT_SECONDS_MAX).meta({ description: 'Billing step: a started increment is billed whole' }),
});

const clockTime = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, { message: 'must be a local time HH:MM (00:00–24:00)' });

export const bandSchema = z.strictObject({
  name: z.string().min(1).max(BAND_NAME_LENGTH_MAX),
  timeZone: z.string().min(1).max(64).meta({ description: 'IANA time zone, e.g. Europe/Paris' }),
  days: z.array(z.int().min(1).max(7)).min(1).max(7).meta({ description: 'ISO weekdays, 1 = Monday … 7 = Sunday' }),
  from: clockTime,
  to: clockTime.meta({ description: 'End (exclusive); at or before `from` means the next day' }),
  priority: z.int().min(0).max(1000).meta({ description: 'The highest priority covering a second prices it' }),
  connectionFee: amountSchema.default('0'),
  tiers: z.array(tierSchema).min(1).max(TIERS_PER_LIST_MAX),
});

export const tariffSchema = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as "EUR"' }),
  vatRate: amountSchema.meta({ description: 'VAT rate as a decimal fraction, e.g. "0.20"' }),
  pricesIncludeVat: z.boolean().default(true),
  connectionFee: amountSchema.default('0'),
  freeSeconds: seconds(FREE_SECONDS_MAX).default(0),
  minimumSeconds: seconds(MINIMUM_SECONDS_MAX).default(0),
  tiers: z.array(tierSchema).max(TIERS_PER_LIST_MAX),
  bands: z.array(bandSchema).max(BANDS_PER_TARIFF_MAX).default([]),
  flatPrice: z
    .strictObject({ amount: amountSchema, includedSeconds: z.int().min(1).max(SESSION_DURATION_S_MAX).nullable().default(null) })
    .nullable()
    .default(null),
  maxCost: z.strictObject({ amount: amountSchema, strategy: z.enum(MAX_COST_STRATEGIES) }).nullable().default(null),
  rounding: z.strictObject({ mode: z.enum(ROUNDING_MODES), decimals: z.int().min(0).max(ROUNDING_DECIMALS_MAX) }).optional()
    .meta({ description: "Applied once to the session total; default half-up to the currency's minor unit" }),
  holdBilled: z.boolean().default(false),
  profile: z.enum(PROFILE_IDS).default('minitel-kiosque'),
});

/** The tariff JSON as written by a user (defaults may be omitted). */
export type TariffInput = z.input<typeof tariffSchema>;
/** The tariff JSON with every default filled in. */
export type TariffJson = z.output<typeof tariffSchema>;

/** The JSON Schema (draft 2020-12) of tariff format v1, generated from the zod schema; published in docs/tariff-format.md. */
export function tariffJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(tariffSchema, { io: 'input', target: 'draft-2020-12' });
}
