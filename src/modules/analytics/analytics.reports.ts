import { and, asc, between, desc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, rows } from '../../shared/db.ts';
import type { DailySalesRow } from './analytics.rollups.ts';
import { dayOf, startOfDay } from './analytics.rollups.ts';
import { analyticsDaily, analyticsDailySales, analyticsEvent, searchMiss } from './analytics.tables.ts';

export const FUNNEL_STEPS = [
  'product_viewed',
  'product_added',
  'checkout_started',
  'order_completed',
] as const;
type Step = (typeof FUNNEL_STEPS)[number];
const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

export interface ReportScope {
  storeId: string;
  livemode: boolean;
}

/** The inclusive day range of a report: the last 30 days by default, at most a year. */
export function dayRange(
  now: Date,
  from?: string,
  to?: string,
): { from: string; to: string; days: string[] } {
  const last = to ?? dayOf(now);
  const first = from ?? dayOf(new Date(startOfDay(last).getTime() - 29 * DAY_MS));
  const span = (startOfDay(last).getTime() - startOfDay(first).getTime()) / DAY_MS;
  if (Number.isNaN(span) || span < 0) {
    throw new AppError('VALIDATION_FAILED', '`from` must be on or before `to`.', { param: 'from' });
  }
  if (span >= MAX_DAYS) {
    throw new AppError('VALIDATION_FAILED', `A report spans at most ${MAX_DAYS} days.`, { param: 'from' });
  }
  const days: string[] = [];
  for (let i = 0; i <= span; i++) days.push(dayOf(new Date(startOfDay(first).getTime() + i * DAY_MS)));
  return { from: first, to: last, days };
}

/** A step's share of the step before it (null when the one before had no sessions). */
const rate = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 10_000) / 10_000 : null);

/** The funnel of one day or of the total: sessions per step, conversion from the step before and drop-off. */
export function funnelOf(counts: Record<Step, number>) {
  return FUNNEL_STEPS.map((step, i) => {
    const before = i === 0 ? null : counts[FUNNEL_STEPS[i - 1]!];
    const conversion = before === null ? null : rate(counts[step], before);
    return {
      step,
      sessions: counts[step],
      conversion_rate: conversion,
      drop_off_rate: conversion === null ? null : Math.round((1 - conversion) * 10_000) / 10_000,
    };
  });
}

const aov = (revenue: number, orders: number) => (orders > 0 ? Math.round(revenue / orders) : 0);

