/**
 * ISO 4217 currencies and their minor-unit exponents, from the ISO 4217 list (SIX, amendment 177).
 * The exponent comes from this table, never from `Intl`, whose data varies by ICU version
 * (DESIGN.md §3). Add a currency here before any tariff can use it.
 */
const MINOR_UNIT_EXPONENTS = {
  // Europe
  EUR: 2, GBP: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2, BGN: 2,
  ISK: 0, RSD: 2, TRY: 2, UAH: 2,
  // Americas
  USD: 2, CAD: 2, MXN: 2, BRL: 2, ARS: 2, CLP: 0, COP: 2,
  // Africa and the Middle East (CFA francs have no minor unit; dinars have three)
  XOF: 0, XAF: 0, MAD: 2, DZD: 2, TND: 3, EGP: 2, ZAR: 2, NGN: 2, KES: 2,
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, IQD: 3, LYD: 3, AED: 2, SAR: 2, ILS: 2,
  // Asia and the Pacific
  JPY: 0, KRW: 0, VND: 0, CNY: 2, HKD: 2, SGD: 2, INR: 2, IDR: 2, THB: 2, AUD: 2, NZD: 2, XPF: 0,
} as const satisfies Record<string, number>;

/** An ISO 4217 alphabetic code known to Palier. */
export type Currency = keyof typeof MINOR_UNIT_EXPONENTS;

/** Every currency code Palier knows, sorted. */
export const CURRENCIES: readonly Currency[] = (Object.keys(MINOR_UNIT_EXPONENTS) as Currency[]).sort();

/** True when `code` is a currency of the table. */
export function isCurrency(code: unknown): code is Currency {
  return typeof code === 'string' && Object.hasOwn(MINOR_UNIT_EXPONENTS, code);
}

/** The number of decimals of the currency's minor unit: 2 for EUR (cents), 0 for JPY, 3 for TND. */
export function minorUnitExponent(currency: Currency): number {
  return MINOR_UNIT_EXPONENTS[currency];
}
