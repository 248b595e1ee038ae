import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from './db.ts';

/** A query builder (insert, update, delete) or raw SQL that can run as a data-modifying CTE. */
export type Write = SQL | { getSQL(): SQL };

const toSql = (w: Write): SQL => ('getSQL' in w ? w.getSQL() : w);

/**
 * Sends independent writes as one statement (data-modifying CTEs): one round trip instead of one per write,
 * all or nothing. The writes share one snapshot and must not depend on each other's effects.
 */
export async function writeTogether(tx: Executor, writes: Write[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) {
    await tx.execute(toSql(writes[0]!));
    return;
  }
  const ctes = sql.join(
    writes.map((w, i) => sql`${sql.raw(`w${i}`)} as (${toSql(w)})`),
    sql`, `,
  );
  await tx.execute(sql`with ${ctes} select 1`);
}
