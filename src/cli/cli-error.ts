/**
 * An error the CLI reports as one line on stderr with an exit code, never a stack trace.
 * Exit codes: 1 = the input is invalid (a tariff breaks rules), 2 = bad usage or unreadable file.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 2) {
    super(message);
  }
}
