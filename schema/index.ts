/**
 * The ordered list of migrations. Names sort in application order; a landed migration is never
 * edited or removed (add a new one instead).
 */
import type { Kysely } from 'kysely';
import * as m001 from './001-initial.ts';
import type { SchemaDialect } from './001-initial.ts';
import * as m002 from './002-session-tokens.ts';
import * as m003 from './003-quote-token-index.ts';
import * as m004 from './004-settlement.ts';
import * as m005 from './005-idempotency-purge.ts';
import * as m006 from './006-holds-budget-covering.ts';

export type { SchemaDialect };

export interface SchemaMigration {
  readonly up: (db: Kysely<unknown>, dialect: SchemaDialect) => Promise<void>;
}

export const MIGRATIONS: Readonly<Record<string, SchemaMigration>> = {
  '001-initial': m001,
  '002-session-tokens': m002,
  '003-quote-token-index': m003,
  '004-settlement': m004,
  '005-idempotency-purge': m005,
  '006-holds-budget-covering': m006,
};
