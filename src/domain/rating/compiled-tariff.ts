/**
 * A tariff compiled for rating: every price and fee turned into an exact bigint of "precise
 * units", so that the rating loop does integer arithmetic only.
 *
 * One precise unit is 1 / Q of the currency's major unit, with Q = L · 10^S, where S is the
 * largest number of decimals among prices and fees and L is the least common multiple of every
 * `perSeconds`. Then `price / perSeconds × seconds` is exactly `priceUnits · seconds · (L / perSeconds)`
 * units: no division, no rounding, until the one rounding of the total.
 */
import { IANAZone } from 'luxon';
import { assert } from '../assert.ts';
import { decimalToBigInt, type Money } from '../money/index.ts';
import type { Band, Tariff, Tier } from '../tariff/index.ts';

export interface CompiledTier {
  readonly tier: Tier;
  readonly index: number;
  readonly fromSecond: number;
  readonly incrementSeconds: number;
  /** Cost of one second in precise units: priceUnits · (L / perSeconds). */
  readonly secondUnits: bigint;
}

export interface CompiledBand {
  readonly band: Band;
  readonly zone: IANAZone;
  readonly tiers: readonly CompiledTier[];
  readonly connectionFeeUnits: bigint;
}

export interface CompiledTariff {
  readonly tariff: Tariff;
  /** Q: precise units per major unit, Q = lcm · 10^scaleDigits. */
  readonly unitsPerMajor: bigint;
  readonly lcm: bigint;
  readonly scaleDigits: number;
  readonly tiers: readonly CompiledTier[];
  readonly bands: readonly CompiledBand[];
  readonly connectionFeeUnits: bigint;
  readonly flatUnits: bigint;
  /**
   * Gross factor as a fraction: precise units × grossNumerator / grossDenominator are the amount
   * tax included. 1/1 when prices include VAT, (1 + vatRate) otherwise.
   */
  readonly grossNumerator: bigint;
  readonly grossDenominator: bigint;
  /** The VAT rate as the fraction vatUnits / vatScale ("0.20" is 20 / 100). */
  readonly vatUnits: bigint;
  /** Decimal digits of vatScale (vatScale = 10^vatDigits). */
  readonly vatDigits: number;
  readonly vatScale: bigint;
  /** maxCost in precise units (in the tariff's pricing basis), or null. */
  readonly maxCostUnits: bigint | null;
  /** Band timelines per UTC day index, filled on demand (see band-timeline.ts). */
  readonly bandDays: Map<number, readonly BandSegment[]>;
}

/** A run of wall-clock time priced by one band (`band` is its index, -1 for the base tiers). */
export interface BandSegment {
  readonly startMs: number;
  readonly endMs: number;
  readonly band: number;
}

const compiledTariffs = new WeakMap<Tariff, CompiledTariff>();

/** The compiled form of `tariff`, built once per tariff object. */
export function compileTariff(tariff: Tariff): CompiledTariff {
  let compiled = compiledTariffs.get(tariff);
  if (compiled === undefined) {
    compiled = buildCompiled(tariff);
    compiledTariffs.set(tariff, compiled);
  }
  return compiled;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function buildCompiled(tariff: Tariff): CompiledTariff {
  const allTiers = [...tariff.tiers, ...tariff.bands.flatMap((band) => band.tiers)];
  const amounts: Money[] = [
    tariff.connectionFee, ...allTiers.map((tier) => tier.price), ...tariff.bands.map((band) => band.connectionFee),
    ...(tariff.flatPrice === null ? [] : [tariff.flatPrice.amount]), ...(tariff.maxCost === null ? [] : [tariff.maxCost.amount]),
  ];
  const scaleDigits = Math.max(0, ...amounts.map((amount) => amount.decimalPlaces()));
  let lcm = 1n;
  for (const tier of allTiers) {
    const per = BigInt(tier.perSeconds);
    lcm = (lcm / gcd(lcm, per)) * per;
  }
  const scale = 10n ** BigInt(scaleDigits);
  const unitsPerMajor = lcm * scale;
  const toUnits = (amount: Money): bigint => {
    const scaled = amount.decimal().times(scale.toString());
    assert(scaled.isInteger(), 'compile: every amount is a whole number at the common scale');
    return decimalToBigInt(scaled) * lcm;
  };
  const compileTiers = (tiers: readonly Tier[]): CompiledTier[] => tiers.map((tier, index) => {
    const priceScaled = toUnits(tier.price) / lcm;
    return { tier, index, fromSecond: tier.fromSecond, incrementSeconds: tier.incrementSeconds, secondUnits: priceScaled * (lcm / BigInt(tier.perSeconds)) };
  });
  const vatScale = 10n ** BigInt(tariff.vatRate.decimalPlaces());
  const vatUnits = decimalToBigInt(tariff.vatRate.decimal().times(vatScale.toString()));
  return {
    tariff,
    unitsPerMajor,
    lcm,
    scaleDigits,
    grossNumerator: tariff.pricesIncludeVat ? 1n : vatScale + vatUnits,
    grossDenominator: tariff.pricesIncludeVat ? 1n : vatScale,
    vatUnits,
    vatScale,
    vatDigits: tariff.vatRate.decimalPlaces(),
    tiers: compileTiers(tariff.tiers),
    bands: tariff.bands.map((band) => ({
      band, zone: IANAZone.create(band.timeZone), tiers: compileTiers(band.tiers), connectionFeeUnits: toUnits(band.connectionFee),
    })),
    connectionFeeUnits: toUnits(tariff.connectionFee),
    flatUnits: tariff.flatPrice === null ? 0n : toUnits(tariff.flatPrice.amount),
    maxCostUnits: tariff.maxCost === null ? null : toUnits(tariff.maxCost.amount),
    bandDays: new Map(),
  };
}
