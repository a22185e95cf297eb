/**
 * `palier bill --subscriber ID --period YYYY-MM [--lang en] [--json]`: a subscriber's bill lines
 * for a month, as the phone bill prints them (docs/settlement.md, "The subscriber's bill"). Text
 * in French by default; `--json` prints what GET /v1/subscribers/{id}/bill answers. Exit 2 for an
 * unknown subscriber or a bad period.
 */
import type { Command } from 'commander';
import { billJson, billText, subscriberBill } from '../../app/settlement/subscriber-bill.ts';
import { CliError } from '../cli-error.ts';
import { configuredDatabase, openMigrated } from '../configured-database.ts';
import type { CliContext } from '../context.ts';

interface BillOptions {
  readonly subscriber: string;
  readonly period: string;
  readonly lang?: string;
  readonly json?: boolean;
}

export function registerBill(program: Command, context: CliContext): void {
  program
    .command('bill')
    .description('print a subscriber\'s bill lines for a month: date, merchant, duration, amount incl. VAT, refunds, VAT by rate, the monthly cap')
    .requiredOption('--subscriber <id>', 'the subscriber (sub_…)')
    .requiredOption('--period <YYYY-MM>', 'the month, in the billing carrier\'s time zone')
    .option('--lang <fr-FR|en>', 'language of the labels (default fr-FR)')
    .option('--json', 'print the bill as JSON')
    .action(async (options: BillOptions) => {
      const lang = options.lang ?? 'fr-FR';
      if (lang !== 'fr-FR' && lang !== 'fr' && lang !== 'en') throw new CliError(`--lang: must be fr-FR or en, got ${JSON.stringify(lang)}`);
      const { database, store } = await openMigrated(configuredDatabase(context));
      try {
        const bill = await subscriberBill({ store }, { subscriberId: options.subscriber, period: options.period, language: lang === 'en' ? 'en' : 'fr-FR' });
        if (!bill.ok) {
          throw new CliError(bill.error === 'period_invalid' ? `--period: must be a month YYYY-MM, got ${JSON.stringify(options.period)}` : `no subscriber ${options.subscriber}`);
        }
        context.stdout(options.json === true ? `${JSON.stringify(billJson(bill.value), null, 2)}\n` : billText(bill.value));
      } finally {
        await database.close();
      }
    });
}
