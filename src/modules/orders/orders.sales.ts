import { and, count, eq, gte, isNotNull, lt, sql, sum } from 'drizzle-orm';
import type { Executor } from '../../shared/db.ts';
import { order } from './orders.tables.ts';

export interface DailySales {
  livemode: boolean;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  currency: string;
  orders: number;
  /** Sum of order totals, minor units (gross: refunds are not taken off). */
  revenue: number;
}

/**
 * Paid orders of a store per UTC day of payment (`paid_at`), mode and currency, in `[from, to)`: the sales
 * figures of reports. An order counts once, on the day its money was captured.
 */
export async function salesByDay(
  db: Executor,
  input: { storeId: string; from: Date; to: Date; livemode?: boolean },
): Promise<DailySales[]> {
  const day = sql<string>`to_char(${order.paidAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .select({
      livemode: order.livemode,
      day,
      currency: order.currency,
      orders: count(),
      revenue: sum(order.total),
    })
    .from(order)
    .where(
      and(
        eq(order.storeId, input.storeId),
        isNotNull(order.paidAt),
        gte(order.paidAt, input.from),
        lt(order.paidAt, input.to),
        input.livemode === undefined ? undefined : eq(order.livemode, input.livemode),
      ),
    )
    .groupBy(order.livemode, day, order.currency);
  return rows.map((r) => ({ ...r, orders: Number(r.orders), revenue: Number(r.revenue ?? 0) }));
}

/** Stores with orders paid in `[from, to)`: whose sales days the rollup task redoes. */
export async function storesWithSales(db: Executor, input: { from: Date; to: Date }): Promise<string[]> {
  const r = await db
    .selectDistinct({ storeId: order.storeId })
    .from(order)
    .where(and(isNotNull(order.paidAt), gte(order.paidAt, input.from), lt(order.paidAt, input.to)));
  return r.map((x) => x.storeId);
}
