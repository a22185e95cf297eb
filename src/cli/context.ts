/** What CLI commands need from the outside world, injected so that tests can run them in-process. */
export interface CliContext {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The wall clock, for defaults such as `quote --start`. */
  readonly nowMs: () => number;
  /**
   * The environment commands read their configuration from (DATABASE_URL, PALIER_SQLITE_PATH,
   * PALIER_MSISDN_KEY); `process.env` when absent, so tests can point a command elsewhere.
   */
  readonly env?: NodeJS.ProcessEnv;
}

export const processContext: CliContext = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  nowMs: () => Date.now(),
};
