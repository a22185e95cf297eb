/**
 * What a tariff's `maxCost` comes to on the bill: the billed amount (tax included, rounded once
 * with the tariff's rounding) when the precise amount reaches `maxCost`. With prices tax included
 * it is `maxCost` itself; with prices net of tax it is `maxCost` plus VAT. Caps and holds are
 * billed amounts, so they are compared with this, never with the bare `maxCost.amount`.
 */
import { Money } from '../money/index.ts';
import type { Tariff } from '../tariff/index.ts';
import { compileTariff } from './compiled-tariff.ts';
import { billedScaled } from './cost.ts';

/**
 * The billed amount at the tariff's `maxCost`, or null when it has none.
 *
 * @example maxCostBilled(ukPhonePaid)?.toString() // "40.00" (prices tax included)
 */
export function maxCostBilled(tariff: Tariff): Money | null {
  const compiled = compileTariff(tariff);
  if (compiled.maxCostUnits === null) return null;
  return Money.fromScaledInteger(billedScaled(compiled, compiled.maxCostUnits), tariff.rounding.decimals, tariff.currency);
}
