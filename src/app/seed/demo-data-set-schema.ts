/**
 * The JSON shape of the demo data set (fixtures/demo/*.json), one zod schema per file. It checks
 * structure only; `parseDemoDataSet` checks what spans files (references, currencies, tariffs).
 * Amounts and rates are decimal strings, never JSON numbers (STYLE.md rule 1).
 */
import { z } from 'zod';
import { amountSchema, API_KEY_ROLES, MEDIA, PROFILE_IDS, SUBSCRIBER_STATUSES } from '../../domain/index.ts';

/** A readable id with its kind as prefix: `car_orange`, `mer_ticket_expert`, `off_windows_help`. */
const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9_]{1,60}$`), {
  message: `must be "${prefix}_" followed by lower-case letters, digits or "_"`,
});

/** A ratio from 0 to 1 as a decimal string ("0.15"); more than six decimals is a typo, not a contract. */
const rateSchema = z.string().regex(/^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$/, { message: 'must be a decimal string from "0" to "1" such as "0.15"' });

const label = z.string().min(1).max(120);

export const carriersFileSchema = z.strictObject({
  carriers: z.array(z.strictObject({
    id: idOf('car'),
    name: label,
    country: z.string().regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code such as "FR"' }),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as "EUR"' }),
    timeZone: z.string().min(1).max(64),
    mccMncCodes: z.array(z.string().regex(/^[0-9]{3}-[0-9]{2,3}$/, { message: 'must be an E.212 MCC-MNC such as "208-01"' })).min(1),
  })).min(1),
});

export const subscribersFileSchema = z.strictObject({
  subscribers: z.array(z.strictObject({
    label,
    msisdn: z.string().min(1).max(32),
    billingCarrier: idOf('car'),
    monthlyCap: amountSchema,
    status: z.enum(SUBSCRIBER_STATUSES),
  })),
});

export const offerEntrySchema = z.strictObject({
  id: idOf('off'),
  name: label,
  /** A file name under fixtures/tariffs/, without `.json`. */
  tariff: z.string().regex(/^[a-z0-9-]{1,64}$/, { message: 'must name a file of fixtures/tariffs without ".json"' }),
  profile: z.enum(PROFILE_IDS),
  mediaAllowed: z.array(z.enum(MEDIA)).min(1),
  defaultCap: amountSchema,
  status: z.enum(['active', 'retired']),
});

export const merchantsFileSchema = z.strictObject({
  merchants: z.array(z.strictObject({
    id: idOf('mer'),
    name: label,
    hostingCarrier: idOf('car'),
    payoutDelayDays: z.int().min(0).max(365),
    payoutMinimum: amountSchema,
    offers: z.array(offerEntrySchema),
  })),
});

export const agreementsFileSchema = z.strictObject({
  effectiveFrom: z.iso.datetime({ offset: true }),
  carrierTerms: z.array(z.strictObject({
    billingCarrier: idOf('car'),
    collectionFeeRate: rateSchema,
    badDebtRate: rateSchema,
    interconnectPerMinute: amountSchema.nullable(),
  })),
  merchantTerms: z.array(z.strictObject({
    merchant: idOf('mer'),
    merchantShareRate: rateSchema,
  })),
});

export const apiKeysFileSchema = z.strictObject({
  apiKeys: z.array(z.strictObject({
    role: z.enum(API_KEY_ROLES),
    scope: z.string().min(1).max(64),
    label,
  })),
});

/** The raw files of the data set, as read (not yet validated). */
export interface DemoDataSetFiles {
  readonly carriers: unknown;
  readonly subscribers: unknown;
  readonly merchants: unknown;
  readonly agreements: unknown;
  readonly apiKeys: unknown;
}

export type CarriersFile = z.infer<typeof carriersFileSchema>;
export type SubscribersFile = z.infer<typeof subscribersFileSchema>;
export type MerchantsFile = z.infer<typeof merchantsFileSchema>;
export type AgreementsFile = z.infer<typeof agreementsFileSchema>;
export type ApiKeysFile = z.infer<typeof apiKeysFileSchema>;
