/**
 * An exact amount of one currency. Immutable; built from decimal strings or bigints only
 * (STYLE.md rule 1). Arithmetic between two currencies is a bug and fails an assertion.
 *
 * In JSON a Money is a decimal string in major units ("12.34"); at rest it is an integer of minor
 * units (bigint) obtained with {@link Money.toMinorUnits} after an explicit rounding.
 */
import { assert } from '../assert.ts';
import { type Currency, isCurrency, minorUnitExponent } from './currency.ts';
import { Dec, decimalToBigInt, toDec } from './decimal.ts';
import type { Rate } from './rate.ts';
import { decimalRounding, type RoundingMode } from './rounding.ts';

/** Writes an integer at `decimals` places as a plain decimal string: (1234n, 3) → "1.234". */
function scaledToDecimalString(scaled: bigint, decimals: number): string {
  if (decimals === 0) return scaled.toString();
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(decimals + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/**
 * Integer minor units of `currency` as a decimal string ("4.25"), without decimal arithmetic: the
 * text of `Money.fromScaledInteger(minor, minorUnitExponent(currency), currency).toString()`.
 */
export function minorUnitsText(minor: bigint, currency: Currency): string {
  return scaledToDecimalString(minor, minorUnitExponent(currency));
}

/** An exact decimal written as an integer at a number of decimal places (1.234 = 1234n at 3). */
interface Scaled {
  readonly scaled: bigint;
  readonly decimals: number;
}

export class Money {
  /**
   * The value as a decimal, built on first use: rating produces many amounts that are only ever
   * printed, and parsing a decimal.js value costs more than the rating itself.
   */
  #decimal: Dec | undefined;
  readonly #scaled: Scaled | undefined;

  private constructor(
    value: Dec | Scaled,
    /** ISO 4217 code. */
    readonly currency: Currency,
  ) {
    if ('scaled' in value && typeof value.scaled === 'bigint') this.#scaled = value;
    else this.#decimal = value as Dec;
  }

  /**
   * An amount in major units from a plain decimal string.
   * @example Money.of('12.34', 'EUR').toMinorUnits() // 1234n
   */
  static of(amount: string, currency: Currency): Money {
    assert(isCurrency(currency), `unknown currency ${currency as string}`);
    return new Money(toDec(amount), currency);
  }

  /**
   * An amount from integer minor units (cents for EUR).
   * @example Money.fromMinorUnits(1234n, 'EUR').toString() // "12.34"
   */
  static fromMinorUnits(minor: bigint, currency: Currency): Money {
    assert(typeof minor === 'bigint', 'minor units are a bigint');
    return new Money(toDec(minor).div(10 ** minorUnitExponent(currency)), currency);
  }

  /**
   * An amount written as an integer at `decimals` places: `fromScaledInteger(1234n, 3, 'EUR')` is 1.234.
   */
  static fromScaledInteger(scaled: bigint, decimals: number, currency: Currency): Money {
    assert(typeof scaled === 'bigint' && Number.isSafeInteger(decimals) && decimals >= 0, 'scaled integer and whole decimals');
    return new Money({ scaled, decimals }, currency);
  }

  /**
   * The exact quotient `numerator / denominator` in major units, to 60 significant digits when it
   * does not terminate. Rating uses it to report precise (unrounded) amounts.
   */
  static fromFraction(numerator: bigint, denominator: bigint, currency: Currency): Money {
    assert(denominator > 0n, 'fromFraction: positive denominator');
    return new Money(toDec(numerator).div(toDec(denominator)), currency);
  }

  /**
   * Like {@link Money.fromFraction} for a denominator of the form `lcm · 10^decimals`: when `lcm`
   * divides the numerator the result is written without a division (the common case in rating).
   */
  static fromScaledFraction(numerator: bigint, lcm: bigint, decimals: number, currency: Currency): Money {
    if (numerator % lcm === 0n) return Money.fromScaledInteger(numerator / lcm, decimals, currency);
    return Money.fromFraction(numerator, lcm * 10n ** BigInt(decimals), currency);
  }

  /** @internal For the money module: wraps a decimal already computed exactly. */
  static fromDecimal(value: Dec, currency: Currency): Money {
    return new Money(value, currency);
  }

  /** Zero in `currency`. */
  static zero(currency: Currency): Money {
    return new Money(new Dec(0), currency);
  }

  /** @internal The decimal value, for the money module. */
  decimal(): Dec {
    if (this.#decimal === undefined) {
      const scaled = this.#scaled;
      assert(scaled !== undefined, 'a Money holds a decimal or a scaled integer');
      this.#decimal = new Dec(scaledToDecimalString(scaled.scaled, scaled.decimals));
    }
    return this.#decimal;
  }

  plus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.decimal().plus(other.decimal()), this.currency);
  }

  minus(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.decimal().minus(other.decimal()), this.currency);
  }

  negated(): Money {
    return new Money(this.decimal().negated(), this.currency);
  }

  /** This amount times a ratio or an integer count, exactly (no rounding). */
  times(factor: Rate | bigint): Money {
    const multiplier = typeof factor === 'bigint' ? toDec(factor) : factor.decimal();
    return new Money(this.decimal().times(multiplier), this.currency);
  }

  /**
   * This amount divided by a ratio (e.g. gross ÷ 1.20). The quotient may not terminate: it is
   * correct to 60 significant digits; round it before storing.
   */
  dividedBy(divisor: Rate): Money {
    assert(!divisor.isZero(), 'division of money by zero');
    return new Money(this.decimal().div(divisor.decimal()), this.currency);
  }

  /** Rounds to `decimals` places with `mode`. */
  round(decimals: number, mode: RoundingMode): Money {
    return new Money(this.decimal().toDecimalPlaces(decimals, decimalRounding(mode)), this.currency);
  }

  /** Rounds to the currency's minor unit with `mode`. */
  roundToMinorUnit(mode: RoundingMode): Money {
    return this.round(minorUnitExponent(this.currency), mode);
  }

  /**
   * Integer minor units. The amount must already be a whole number of minor units: round first
   * with {@link Money.roundToMinorUnit}; a fraction of a cent here is a bug.
   */
  toMinorUnits(): bigint {
    const scaled = this.decimal().times(10 ** minorUnitExponent(this.currency));
    assert(scaled.isInteger(), () => `${this.toString()} ${this.currency} is not a whole number of minor units`);
    return decimalToBigInt(scaled);
  }

  /** True when the amount is a whole number of minor units. */
  isWholeMinorUnits(): boolean {
    return this.decimal().times(10 ** minorUnitExponent(this.currency)).isInteger();
  }

  isZero(): boolean { return this.#scaled === undefined ? this.decimal().isZero() : this.#scaled.scaled === 0n; }
  isNegative(): boolean { return this.decimal().isNegative() && !this.decimal().isZero(); }
  isPositive(): boolean { return !this.decimal().isNegative() && !this.decimal().isZero(); }

  /** -1, 0 or 1 as this amount is less than, equal to or greater than `other`. */
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.decimal().comparedTo(other.decimal()) as -1 | 0 | 1;
  }

  equals(other: Money): boolean { return this.currency === other.currency && this.decimal().equals(other.decimal()); }
  lessThanOrEqual(other: Money): boolean { return this.compare(other) <= 0; }
  greaterThan(other: Money): boolean { return this.compare(other) > 0; }
  min(other: Money): Money { return this.compare(other) <= 0 ? this : other; }
  max(other: Money): Money { return this.compare(other) >= 0 ? this : other; }

  /** Decimal places needed to write the amount exactly. */
  decimalPlaces(): number { return this.decimal().decimalPlaces(); }

  /**
   * The amount as a decimal string in major units with at least the currency's minor-unit
   * decimals: "12.30", "0.7000" stays "0.70", "0.1234" keeps its four places.
   */
  toString(): string {
    const exponent = minorUnitExponent(this.currency);
    const scaled = this.#scaled;
    if (scaled !== undefined && scaled.decimals >= exponent) {
      // Drop trailing zeros beyond the minor unit: "0.7000" is written "0.70".
      const text = scaledToDecimalString(scaled.scaled, scaled.decimals);
      if (scaled.decimals === 0) return text;
      let end = text.length;
      const minimumEnd = text.length - (scaled.decimals - exponent);
      while (end > minimumEnd && text[end - 1] === '0') end -= 1;
      if (text[end - 1] === '.') end -= 1;
      return text.slice(0, end);
    }
    const decimals = Math.max(exponent, this.decimal().decimalPlaces());
    return this.decimal().toFixed(decimals); // ok: decimal.js toFixed is exact at these places
  }

  toJSON(): string { return this.toString(); }

  private assertSameCurrency(other: Money): void {
    assert(this.currency === other.currency, () => `currency mismatch: ${this.currency} and ${other.currency}`);
  }
}
