/**
 * Queries of a fixed shape, built and compiled once. kysely builds an immutable operation tree and
 * compiles it to SQL at every call; on the hot paths of a session (the churn benchmark: about 35
 * queries a flow) that was a fifth of the server thread, more than SQLite's own work on most
 * statements. A prepared query is built once with named placeholders where its arguments go,
 * compiled once per dialect, and a call only puts its arguments in the compiled parameters.
 *
 * Only for queries whose SQL does not depend on their arguments: no optional WHERE clause, no
 * IN list or multi-row VALUES whose length varies. Constants written in the builder stay in the
 * parameters as they were compiled.
 */
import { type Compilable, type CompiledQuery, type Insertable, type Kysely, type QueryResult, type Selectable, sql } from 'kysely';
import { assert } from '../../domain/index.ts';
import { executeDirect } from './direct-sqlite.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

/** Where an argument goes: compiled into the parameters, replaced at each call. */
class Placeholder {
  constructor(readonly name: string) {}
}

type Slot = { readonly arg: string } | { readonly constant: unknown };

interface Template<O> {
  readonly query: CompiledQuery<O>;
  readonly slots: readonly Slot[];
}

export interface Prepared<A, O> {
  /** Runs the query on `db` (the store's handle or a transaction's connection) with `args`. */
  execute(db: Db, args: A): Promise<QueryResult<O>>;
  /** The first row, if any. */
  first(db: Db, args: A): Promise<O | undefined>;
}

/**
 * `build` writes the query with `arg(name)` where an argument goes; it runs once per dialect.
 * Every argument must land in the parameters (not in an identifier or a raw SQL fragment).
 */
export function prepared<A extends Record<string, unknown>, O>(
  build: (db: Db, arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<O>,
): Prepared<A, O> {
  // One compiled form per dialect: the SQL differs (placeholders, quoting). The adapter is the
  // dialect's, shared by a database's handle and its transactions' connections. (kysely's typings
  // mark getExecutor() internal; it is stable across 0.28.x, the line package.json pins.)
  const templates = new WeakMap<object, Template<O>>();
  const templateFor = (db: Db): Template<O> => {
    const dialect = db.getExecutor().adapter;
    let template = templates.get(dialect);
    if (template === undefined) {
      const names = new Set<string>();
      const query = build(db, (name) => {
        names.add(name);
        return new Placeholder(name) as never;
      }).compile();
      const slots = query.parameters.map((value): Slot => (value instanceof Placeholder ? { arg: value.name } : { constant: value }));
      const placed = new Set(slots.flatMap((slot) => ('arg' in slot ? [slot.arg] : [])));
      assert([...names].every((name) => placed.has(name)), `every argument of a prepared query is a parameter (${[...names].join(', ')})`);
      template = { query, slots };
      templates.set(dialect, template);
    }
    return template;
  };
  const execute = async (db: Db, args: A): Promise<QueryResult<O>> => {
    const { query, slots } = templateFor(db);
    const parameters = slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.constant));
    const compiled = { ...query, parameters };
    return executeDirect(db, compiled) ?? db.executeQuery<O>(compiled);
  };
  return {
    execute,
    first: async (db, args) => (await execute(db, args)).rows[0],
  };
}

/** The row of `table` whose `column` (a unique key) is the argument `value`. */
export function rowBy<T extends keyof Database>(table: T, column: keyof Database[T] & string): Prepared<{ value: string }, Selectable<Database[T]>> {
  // kysely's types cannot follow a table chosen by a type parameter: the signature says what it is.
  return prepared((db, arg) => db.selectFrom(table as 'carriers').selectAll().where(column as 'id', '=', arg('value')) as never);
}

/** INSERTs prepared by shape: table, columns (in the rows' key order), number of rows, conflict clause. */
const inserts = new Map<string, Prepared<Record<string, unknown>, never>>();

/**
 * What an INSERT does with a row whose unique key (`columns`) is taken: nothing, or, with `add`,
 * add the new row's value of that column to the existing row's (a running balance).
 */
export interface OnConflict {
  readonly columns: readonly string[];
  readonly add?: string;
}

/**
 * INSERTs `rows` into `table` with a statement prepared for their shape (the same keys in each
 * row, in the same order, their number and the conflict clause): a shape seen before is not built
 * nor compiled again. The shapes are those the code writes, a bounded set.
 */
export async function insertRows<T extends keyof Database>(db: Db, table: T, rows: readonly Insertable<Database[T]>[], conflict?: OnConflict): Promise<QueryResult<never>> {
  const first = rows[0];
  if (first === undefined) return { rows: [] };
  const columns = Object.keys(first);
  const shape = `${table}(${columns.join(',')})×${rows.length}${conflict === undefined ? '' : ` on (${conflict.columns.join(',')}) ${conflict.add ?? 'nothing'}`}`;
  let insert = inserts.get(shape);
  if (insert === undefined) {
    insert = prepared<Record<string, unknown>, never>((db, arg) => {
      const query = db.insertInto(table).values(rows.map((_, index) => Object.fromEntries(columns.map((column) => [column, arg(`${index}.${column}`)]))) as never);
      if (conflict === undefined) return query;
      const { add } = conflict;
      return query.onConflict((oc) => {
        const target = oc.columns(conflict.columns as never);
        return add === undefined ? target.doNothing() : target.doUpdateSet({ [add]: sql`${sql.ref(`${table}.${add}`)} + ${sql.ref(`excluded.${add}`)}` } as never);
      });
    });
    inserts.set(shape, insert);
  }
  const args: Record<string, unknown> = {};
  rows.forEach((row, index) => {
    const values = row as Record<string, unknown>;
    assert(Object.keys(values).length === columns.length, `every row inserted into ${table} has the columns ${columns.join(', ')}`);
    for (const column of columns) {
      // kysely leaves out a column whose value is undefined: a prepared shape cannot.
      assert(values[column] !== undefined, `every row inserted into ${table} has the columns ${columns.join(', ')}`);
      args[`${index}.${column}`] = values[column];
    }
  });
  return insert.execute(db, args);
}
