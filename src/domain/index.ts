/**
 * The pure core of Palier: money, tariffs and profiles, rating and its inverse, the price
 * announcement. No I/O, no clock, no framework (STYLE.md rule 5).
 */
export * from './announcement/index.ts';
export { AssertionError, assert } from './assert.ts';
export * as limits from './limits.ts';
export * from './money/index.ts';
export * from './rating/index.ts';
export { err, fieldPath, ok, type Result, type Violation } from './result.ts';
export * from './tariff/index.ts';
export { zodViolations } from './zod-violations.ts';
export * from './ledger/index.ts';
export * from './parties/index.ts';
export * from './billing/index.ts';
export * from './session/index.ts';
export * from './settlement/index.ts';
