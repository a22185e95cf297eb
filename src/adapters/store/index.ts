/** Storage: open the configured database, migrate it, and get the Store port over it. */
import type { Store } from '../../app/ports/index.ts';
import { type DatabaseConfig, databaseConfigFromEnv, type OpenDatabase, openDatabase } from './database.ts';
import { KyselyStore } from './kysely-store.ts';
import { migrate } from './migrate.ts';
import { checkpointInWorker } from './sqlite-tuning.ts';

export {
  type DatabaseConfig, databaseConfigFromEnv, DEFAULT_SQLITE_PATH, type DialectName, type OpenDatabase, openDatabase, type SqliteSynchronous,
} from './database.ts';
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

/**
 * Opens the database, brings its schema up to date and returns the store over it. A long-running
 * process (the server) asks for `backgroundCheckpoints`: SQLite's WAL is then checkpointed on a
 * worker thread instead of inside commits on the event loop, and the store's writes are held for
 * one checkpoint when the log grows long (sqlite-tuning.ts), so that it starts over.
 */
export async function openStore(
  config: DatabaseConfig = databaseConfigFromEnv(),
  options: {
    readonly backgroundCheckpoints?: boolean;
    readonly onCheckpointError?: (error: unknown) => void;
    /** Called after each hold of the writes for a checkpoint, with its seconds. */
    readonly onWalHold?: (seconds: number) => void;
    /** SQLITE_WAL_RESTART_FRAMES unless given (a test gives a smaller one). */
    readonly walRestartFrames?: number;
  } = {},
): Promise<OpenStore> {
  const database = openDatabase(config);
  await migrate(database.db, database.dialect);
  const sqlite = database.raw.sqlite;
  const stopCheckpoints = options.backgroundCheckpoints === true && sqlite !== undefined && config.dialect === 'sqlite' && config.path !== ':memory:'
    ? await checkpointInWorker(sqlite, config.path, {
      // kysely's connection lock keeps its queries (a group commit's batch among them) from
      // starting; a statement run directly on the handle (direct-sqlite.ts) goes through kysely
      // while a transaction is open on it, so an empty one is opened for the hold.
      holdWrites: (during) => database.db.connection().execute(async () => {
        sqlite.exec('begin');
        try {
          await during();
        } finally {
          sqlite.exec('commit');
        }
      }),
      ...(options.onCheckpointError === undefined ? {} : { onError: options.onCheckpointError }),
      ...(options.onWalHold === undefined ? {} : { onHeld: options.onWalHold }),
      ...(options.walRestartFrames === undefined ? {} : { restartFrames: options.walRestartFrames }),
    }) : null;
  return {
    store: new KyselyStore(database.db, database.dialect, false, config.dialect === 'sqlite' && config.path !== ':memory:' ? config.path : null), database,
    close: async () => {
      await stopCheckpoints?.();
      await database.close();
    },
  };
}
