/** Rating: the pure closed-form rating function, its inverse for caps, and the next price step. */
export { type Affordable, type AffordableOptions, maxAffordableSeconds } from './max-affordable.ts';
export { maxCostBilled } from './max-cost-billed.ts';
export { nextChange, type NextChange, type NextChangeOptions, priceChange, type PricePoint } from './next-change.ts';
export { rate, type Rating, type RatingLine, type VatSplit } from './rate.ts';
export type { MeteredInterval, SpanKind } from './spans.ts';
export { type AmountStep, type BillingCurve, billingCurve } from './billing-curve.ts';