export function createReports(deps: {
  db: Executor;
  clock: Clock;
  salesByDay(
    db: Executor,
    input: { storeId: string; from: Date; to: Date; livemode?: boolean },
  ): Promise<DailySalesRow[]>;
}) {
  const { db, clock } = deps;

  return {
    /** product_viewed → product_added → checkout_started → order_completed, in sessions, per day and total. */
    async funnel(scope: ReportScope, q: { from?: string; to?: string; productId?: string }) {
      const range = dayRange(clock.now(), q.from, q.to);
      const found = await db
        .select({ day: analyticsDaily.day, type: analyticsDaily.type, sessions: analyticsDaily.sessions })
        .from(analyticsDaily)
        .where(
          and(
            eq(analyticsDaily.storeId, scope.storeId),
            eq(analyticsDaily.livemode, scope.livemode),
            between(analyticsDaily.day, range.from, range.to),
            inArray(analyticsDaily.type, [...FUNNEL_STEPS]),
            q.productId ? eq(analyticsDaily.productId, q.productId) : isNull(analyticsDaily.productId),
          ),
        );
      const zero = (): Record<Step, number> => ({
        product_viewed: 0,
        product_added: 0,
        checkout_started: 0,
        order_completed: 0,
      });
      const byDay = new Map(range.days.map((d) => [d, zero()]));
      const total = zero();
      for (const r of found) {
        const step = r.type as Step;
        byDay.get(r.day)![step] += r.sessions;
        total[step] += r.sessions;
      }
      return {
        object: 'funnel_report' as const,
        from: range.from,
        to: range.to,
        product_id: q.productId ?? null,
        total: funnelOf(total),
        days: range.days.map((day) => ({ day, steps: funnelOf(byDay.get(day)!) })),
      };
    },

    /** Revenue, orders and average order value per day and currency (paid orders, by day of payment). */
    async sales(scope: ReportScope, q: { from?: string; to?: string }) {
      const range = dayRange(clock.now(), q.from, q.to);
      const found = await db
        .select()
        .from(analyticsDailySales)
        .where(
          and(
            eq(analyticsDailySales.storeId, scope.storeId),
            eq(analyticsDailySales.livemode, scope.livemode),
            between(analyticsDailySales.day, range.from, range.to),
          ),
        )
        .orderBy(asc(analyticsDailySales.day), asc(analyticsDailySales.currency));
      const totals = new Map<string, { orders: number; revenue: number }>();
      for (const r of found) {
        const t = totals.get(r.currency) ?? { orders: 0, revenue: 0 };
        t.orders += r.orders;
        t.revenue += r.revenue;
        totals.set(r.currency, t);
      }
      return {
        object: 'sales_report' as const,
        from: range.from,
        to: range.to,
        interval: 'day' as const,
        totals: [...totals].map(([currency, t]) => ({
          currency,
          orders: t.orders,
          revenue: t.revenue,
          average_order_value: aov(t.revenue, t.orders),
        })),
        data: found.map((r) => ({
          day: r.day,
          currency: r.currency,
          orders: r.orders,
          revenue: r.revenue,
          average_order_value: aov(r.revenue, r.orders),
        })),
      };
    },

    /** Products by sessions that added them, then by views; with the sessions that went on to order. */
    async topProducts(scope: ReportScope, q: { from?: string; to?: string; limit: number }) {
      const range = dayRange(clock.now(), q.from, q.to);
      const of = (type: Step) =>
        sql<number>`coalesce(sum(${analyticsDaily.sessions}) filter (where ${analyticsDaily.type} = ${type}), 0)::int`;
      const found = await db
        .select({
          productId: sql<string>`${analyticsDaily.productId}`,
          views: of('product_viewed'),
          adds: of('product_added'),
          checkouts: of('checkout_started'),
          orders: of('order_completed'),
        })
        .from(analyticsDaily)
        .where(
          and(
            eq(analyticsDaily.storeId, scope.storeId),
            eq(analyticsDaily.livemode, scope.livemode),
            between(analyticsDaily.day, range.from, range.to),
            sql`${analyticsDaily.productId} is not null`,
          ),
        )
        .groupBy(analyticsDaily.productId)
        .orderBy(desc(of('product_added')), desc(of('product_viewed')), asc(analyticsDaily.productId))
        .limit(q.limit);
      return {
        object: 'top_products_report' as const,
        from: range.from,
        to: range.to,
        data: found.map((r) => ({
          product_id: r.productId,
          views: Number(r.views),
          adds: Number(r.adds),
          checkouts: Number(r.checkouts),
          orders: Number(r.orders),
          add_rate: rate(Number(r.adds), Number(r.views)),
        })),
      };
    },

    /** The searches that found nothing, most frequent first (raw records: the last 90 days at most). */
    async searchTerms(scope: ReportScope, q: { from?: string; to?: string; limit: number }) {
      const range = dayRange(clock.now(), q.from, q.to);
      const n = sql<number>`count(*)::int`;
      const found = await db
        .select({ term: searchMiss.term, searches: n, last: sql<string>`max(${searchMiss.occurredAt})` })
        .from(searchMiss)
        .where(
          and(
            eq(searchMiss.storeId, scope.storeId),
            eq(searchMiss.livemode, scope.livemode),
            gte(searchMiss.occurredAt, startOfDay(range.from)),
            lt(searchMiss.occurredAt, new Date(startOfDay(range.to).getTime() + DAY_MS)),
          ),
        )
        .groupBy(searchMiss.term)
        .orderBy(desc(n), asc(searchMiss.term))
        .limit(q.limit);
      return {
        object: 'search_terms_report' as const,
        from: range.from,
        to: range.to,
        no_results: true as const,
        data: found.map((r) => ({
          term: r.term,
          searches: Number(r.searches),
          last_searched_at: new Date(r.last).toISOString(),
        })),
      };
    },

    /**
     * Today and the last 30 days (today included). Today is computed live: sales from the orders, conversion
     * from the raw events (sessions with `order_completed` / sessions with `page_viewed`); the days before come
     * from the daily rollups, so the report reads a day of raw rows whatever the store's history. Sessions are
     * counted per day (a session spanning midnight counts on both days, as in the funnel).
     */
    async overview(scope: ReportScope) {
      const now = clock.now();
      const today = startOfDay(dayOf(now));
      const tomorrow = new Date(today.getTime() + DAY_MS);
      const monthStart = new Date(today.getTime() - 29 * DAY_MS);
      const liveSales = await deps.salesByDay(db, { ...scope, from: today, to: tomorrow });
      const [live] = await rows<{ viewed: number; ordered: number }>(
        db,
        sql`select count(distinct session_id) filter (where type = 'page_viewed')::int as viewed,
                   count(distinct session_id) filter (where type = 'order_completed')::int as ordered
              from ${analyticsEvent}
             where store_id = ${scope.storeId} and livemode = ${scope.livemode}
               and occurred_at >= ${today.toISOString()} and occurred_at < ${tomorrow.toISOString()}
               and type in ('page_viewed', 'order_completed')`,
      );
      const before = { from: dayOf(monthStart), to: dayOf(new Date(today.getTime() - DAY_MS)) };
      const pastSales = await db
        .select({
          currency: analyticsDailySales.currency,
          orders: sql<number>`sum(${analyticsDailySales.orders})::int`,
          revenue: sql<number>`sum(${analyticsDailySales.revenue})::bigint`,
        })
        .from(analyticsDailySales)
        .where(
          and(
            eq(analyticsDailySales.storeId, scope.storeId),
            eq(analyticsDailySales.livemode, scope.livemode),
            between(analyticsDailySales.day, before.from, before.to),
          ),
        )
        .groupBy(analyticsDailySales.currency);
      const [past] = await db
        .select({
          viewed: sql<number>`coalesce(sum(${analyticsDaily.sessions}) filter (where ${analyticsDaily.type} = 'page_viewed'), 0)::int`,
          ordered: sql<number>`coalesce(sum(${analyticsDaily.sessions}) filter (where ${analyticsDaily.type} = 'order_completed'), 0)::int`,
        })
        .from(analyticsDaily)
        .where(
          and(
            eq(analyticsDaily.storeId, scope.storeId),
            eq(analyticsDaily.livemode, scope.livemode),
            isNull(analyticsDaily.productId),
            between(analyticsDaily.day, before.from, before.to),
            inArray(analyticsDaily.type, ['page_viewed', 'order_completed']),
          ),
        );
      const window = (
        from: Date,
        sales: { currency: string; orders: number; revenue: number }[][],
        n: number[],
      ) => {
        const byCurrency = new Map<string, { orders: number; revenue: number }>();
        for (const s of sales.flat()) {
          const t = byCurrency.get(s.currency) ?? { orders: 0, revenue: 0 };
          t.orders += Number(s.orders);
          t.revenue += Number(s.revenue);
          byCurrency.set(s.currency, t);
        }
        const [viewed, ordered] = n as [number, number];
        return {
          from: dayOf(from),
          sales: [...byCurrency].map(([currency, t]) => ({
            currency,
            orders: t.orders,
            revenue: t.revenue,
            average_order_value: aov(t.revenue, t.orders),
          })),
          sessions: viewed,
          converted_sessions: ordered,
          conversion_rate: rate(ordered, viewed),
        };
      };
      const liveViewed = Number(live?.viewed ?? 0);
      const liveOrdered = Number(live?.ordered ?? 0);
      return {
        object: 'overview_report',
        generated_at: now.toISOString(),
        today: window(today, [liveSales], [liveViewed, liveOrdered]),
        last_30_days: window(
          monthStart,
          [liveSales, pastSales],
          [liveViewed + Number(past?.viewed ?? 0), liveOrdered + Number(past?.ordered ?? 0)],
        ),
      } as Record<string, unknown>;
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
