/** What CLI commands need from the outside world, injected so that tests can run them in-process. */
export interface CliContext {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The wall clock, for defaults such as `quote --start`. */
  readonly nowMs: () => number;
}

export const processContext: CliContext = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  nowMs: () => Date.now(),
};
