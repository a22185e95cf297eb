/**
 * Tariff format v1 as immutable domain values (DESIGN.md §2). Built only by `parseTariff`, which
 * validates; every amount is a `Money`, every ratio a `Rate`, every duration whole seconds.
 */
import type { Currency, Money, Rate, RoundingMode } from '../money/index.ts';
import type { ProfileId } from './profiles.ts';

/** A palier: from `fromSecond` of elapsed metered time, `price` per `perSeconds`, billed by `incrementSeconds`. */
export interface Tier {
  readonly fromSecond: number;
  readonly price: Money;
  readonly perSeconds: number;
  readonly incrementSeconds: number;
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * A wall-clock window with its own tiers, e.g. the night rate. It covers local times in
 * [from, to) of its days in `timeZone`; when `to` ≤ `from` the window runs past midnight into the
 * next day (the day named is the day the window opens).
 */
export interface Band {
  readonly name: string;
  readonly timeZone: string;
  readonly days: readonly IsoWeekday[];
  readonly from: string;
  readonly to: string;
  /** `from` in minutes after local midnight. */
  readonly fromMinute: number;
  /** `to` in minutes after local midnight (1440 for "24:00"). */
  readonly toMinute: number;
  readonly priority: number;
  readonly connectionFee: Money;
  readonly tiers: readonly Tier[];
}

/** Ticket mode: one fixed amount per session, covering `includedSeconds` (or all, when null). */
export interface FlatPrice {
  readonly amount: Money;
  readonly includedSeconds: number | null;
}

export const MAX_COST_STRATEGIES = ['disconnect', 'free'] as const;
export type MaxCostStrategy = (typeof MAX_COST_STRATEGIES)[number];

/** The most one session costs: `disconnect` ends the session there, `free` keeps serving for free. */
export interface MaxCost {
  readonly amount: Money;
  readonly strategy: MaxCostStrategy;
}

export interface TariffRounding {
  readonly mode: RoundingMode;
  readonly decimals: number;
}

export interface Tariff {
  /** Content hash of the canonical JSON (`sha256:` + hex): the tariff version id. */
  readonly hash: string;
  readonly currency: Currency;
  readonly vatRate: Rate;
  readonly pricesIncludeVat: boolean;
  readonly connectionFee: Money;
  readonly freeSeconds: number;
  readonly minimumSeconds: number;
  readonly tiers: readonly Tier[];
  readonly bands: readonly Band[];
  readonly flatPrice: FlatPrice | null;
  readonly maxCost: MaxCost | null;
  readonly rounding: TariffRounding;
  readonly holdBilled: boolean;
  readonly profile: ProfileId;
}
