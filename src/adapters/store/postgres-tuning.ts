/**
 * A measured speed-up of PostgreSQL (docs/performance.md, storage benchmark): server-side prepared
 * statements. kysely sends every query unnamed, so the server parses and plans it on each call;
 * a close's eight statements spent a quarter of its time there. Each connection of the pool names
 * the SQL texts it sends with parameters (`palier_0`, `palier_1`, … per connection: pg parses a
 * named statement once per connection and then only binds and executes it). The same idea as the
 * SQLite statement cache (sqlite-tuning.ts), bounded the same way: past the bound a connection
 * sends new texts unnamed, as before.
 */
import type pg from 'pg';
import { POSTGRES_STATEMENTS_NAMED_MAX } from './limits.ts';

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/** Makes `client` send kysely's parameterised queries as named statements (pool `connect` listener). */
export function preparedStatementsOn(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  const query = (client.query as Query).bind(client);
  const named: Query = (config, values, callback) => {
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return query(config, values, callback);
    let name = names.get(config);
    if (name === undefined) {
      if (names.size >= POSTGRES_STATEMENTS_NAMED_MAX) return query(config, values);
      name = `palier_${String(names.size)}`;
      names.set(config, name);
    }
    return query({ name, text: config, values });
  };
  (client as { query: Query }).query = named;
}
