/** `palier tariff check`: validate a tariff file against its profile (or another one). */
import type { Command } from 'commander';
import { isProfileId, PROFILE_IDS, SVA_NUMBER_RANGES, type SvaNumberRange, tariffJsonSchema } from '../../domain/index.ts';
import { readTariff } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import type { CliContext } from '../context.ts';

export function registerTariffCheck(program: Command, context: CliContext): void {
  const tariff = program.command('tariff').description('tariff files');
  tariff
    .command('check')
    .description('validate a tariff file; exit 0 when valid, 1 with every violation otherwise')
    .argument('<file>', 'tariff JSON file (format v1)')
    .option('--profile <id>', `check against this profile instead of the tariff's own (${PROFILE_IDS.join(', ')})`)
    .option('--sva-range <range>', `fr-sva-2015 number range whose ceilings apply (${SVA_NUMBER_RANGES.join(', ')}; default 089)`)
    .action((file: string, options: { profile?: string; svaRange?: string }) => {
      if (options.profile !== undefined && !isProfileId(options.profile)) {
        throw new CliError(`--profile: must be one of ${PROFILE_IDS.join(', ')}, got ${JSON.stringify(options.profile)}`);
      }
      const range = options.svaRange;
      if (range !== undefined && !(SVA_NUMBER_RANGES as readonly string[]).includes(range)) {
        throw new CliError(`--sva-range: must be one of ${SVA_NUMBER_RANGES.join(', ')}, got ${JSON.stringify(range)}`);
      }
      const parsed = readTariff(file, {
        ...(options.profile !== undefined && isProfileId(options.profile) ? { profile: options.profile } : {}),
        ...(range !== undefined ? { svaNumberRange: range as SvaNumberRange } : {}),
      });
      context.stdout(`${file}: valid ${options.profile ?? parsed.profile} tariff ${parsed.hash}\n`);
    });
  tariff
    .command('schema')
    .description('print the JSON Schema of tariff format v1')
    .action(() => { context.stdout(`${JSON.stringify(tariffJsonSchema(), null, 2)}\n`); });
}
