/** Parsing and checking CLI arguments: each failure is a CliError naming the option and the rule. */
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { isDecimalString, limits, parseTariff, type ParseTariffOptions, type Tariff, type Violation } from '../domain/index.ts';
import { CliError } from './cli-error.ts';

/** A whole number of seconds within the session limit. */
export function parseSeconds(option: string, value: string): number {
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value) || Number.parseInt(value, 10) > limits.SESSION_DURATION_S_MAX) {
    throw new CliError(`${option}: must be a whole number of seconds from 0 to ${limits.SESSION_DURATION_S_MAX}, got ${JSON.stringify(value)}`);
  }
  return Number.parseInt(value, 10);
}

/** An ISO 8601 instant with an explicit offset or Z (a bare local time is ambiguous). */
export function parseInstant(option: string, value: string): number {
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid || !/(Z|[+-][0-9]{2}(:?[0-9]{2})?)$/i.test(value)) {
    throw new CliError(`${option}: must be an ISO 8601 instant with an offset, such as 2026-10-25T06:00:00Z, got ${JSON.stringify(value)}`);
  }
  return parsed.toMillis();
}

/** A non-negative decimal amount string. */
export function parseAmount(option: string, value: string): string {
  if (!isDecimalString(value) || value.startsWith('-')) {
    throw new CliError(`${option}: must be a non-negative decimal amount such as 10.00, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads and parses a JSON file, or fails with one line. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Renders violations one per line: `field: message [rule]`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.field}: ${v.message} [${v.rule}]`).join('\n');
}

/** Reads a tariff file and validates it, or fails listing every violation (exit 1). */
export function readTariff(path: string, options: ParseTariffOptions = {}): Tariff {
  const parsed = parseTariff(readJsonFile(path), options);
  if (!parsed.ok) throw new CliError(`${path}: invalid tariff\n${formatViolations(parsed.error)}`, 1);
  return parsed.value;
}
