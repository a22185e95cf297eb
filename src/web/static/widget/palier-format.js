/**
 * Display formatting for the widget and the console, in the browser. Amounts arrive as decimal
 * strings ("1.23") and stay strings: Intl.NumberFormat formats a decimal string exactly (ECMA-402
 * NumberFormat v3), and the little arithmetic the display needs (a price with VAT added, the cap
 * bar's fill) is done on BigInt-scaled decimals, never on floating-point numbers.
 */

/** @typedef {{ int: bigint, scale: number }} Decimal */

/** @returns {Decimal | null} */
export function parseDecimal(text) {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text));
  if (match === null) return null;
  const fraction = match[3] ?? '';
  return { int: BigInt(`${match[1]}${match[2]}${fraction}`), scale: fraction.length };
}

/** @param {Decimal} value */
export function decimalToString(value) {
  const negative = value.int < 0n;
  const digits = (negative ? -value.int : value.int).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = value.scale === 0 ? '' : `.${digits.slice(digits.length - value.scale)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Exact product of two decimal strings, trailing zeros beyond two decimals removed: ("0.35", "1.2") → "0.42". */
export function multiplyDecimal(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (x === null || y === null) throw new TypeError(`not decimal strings: ${a}, ${b}`);
  let product = { int: x.int * y.int, scale: x.scale + y.scale };
  while (product.scale > 2 && product.int % 10n === 0n) product = { int: product.int / 10n, scale: product.scale - 1 };
  return decimalToString(product);
}

/** 1 + a rate, exactly: "0.20" → "1.20". */
export function onePlus(rate) {
  const x = parseDecimal(rate);
  if (x === null) throw new TypeError(`not a decimal string: ${rate}`);
  return decimalToString({ int: x.int + 10n ** BigInt(x.scale), scale: x.scale });
}

const digitsCache = new Map();

/** The currency's minor-unit digits as Intl knows them (EUR 2, JPY 0). */
export function currencyDigits(currency) {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().minimumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** An amount in whole minor units (cents), truncated: "1.23" → 123n. */
export function toMinorUnits(amount, currency) {
  const value = parseDecimal(amount);
  if (value === null) throw new TypeError(`not a decimal string: ${amount}`);
  const digits = currencyDigits(currency);
  return value.scale <= digits ? value.int * 10n ** BigInt(digits - value.scale) : value.int / 10n ** BigInt(value.scale - digits);
}

/** How full the cap is, in thousandths (0–1000), from the exact minor units. */
export function perMille(amount, cap, currency) {
  const capMinor = toMinorUnits(cap, currency);
  if (capMinor <= 0n) return 0;
  const used = (toMinorUnits(amount, currency) * 1000n) / capMinor;
  return Number(used < 0n ? 0n : used > 1000n ? 1000n : used);
}

/**
 * Formats a decimal-string amount in the locale, keeping every decimal it has and at least the
 * currency's minor unit: fr-FR "1,23 €", en "€1.23". The string goes to Intl as is: exact.
 */
export function formatMoney(amount, currency, locale) {
  const value = parseDecimal(amount);
  if (value === null) throw new TypeError(`not a decimal string: ${amount}`);
  const digits = currencyDigits(currency);
  const formatter = new Intl.NumberFormat(locale, {
    style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: Math.max(digits, value.scale),
  });
  return formatter.format(String(amount));
}

/** An amount as a user would type it, without currency sign or grouping: fr-FR "24,00", en "24.00". */
export function formatAmountInput(amount, currency, locale) {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false }).format(String(amount));
}

/**
 * A user's typed amount, normalised to a decimal string with the currency's decimals, or null:
 * "0,05" and "0.05 €" → "0.05", "5" → "5.00". At most 9 digits before the separator.
 */
export function normaliseAmountInput(text, currency) {
  const digits = currencyDigits(currency);
  const cleaned = String(text).replace(/[\s\u00a0\u202f€$£]/g, '').replace(',', '.');
  const pattern = digits === 0 ? /^\d{1,9}$/ : new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`);
  if (!pattern.test(cleaned)) return null;
  const value = parseDecimal(cleaned);
  if (value === null) return null;
  return decimalToString({ int: value.int * 10n ** BigInt(digits - value.scale), scale: digits });
}

/** Compares two decimal strings: -1, 0 or 1. */
export function compareDecimal(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (x === null || y === null) throw new TypeError(`not decimal strings: ${a}, ${b}`);
  const scale = Math.max(x.scale, y.scale);
  const left = x.int * 10n ** BigInt(scale - x.scale);
  const right = y.int * 10n ** BigInt(scale - y.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A running clock: 65 → "1:05", 3725 → "1:02:05". */
export function formatClock(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A duration in words (the same units in French and English): 125 → "2 min 5 s". */
export function formatDuration(totalSeconds) {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const parts = [];
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (h > 0) parts.push(`${h}\u00a0h`);
  if (m > 0) parts.push(`${m}\u00a0min`);
  if (seconds % 60 > 0 || parts.length === 0) parts.push(`${seconds % 60}\u00a0s`);
  return parts.join(' ');
}

/** 'fr' or 'en' from a locale or a lang attribute ('en-GB' → 'en'; anything else → 'fr'). */
export function langOf(locale) {
  return /^en\b/i.test(String(locale ?? '')) ? 'en' : 'fr';
}

/** The locale Palier writes announcements in, for a lang: 'fr-FR' or 'en'. */
export function localeOf(lang) {
  return lang === 'en' ? 'en' : 'fr-FR';
}
