/** `palier quote`: rate a duration against a tariff file, as one JSON object. */
import { type Command } from 'commander';
import { maxAffordableSeconds, Money, rate, type Tariff } from '../../domain/index.ts';
import { parseAmount, parseInstant, parseSeconds, readTariff } from '../arguments.ts';
import type { CliContext } from '../context.ts';

export interface QuoteOptions {
  readonly tariff: string;
  readonly seconds: string;
  readonly start?: string;
  readonly cap?: string;
}

/** The JSON the quote command prints. */
export function quoteResult(tariff: Tariff, startMs: number, seconds: number, cap: string | undefined): Record<string, unknown> {
  const rating = rate(tariff, startMs, seconds);
  const result: Record<string, unknown> = {
    tariffHash: rating.tariffHash,
    currency: rating.currency,
    meteringStart: new Date(startMs).toISOString(),
    meteredSeconds: rating.meteredSeconds,
    billed: rating.billed,
    precise: rating.precise,
    billedSeconds: rating.billedSeconds,
    vat: rating.vat,
    connectionFee: rating.connectionFee,
    flatPrice: rating.flatPrice,
    maxCostReached: rating.maxCostReached,
    lines: rating.lines,
  };
  if (cap !== undefined) {
    const affordable = maxAffordableSeconds(tariff, startMs, Money.of(cap, tariff.currency));
    result['cap'] = Money.of(cap, tariff.currency);
    result['maxAffordableSeconds'] = affordable.seconds;
    result['maxAffordableLimitedBy'] = affordable.limitedBy;
  }
  return result;
}

export function registerQuote(program: Command, context: CliContext): void {
  program
    .command('quote')
    .description('rate a metered duration against a tariff file and print the rating as JSON')
    .requiredOption('--tariff <file>', 'tariff JSON file (format v1)')
    .requiredOption('--seconds <n>', 'metered seconds')
    .option('--start <iso8601>', 'metering start, with an offset (default: now)')
    .option('--cap <amount>', 'spending cap: also print maxAffordableSeconds')
    .action((options: QuoteOptions) => {
      const seconds = parseSeconds('--seconds', options.seconds);
      const startMs = options.start === undefined ? context.nowMs() : parseInstant('--start', options.start);
      const cap = options.cap === undefined ? undefined : parseAmount('--cap', options.cap);
      const tariff = readTariff(options.tariff);
      context.stdout(`${JSON.stringify(quoteResult(tariff, startMs, seconds, cap), null, 2)}\n`);
    });
}
