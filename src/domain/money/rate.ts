/**
 * A dimensionless ratio: a VAT rate ("0.20"), a revenue share ("0.85"), a fee ("0.125").
 */
import { type Dec, toDec } from './decimal.ts';

export class Rate {
  private constructor(private readonly value: Dec) {}

  /**
   * A rate from a decimal string ("0.20") or a bigint. JS numbers are refused.
   * @example Rate.of('0.20').toString() // "0.2"
   */
  static of(value: string | bigint): Rate {
    return new Rate(toDec(value));
  }

  /** A rate from a percentage string: `Rate.percent('85')` is 0.85. */
  static percent(value: string): Rate {
    return new Rate(toDec(value).div(100));
  }

  /** @internal For the money module: the decimal value. */
  decimal(): Dec {
    return this.value;
  }

  isZero(): boolean { return this.value.isZero(); }
  isNegative(): boolean { return this.value.isNegative() && !this.value.isZero(); }
  compare(other: Rate): -1 | 0 | 1 { return this.value.comparedTo(other.value) as -1 | 0 | 1; }
  plus(other: Rate): Rate { return new Rate(this.value.plus(other.value)); }
  minus(other: Rate): Rate { return new Rate(this.value.minus(other.value)); }

  /** 1 + this rate, e.g. the gross factor of a VAT rate. */
  onePlus(): Rate { return new Rate(this.value.plus(1)); }

  /** Decimal places of the rate as written in canonical form. */
  decimalPlaces(): number { return this.value.decimalPlaces(); }

  /** Canonical decimal string: no exponent, no trailing zeros ("0.2"). */
  toString(): string { return this.value.toString(); }
  toJSON(): string { return this.toString(); }
}
