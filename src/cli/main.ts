/** Entry point of the `palier` command. */
import { processContext } from './context.ts';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), processContext);
