import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from './db.ts';

/** A query builder (insert, update, delete) or raw SQL that can run as a data-modifying CTE. */
export type Write = SQL | { getSQL(): SQL };

/**
 * A write with a name, so that a later write of the same statement can read its RETURNING rows
 * (`insert … select … from <name>`) and the statement's result can count them. Names are plain SQL
 * identifiers, unique within the statement; prefix them with the module (`coupon_taken`).
 */
export interface NamedWrite {
  as: string;
  write: Write;
}

const toSql = (w: Write): SQL => ('getSQL' in w ? w.getSQL() : w);
const isNamed = (w: Write | NamedWrite): w is NamedWrite => 'as' in w && 'write' in w;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Sends independent writes as one statement (data-modifying CTEs): one round trip instead of one per write,
 * all or nothing. The writes share one snapshot and must not depend on each other's effects, only on an
 * earlier named write's RETURNING rows. `select` is the statement's select list (it may read the named
 * writes); its one row is returned.
 */
export async function writeTogether(
  tx: Executor,
  writes: Array<Write | NamedWrite>,
  select?: SQL,
): Promise<Record<string, unknown> | undefined> {
  if (writes.length === 0) return undefined;
  if (writes.length === 1 && !select && !isNamed(writes[0]!)) {
    await tx.execute(toSql(writes[0] as Write));
    return undefined;
  }
  const ctes = sql.join(
    writes.map((w, i) => {
      const name = isNamed(w) ? w.as : `w${i}`;
      if (!IDENTIFIER.test(name)) throw new Error(`writeTogether: "${name}" is not a plain identifier`);
      return sql`${sql.raw(name)} as (${toSql(isNamed(w) ? w.write : w)})`;
    }),
    sql`, `,
  );
  const r = await rows<Record<string, unknown>>(tx, sql`with ${ctes} select ${select ?? sql`1`}`);
  return r[0];
}
