import { is, Param, Placeholder, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Executor } from './db.ts';

/**
 * Statements whose SQL the ORM builds once. The money path's statements have a fixed shape (the same columns,
 * the same conditions, only the values change), yet the query builder walks the whole query on every call to
 * turn it into text: on a checkout that costs more CPU than the driver does. A prepared statement is written
 * with the same builder, its values as `slot('name')`, built to text on first use, and then only has its values
 * filled in: the same text (which the driver names and PostgreSQL plans once per connection), the same
 * parameters and the same typed rows as the builder gives, on whichever executor (the database or an open
 * transaction) it is run.
 */

/** A value of a prepared statement, given by name when it runs. */
export const slot = (name: string) => sql.placeholder(name);

/**
 * `column = any(<slot>)`: a list of ids as one array value, so that lists of any length are the same statement
 * (an `in (…)` list would make a new text per length).
 */
export const isAnyOf = (column: SQLWrapper, name: string) => sql`${column} = any(${slot(name)}::text[])`;

/** What the ORM's `_prepare()` answers (identical for node-postgres and PGlite): a query bound to a client. */
interface BoundQuery {
  params: unknown[];
  client: unknown;
  logger: unknown;
  execute(): Promise<unknown>;
}

interface SessionLike {
  client: unknown;
  logger: unknown;
  prepareQuery(
    query: { sql: string; params: unknown[] },
    fields: undefined,
    name: undefined,
    isResponseInArrayMode: boolean,
  ): BoundQuery;
}

const sessionOf = (executor: Executor): SessionLike =>
  (executor as unknown as { session: SessionLike }).session;

type Values = Record<string, unknown>;

function fill(params: unknown[], values: Values): unknown[] {
  return params.map((p) => {
    if (is(p, Placeholder)) return valueNamed(values, p.name);
    if (is(p, Param) && is(p.value, Placeholder)) {
      const v = valueNamed(values, p.value.name);
      // As the builder does for a literal value: null stays NULL (not JSON `null`, not a date of null).
      return v === null ? null : p.encoder.mapToDriverValue(v);
    }
    return p;
  });
}

function valueNamed(values: Values, name: string): unknown {
  const v = values[name];
  if (v === undefined) throw new Error(`prepared statement: no value for ${name}`);
  return v;
}

/** Runs a prepared template on the executor's own client (the pool, or the transaction's connection). */
function runOn(template: BoundQuery, executor: Executor, values: Values): Promise<unknown> {
  const session = sessionOf(executor);
  const q = Object.create(template) as BoundQuery;
  q.client = session.client;
  q.logger = session.logger;
  try {
    q.params = fill(template.params, values);
  } catch (e) {
    return Promise.reject(e);
  }
  return q.execute();
}

/**
 * A statement written with the query builder (`db.insert(…)`, `db.select(…)`, `db.update(…)`, with
 * `.returning()` as needed), its values as `slot('name')`. Built once per driver; runs with `values`.
 * Every slot needs a value (`null` for SQL NULL); an optional insert column belongs in the template or not at all.
 */
export function prepared<V extends Values, Q extends { execute(): Promise<unknown> }>(
  build: (db: Executor) => Q,
): (executor: Executor, values: V) => ReturnType<Q['execute']> {
  const templates = new Map<unknown, BoundQuery>();
  return (executor, values) => {
    const key = sessionOf(executor).constructor;
    let template = templates.get(key);
    if (!template) {
      template = (build(executor) as unknown as { _prepare(): BoundQuery })._prepare();
      templates.set(key, template);
    }
    return runOn(template, executor, values) as ReturnType<Q['execute']>;
  };
}

/**
 * A raw SQL statement (`sql\`…\``, values as `slot('name')`), built once per driver; it answers what
 * `executor.execute()` answers (node-postgres and PGlite results both carry `rows`, typed `R` by the caller).
 */
export function preparedSql<V extends Values, R = Record<string, unknown>>(
  build: () => SQL,
): (executor: Executor, values: V) => Promise<{ rows: R[] }> {
  const templates = new Map<unknown, BoundQuery>();
  return (executor, values) => {
    const session = sessionOf(executor);
    const key = session.constructor;
    let template = templates.get(key);
    if (!template) {
      const dialect = (
        executor as unknown as { dialect: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } } }
      ).dialect;
      template = session.prepareQuery(dialect.sqlToQuery(build()), undefined, undefined, false);
      templates.set(key, template);
    }
    return runOn(template, executor, values) as Promise<{ rows: R[] }>;
  };
}
