/**
 * Money: exact amounts, ratios, rounding, allocation and display. The only door to the private
 * decimal.js clone.
 */
export { allocate, allocateMinorUnits } from './allocate.ts';
export { CURRENCIES, type Currency, isCurrency, minorUnitExponent } from './currency.ts';
export { Dec, decimalPlacesOf, decimalToBigInt, isDecimalString, toDec } from './decimal.ts';
export { formatMoney, type Locale, LOCALES } from './format-money.ts';
export { minorUnitsText, Money } from './money.ts';
export { Rate } from './rate.ts';
export { decimalRounding, ROUNDING_MODES, type RoundingMode, roundDiv, roundDivThreshold } from './rounding.ts';
