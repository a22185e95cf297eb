/** Storage: open the configured database, migrate it, and get the Store port over it. */
import type { Store } from '../../app/ports/index.ts';
import { type DatabaseConfig, databaseConfigFromEnv, type OpenDatabase, openDatabase } from './database.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrate } from './migrate.ts';

export { type DatabaseConfig, databaseConfigFromEnv, DEFAULT_SQLITE_PATH, type DialectName, type OpenDatabase, openDatabase } from './database.ts';
export { KyselyStore } from './kysely-store.ts';
export { migrate } from './migrate.ts';
export {
  LEDGER_BREACHES_PER_CHECK_MAX, LEDGER_CHECKS, type LedgerBreach, type LedgerCheck, type LedgerCounts, type LedgerReport, verifyLedger,
} from './verify-ledger.ts';

export interface OpenStore {
  readonly store: Store;
  readonly database: OpenDatabase;
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date and returns the store over it. */
export async function openStore(config: DatabaseConfig = databaseConfigFromEnv()): Promise<OpenStore> {
  const database = openDatabase(config);
  await migrate(database.db, database.dialect);
  return { store: new KyselyStore(database.db, database.dialect), database, close: () => database.close() };
}
