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
import { executeDirect, readThroughBatch } from './direct-sqlite.ts';
import type { Database } from './tables.ts';

type Db = Kysely<Database>;

/** Where an argument goes: compiled into the parameters, replaced at each call. */
class Placeholder {
  constructor(readonly key: string | number) {}
}

/** What a compiled parameter is at each call: an argument (by name, or by position for an INSERT) or a constant. */
type Slot = { readonly arg: string | number } | { readonly constant: unknown };

interface Template<O> {
  readonly query: CompiledQuery<O>;
  readonly slots: readonly Slot[];
}

export interface Prepared<A, O> {
  /** Runs the query on `db` (the store's handle or a transaction's connection) with `args`. */
  execute(db: Db, args: A): Promise<QueryResult<O>>;
  /** The first row, if any. */
  first(db: Db, args: A): Promise<O | undefined>;
  /**
   * A read's first row, read at once on a SQLite handle even inside an open batch (direct-sqlite.ts
   * `readThroughBatch`: only where the batch's rows not yet committed do not change the answer);
   * null when `db` is not a SQLite handle.
   */
  firstThroughBatch(db: Db, args: A): { readonly row: O | undefined } | null;
}

/**
 * The compiled form of `build`'s query for `db`'s dialect, compiled at its first use there: one per
 * dialect, as the SQL differs (placeholders, quoting). The adapter is the dialect's, shared by a
 * database's handle and its transactions' connections. (kysely's typings mark getExecutor()
 * internal; it is stable across 0.28.x, the line package.json pins.)
 */
function templatesOf<O>(build: (db: Db, arg: (key: string | number) => never) => Compilable<O>): (db: Db) => Template<O> {
  const templates = new WeakMap<object, Template<O>>();
  return (db) => {
    const dialect = db.getExecutor().adapter;
    let template = templates.get(dialect);
    if (template === undefined) {
      const keys = new Set<string | number>();
      const query = build(db, (key) => {
        keys.add(key);
        return new Placeholder(key) as never;
      }).compile();
      const slots = query.parameters.map((value): Slot => (value instanceof Placeholder ? { arg: value.key } : { constant: value }));
      const placed = new Set(slots.flatMap((slot) => ('arg' in slot ? [slot.arg] : [])));
      assert([...keys].every((key) => placed.has(key)), `every argument of a prepared query is a parameter (${[...keys].join(', ')})`);
      template = { query, slots };
      templates.set(dialect, template);
    }
    return template;
  };
}

/** `template`'s query with the parameters `value` gives for its arguments. */
function bind<O>({ query, slots }: Template<O>, value: (key: string | number) => unknown): CompiledQuery<O> {
  return { ...query, parameters: slots.map((slot) => ('arg' in slot ? value(slot.arg) : slot.constant)) };
}

/** Runs `template` with the parameters `value` gives for its arguments. */
function run<O>(db: Db, template: Template<O>, value: (key: string | number) => unknown): Promise<QueryResult<O>> | QueryResult<O> {
  const compiled = bind(template, value);
  return executeDirect(db, compiled) ?? db.executeQuery<O>(compiled);
}

/**
 * `build` writes the query with `arg(name)` where an argument goes; it runs once per dialect.
 * Every argument must land in the parameters (not in an identifier or a raw SQL fragment).
 */
export function prepared<A extends Record<string, unknown>, O>(
  build: (db: Db, arg: <K extends keyof A & string>(name: K) => A[K]) => Compilable<O>,
): Prepared<A, O> {
  const templateFor = templatesOf<O>(build);
  const execute = async (db: Db, args: A): Promise<QueryResult<O>> => run(db, templateFor(db), (name) => args[name as string]);
  return {
    execute,
    first: async (db, args) => (await execute(db, args)).rows[0],
    firstThroughBatch: (db, args) => {
      const rows = readThroughBatch(db, bind(templateFor(db), (name) => args[name as string]));
      return rows === null ? null : { row: rows[0] };
    },
  };
}

/** The row of `table` whose `column` (a unique key) is the argument `value`. */
export function rowBy<T extends keyof Database>(table: T, column: keyof Database[T] & string): Prepared<{ value: string }, Selectable<Database[T]>> {
  // kysely's types cannot follow a table chosen by a type parameter: the signature says what it is.
  return prepared((db, arg) => db.selectFrom(table as 'carriers').selectAll().where(column as 'id', '=', arg('value')) as never);
}

/**
 * What an INSERT does with a row whose unique key (`columns`) is taken: nothing, or, with `add`,
 * add the new row's value of that column to the existing row's (a running balance).
 */
export interface OnConflict {
  readonly columns: readonly string[];
  readonly add?: string;
}

/** An INSERT prepared for one shape of rows: its arguments are the rows' values by position, row after row. */
interface InsertShape {
  readonly columns: readonly string[];
  readonly rows: number;
  readonly conflict: OnConflict | undefined;
  readonly templateFor: (db: Db) => Template<never>;
}

/** The shapes prepared so far, by table: a handful each, the shapes the code writes. */
const insertShapes = new Map<string, InsertShape[]>();

const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((value, index) => value === b[index]);
const sameConflict = (a: OnConflict | undefined, b: OnConflict | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.add === b.add && sameStrings(a.columns, b.columns));

function insertShape(table: keyof Database, columns: readonly string[], rows: number, conflict: OnConflict | undefined): InsertShape {
  let shapes = insertShapes.get(table);
  if (shapes === undefined) insertShapes.set(table, shapes = []);
  const known = shapes.find((shape) => shape.rows === rows && sameConflict(shape.conflict, conflict) && sameStrings(shape.columns, columns));
  if (known !== undefined) return known;
  const templateFor = templatesOf<never>((db, arg) => {
    const values = Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map((column, index) => [column, arg(row * columns.length + index)])));
    const query = db.insertInto(table).values(values);
    if (conflict === undefined) return query;
    const { add } = conflict;
    return query.onConflict((oc) => {
      const target = oc.columns(conflict.columns as never);
      return add === undefined ? target.doNothing() : target.doUpdateSet({ [add]: sql`${sql.ref(`${table}.${add}`)} + ${sql.ref(`excluded.${add}`)}` });
    });
  });
  const shape = { columns, rows, conflict, templateFor };
  shapes.push(shape);
  return shape;
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
  const values: unknown[] = [];
  const shapeRule = (): string => `every row inserted into ${table} has the columns ${columns.join(', ')}`;
  for (const row of rows as readonly Record<string, unknown>[]) {
    assert(row === first || Object.keys(row).length === columns.length, shapeRule);
    for (const column of columns) {
      const value = row[column];
      // kysely leaves out a column whose value is undefined: a prepared shape cannot.
      assert(value !== undefined, shapeRule);
      values.push(value);
    }
  }
  const shape = insertShape(table, columns, rows.length, conflict);
  return run(db, shape.templateFor(db), (position) => values[position as number]);
}
