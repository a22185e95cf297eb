/**
 * The key subscriber numbers are pseudonymised with (HMAC-SHA256, see src/domain/parties).
 * `PALIER_MSISDN_KEY` (hex) wins; without it the embedded SQLite demo keeps a key file beside its
 * database, generated once. PostgreSQL needs the variable: several instances share that database,
 * and each must compute the same HMAC for a number, which a file on one machine cannot ensure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MSISDN_KEY_BYTES_MIN } from '../../app/limits.ts';
import { err, ok, type Result } from '../../domain/index.ts';
import { type DatabaseConfig, DEFAULT_SQLITE_PATH } from '../store/index.ts';

/** Where the key came from: the environment, an existing key file, or a key file created now. */
export type MsisdnKeySource = 'env' | 'file' | 'file_created';

export interface MsisdnKey {
  readonly key: Uint8Array;
  readonly source: MsisdnKeySource;
  /** The key file, when the key came from one. */
  readonly path: string | null;
}

/** Why no key could be had, in precedence order: a bad variable, a bad file, no source allowed. */
export type MsisdnKeyProblem =
  | { readonly code: 'msisdn_key_invalid'; readonly message: string }
  | { readonly code: 'msisdn_key_file_invalid'; readonly message: string }
  | { readonly code: 'msisdn_key_required'; readonly message: string };

/** The key file of a database: beside the SQLite file, or null for PostgreSQL (the variable is required). */
export function msisdnKeyFilePath(config: DatabaseConfig): string | null {
  if (config.dialect === 'postgres') return null;
  return join(dirname(config.path === ':memory:' ? DEFAULT_SQLITE_PATH : config.path), 'msisdn.key');
}

/** Decodes a hex key of at least MSISDN_KEY_BYTES_MIN bytes, or says what is wrong with it. */
function decodeKey(text: string): Result<Uint8Array, string> {
  const hex = text.trim();
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return err('must be hexadecimal (an even number of 0-9a-f digits)');
  if (hex.length / 2 < MSISDN_KEY_BYTES_MIN) return err(`must be at least ${MSISDN_KEY_BYTES_MIN} bytes (${MSISDN_KEY_BYTES_MIN * 2} hex digits), got ${hex.length / 2}`);
  return ok(new Uint8Array(Buffer.from(hex, 'hex')));
}

function readKeyFile(path: string, source: MsisdnKeySource): Result<MsisdnKey, MsisdnKeyProblem> {
  const decoded = decodeKey(readFileSync(path, 'utf8'));
  if (!decoded.ok) return err({ code: 'msisdn_key_file_invalid', message: `${path} ${decoded.error}` });
  return ok({ key: decoded.value, source, path });
}

/** Creates the key file with fresh random bytes, readable by its owner only; an existing file is kept. */
function createKeyFile(path: string): Result<MsisdnKey, MsisdnKeyProblem> {
  mkdirSync(dirname(path), { recursive: true });
  try {
    // 'wx': never overwrite. A replaced key would orphan every subscriber already stored.
    writeFileSync(path, `${randomBytes(MSISDN_KEY_BYTES_MIN).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readKeyFile(path, 'file');
  }
  return readKeyFile(path, 'file_created');
}

/**
 * The MSISDN key: from `PALIER_MSISDN_KEY` (hex, at least 32 bytes) when set, otherwise from the
 * key file (created on first use) when `keyFilePath` allows one.
 *
 * @example resolveMsisdnKey({ env: process.env, keyFilePath: 'data/msisdn.key' }) // ok({ key, source: 'file_created', path: 'data/msisdn.key' })
 */
export function resolveMsisdnKey(options: { readonly env: NodeJS.ProcessEnv; readonly keyFilePath: string | null }): Result<MsisdnKey, MsisdnKeyProblem> {
  const variable = options.env['PALIER_MSISDN_KEY'];
  if (variable !== undefined && variable !== '') {
    const decoded = decodeKey(variable);
    if (!decoded.ok) return err({ code: 'msisdn_key_invalid', message: `PALIER_MSISDN_KEY ${decoded.error}` });
    return ok({ key: decoded.value, source: 'env', path: null });
  }
  if (options.keyFilePath === null) {
    return err({
      code: 'msisdn_key_required',
      message: 'PALIER_MSISDN_KEY is required with DATABASE_URL: every instance must pseudonymise numbers with the same key (generate one with `openssl rand -hex 32`)',
    });
  }
  try {
    return readKeyFile(options.keyFilePath, 'file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return createKeyFile(options.keyFilePath);
  }
}
