/**
 * Display formatting. `Intl.NumberFormat` accepts a decimal string and formats it exactly (no
 * float on the way), so the figure a user reads is the figure billed.
 */
import { minorUnitExponent } from './currency.ts';
import type { Money } from './money.ts';

/** Locales Palier writes its texts in. */
export const LOCALES = ['fr-FR', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Formats an amount for display, keeping every decimal it has and at least the currency's minor
 * unit: fr-FR prints `1 234,50 €` (U+202F groups, U+00A0 before €), en prints `€1,234.50`.
 */
export function formatMoney(amount: Money, locale: Locale): string {
  const decimals = Math.max(minorUnitExponent(amount.currency), amount.decimalPlaces());
  const key = `${locale}|${amount.currency}|${decimals}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: amount.currency,
      minimumFractionDigits: minorUnitExponent(amount.currency),
      maximumFractionDigits: decimals,
    });
    formatters.set(key, formatter);
  }
  // A decimal string argument keeps the value exact; the lib typing predates NumberFormat v3.
  return formatter.format(amount.toString() as unknown as number);
}
