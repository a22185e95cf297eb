/**
 * The real Palier in a child process, as `npm start` runs it (`node --import tsx src/main.ts`),
 * for tests that kill it and start it again: its output is kept line by line, its URL is read from
 * the "Palier is listening on" line, and it can be stopped with any signal. `runPalierCli` runs a
 * `palier` command (bin/palier.js) the same way, to completion.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { DatabaseConfig } from '../../src/adapters/store/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN_PATH = `${root}src/main.ts`;
const CLI_PATH = `${root}bin/palier.js`;
// By URL rather than by name, so the child can run in a scratch directory without node_modules.
const TSX_LOADER_URL = import.meta.resolve('tsx');

/** A start slower than this is a failure, not a slow machine. */
const START_TIMEOUT_MS = 20_000;

/** A fixed MSISDN key for PostgreSQL children (the variable is required there; SQLite keeps a key file). */
const TEST_MSISDN_KEY_HEX = '07'.repeat(32);

/**
 * The environment that points a child at `config`: PALIER_SQLITE_PATH, or DATABASE_URL whose
 * `options` set the search path to the test schema (libpq's connection parameter, which pg reads).
 */
export function databaseEnv(config: DatabaseConfig): Record<string, string> {
  if (config.dialect === 'sqlite') return { PALIER_SQLITE_PATH: config.path };
  const url = config.searchPath === undefined ? config.url
    : `${config.url}${config.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${config.searchPath}`)}`;
  return { DATABASE_URL: url, PALIER_MSISDN_KEY: TEST_MSISDN_KEY_HEX };
}

/** Settings of the developer's shell that would point the child elsewhere: never inherited. */
const OWN_SETTINGS = new Set(['DATABASE_URL', 'PALIER_SQLITE_PATH', 'PALIER_MSISDN_KEY', 'PALIER_LIVENESS_GRACE_MS', 'HOST', 'PORT', 'LOG_LEVEL']);

/** The child's environment: ours without OWN_SETTINGS, then `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_SETTINGS.has(name))), ...env };
}

export interface PalierProcess {
  readonly url: string;
  readonly pid: number;
  /** Every line printed so far, stdout and stderr. */
  readonly lines: readonly string[];
  /** Resolves when the process has exited, with its code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first pino record (a JSON line) with this `msg`, or null. */
  logRecord(msg: string): Record<string, unknown> | null;
  /** Sends `signal` and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function collectLines(child: ChildProcess, lines: string[], onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) { lines.push(line); onLine(line); }
    });
  }
}

/**
 * Starts `src/main.ts` with `env` (PORT=0 unless given) in `cwd` and resolves once it listens and
 * /readyz answers 200. A process that exits first, or takes longer than START_TIMEOUT_MS, rejects
 * with its output.
 */
export async function startPalierProcess(options: { readonly env: Record<string, string>; readonly cwd: string }): Promise<PalierProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER_URL, MAIN_PATH], {
    cwd: options.cwd, env: childEnv({ PORT: '0', HOST: '127.0.0.1', ...options.env }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`Palier did not start within ${START_TIMEOUT_MS} ms:\n${lines.join('\n')}`)); }, START_TIMEOUT_MS);
    collectLines(child, lines, (line) => {
      const url = /Palier is listening on (http:\/\/\S+)/.exec(line)?.[1];
      if (url !== undefined) { clearTimeout(timer); resolve(url); }
    });
    void exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`Palier exited (${code ?? signal ?? '?'}) before listening:\n${lines.join('\n')}`)); });
  });
  const url = await listening.catch((error: unknown) => { child.kill('SIGKILL'); throw error; });
  const ready = await fetch(`${url}/readyz`);
  if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}`);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the child has no pid');
  return {
    url, pid, lines, exited,
    logRecord(msg) {
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record['msg'] === msg) return record;
      }
      return null;
    },
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `palier <args>` against the database in `env` and resolves with its exit code and output. */
export async function runPalierCli(args: readonly string[], options: { readonly env: Record<string, string>; readonly cwd: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  // 'close', not 'exit': by then the output streams are drained too.
  const [code] = await once(child, 'close') as [number | null];
  return { code, stdout, stderr };
}
