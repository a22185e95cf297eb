/**
 * The `palier` command: builds the commander program and runs it, turning every failure into
 * one line on stderr and an exit code (never a stack trace for bad input).
 */
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.ts';
import { registerBill } from './commands/bill.ts';
import { registerLedger } from './commands/ledger-verify.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerQuote } from './commands/quote.ts';
import { registerReconcile } from './commands/reconcile.ts';
import { registerSeed } from './commands/seed.ts';
import { registerSettle } from './commands/settle.ts';
import { registerTariffCheck } from './commands/tariff-check.ts';
import type { CliContext } from './context.ts';

export function buildProgram(context: CliContext): Command {
  const program = new Command('palier')
    .description('Palier: metered pay-per-minute assistance billing')
    .exitOverride()
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr, outputError: () => undefined })
    .showSuggestionAfterError(true);
  registerQuote(program, context);
  registerTariffCheck(program, context);
  registerMigrate(program, context);
  registerSeed(program, context);
  registerLedger(program, context);
  registerSettle(program, context);
  registerReconcile(program, context);
  registerBill(program, context);
  return program;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code.
 *
 * @example await runCli(['tariff', 'check', 'fixtures/tariffs/kiosque-3615.json'], processContext) // 0
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    await buildProgram(context).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      context.stderr(`palier: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
      context.stderr(`palier: ${error.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    throw error;
  }
}
