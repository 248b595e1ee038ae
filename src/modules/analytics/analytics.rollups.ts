import { and, eq, lt, sql } from 'drizzle-orm';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, rows } from '../../shared/db.ts';
import {
  analyticsDaily,
  analyticsDailySales,
  analyticsEvent,
  analyticsRollupDay,
  searchMiss,
} from './analytics.tables.ts';

/** Raw funnel events and zero-result searches are kept this long; the rollups stay. */
export const RAW_RETENTION_DAYS = 90;
/** Events arrive up to a week late (the ingestion accepts that much clock skew): those days are redone. */
const RECENT_RECEIPT_MS = 2 * 3_600_000;
const DAY_MS = 86_400_000;

export interface DailySalesRow {
  livemode: boolean;
  day: string;
  currency: string;
  orders: number;
  revenue: number;
}

export interface RollupDeps {
  db: Executor;
  clock: Clock;
  /** Paid orders per day (the orders module's `salesByDay`), read in the rollup's transaction. */
  salesByDay(db: Executor, input: { storeId: string; from: Date; to: Date }): Promise<DailySalesRow[]>;
  /** Stores with orders paid in `[from, to)` (the orders module's `storesWithSales`). */
  storesWithSales(db: Executor, input: { from: Date; to: Date }): Promise<string[]>;
}

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
export const startOfDay = (day: string) => new Date(`${day}T00:00:00.000Z`);

export function createRollups(deps: RollupDeps) {
  const { db, clock } = deps;

  /**
   * Recomputes one store's day: its rows are replaced in one transaction. The upsert of the day's marker row
   * comes first and holds its lock to the commit, so a second worker recomputing the same day waits, then
   * deletes what the first wrote and writes the same numbers: nothing is ever counted twice.
   */
  async function rollupDay(storeId: string, day: string): Promise<void> {
    const from = startOfDay(day);
    const to = new Date(from.getTime() + DAY_MS);
    const now = clock.now();
    await inTransaction(db, async (tx) => {
      await tx
        .insert(analyticsRollupDay)
        .values({ storeId, day, computedAt: now })
        .onConflictDoUpdate({
          target: [analyticsRollupDay.storeId, analyticsRollupDay.day],
          set: { computedAt: now },
        });
      await tx
        .delete(analyticsDaily)
        .where(and(eq(analyticsDaily.storeId, storeId), eq(analyticsDaily.day, day)));
      await tx
        .delete(analyticsDailySales)
        .where(and(eq(analyticsDailySales.storeId, storeId), eq(analyticsDailySales.day, day)));
      await tx.execute(sql`
        with e as (
          -- Both modes named: the (store, mode, time) index then reads the day's range of each mode, where a
          -- condition on the store alone would scan every event of the store (a sequential scan at scale).
          select * from ${analyticsEvent}
           where store_id = ${storeId} and livemode in (false, true)
             and occurred_at >= ${from.toISOString()} and occurred_at < ${to.toISOString()}
        ),
        added as (
          select distinct livemode, session_id, product_id from e
           where type = 'product_added' and product_id is not null
        ),
        attributed as (
          select livemode, product_id, type, id, session_id from e where product_id is not null
          union
          select e.livemode, a.product_id, e.type, e.id, e.session_id
            from e join added a on a.livemode = e.livemode and a.session_id = e.session_id
           where e.type in ('checkout_started', 'order_completed') and e.product_id is null
        )
        insert into ${analyticsDaily} (store_id, livemode, day, product_id, type, events, sessions)
        select ${storeId}, livemode, ${day}::date, null, type, count(*), count(distinct session_id)
          from e group by livemode, type
        union all
        select ${storeId}, livemode, ${day}::date, product_id, type, count(distinct id), count(distinct session_id)
          from attributed group by livemode, product_id, type`);
      const sales = await deps.salesByDay(tx, { storeId, from, to });
      if (sales.length > 0) {
        await tx.insert(analyticsDailySales).values(
          sales.map((s) => ({
            storeId,
            livemode: s.livemode,
            day,
            currency: s.currency,
            orders: s.orders,
            revenue: s.revenue,
          })),
        );
      }
    });
  }

  /**
   * The task: redoes today and yesterday for every store with paid orders since yesterday, and every day
   * that received events lately (late events included). Each day is its own transaction.
   */
  async function rollupRecent(): Promise<number> {
    const now = clock.now();
    const today = dayOf(now);
    const yesterday = dayOf(new Date(now.getTime() - DAY_MS));
    const pairs = new Set<string>();
    const received = await rows<{ store_id: string; day: string }>(
      db,
      sql`select distinct store_id, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day
            from ${analyticsEvent}
           where received_at >= ${new Date(now.getTime() - RECENT_RECEIPT_MS).toISOString()}`,
    );
    for (const r of received) pairs.add(`${r.store_id} ${r.day}`);
    for (const storeId of await deps.storesWithSales(db, { from: startOfDay(yesterday), to: now })) {
      pairs.add(`${storeId} ${today}`);
      pairs.add(`${storeId} ${yesterday}`);
    }
    for (const p of pairs) {
      const [storeId, day] = p.split(' ') as [string, string];
      await rollupDay(storeId, day);
    }
    return pairs.size;
  }

  /** Deletes raw events and zero-result searches past the retention, a bounded batch per run. */
  async function purgeRaw(batch = 10_000): Promise<number> {
    const cutoff = new Date(clock.now().getTime() - RAW_RETENTION_DAYS * DAY_MS);
    const ev = await rows<{ n: number }>(
      db,
      sql`with d as (delete from ${analyticsEvent} where id in (
             select id from ${analyticsEvent} where occurred_at < ${cutoff.toISOString()} limit ${batch}) returning 1)
          select count(*)::int as n from d`,
    );
    await db.delete(searchMiss).where(lt(searchMiss.occurredAt, cutoff));
    return ev[0]?.n ?? 0;
  }

  return { rollupDay, rollupRecent, purgeRaw };
}

export type Rollups = ReturnType<typeof createRollups>;
