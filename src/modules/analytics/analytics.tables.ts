import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';
import { FUNNEL_EVENT_TYPES } from './analytics.rules.ts';

/**
 * Funnel events as shoppers' browsers sent them: append-only (never updated), one multi-row insert per batch.
 * Product, variant and order ids are what the client said, kept without foreign keys: an event outlives the
 * product it names, and a wrong id must not refuse the batch. Reports read by store and day, then by type or
 * product (the daily rollups are built from these indexes).
 */
export const analyticsEvent = pgTable(
  'analytics_event',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    /** The mode of the key that sent the batch: test traffic never counts in live reports. */
    livemode: boolean('livemode').notNull(),
    sessionId: text('session_id').notNull(),
    type: text('type', { enum: FUNNEL_EVENT_TYPES }).notNull(),
    occurredAt: ts('occurred_at').notNull(),
    receivedAt: ts('received_at').notNull(),
    productId: text('product_id'),
    variantId: text('variant_id'),
    orderId: text('order_id'),
    quantity: integer('quantity'),
    /** Minor units of `currency`. */
    value: bigint('value', { mode: 'number' }),
    currency: text('currency'),
    path: text('path'),
  },
  (t) => [
    index('analytics_event_store_day_idx').on(t.storeId, t.livemode, t.occurredAt),
    index('analytics_event_store_type_day_idx').on(t.storeId, t.livemode, t.type, t.occurredAt),
    index('analytics_event_store_product_day_idx')
      .on(t.storeId, t.livemode, t.productId, t.occurredAt)
      .where(sql`${t.productId} is not null`),
  ],
);

export type AnalyticsEventRow = typeof analyticsEvent.$inferSelect;
export type NewAnalyticsEvent = typeof analyticsEvent.$inferInsert;

/**
 * Daily rollups of funnel events, rebuilt whole per (store, day) by the `analytics.rollup` task. A row with
 * `product_id` null counts the whole store; a product's row counts events naming it and, for
 * `checkout_started` / `order_completed`, the sessions that had added it that day. `sessions` is distinct
 * sessions within the day (a session spanning midnight counts on both days).
 */
export const analyticsDaily = pgTable(
  'analytics_daily',
  {
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    livemode: boolean('livemode').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    productId: text('product_id'),
    type: text('type', { enum: FUNNEL_EVENT_TYPES }).notNull(),
    events: integer('events').notNull(),
    sessions: integer('sessions').notNull(),
  },
  (t) => [
    // One row per key: a double-counting recomputation could not commit.
    uniqueIndex('analytics_daily_key_uq').on(
      t.storeId,
      t.livemode,
      t.day,
      t.type,
      sql`coalesce(${t.productId}, '')`,
    ),
    // The funnel of the store (product_id is null) or of one product over a range of days: the key above has
    // the product last, so without this a store's funnel would read every product's rows of those days.
    index('analytics_daily_product_day_idx').on(t.storeId, t.livemode, t.productId, t.day),
  ],
);

/** Paid orders and revenue per (store, mode, day, currency), from the orders module, rebuilt with the day. */
export const analyticsDailySales = pgTable(
  'analytics_daily_sales',
  {
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    livemode: boolean('livemode').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    currency: text('currency').notNull(),
    orders: integer('orders').notNull(),
    revenue: bigint('revenue', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.livemode, t.day, t.currency] })],
);

/**
 * One row per (store, day) rolled up: when it was last computed. Recomputing a day first upserts this row,
 * which holds its lock until commit, so two workers recomputing the same day run one after the other.
 */
export const analyticsRollupDay = pgTable(
  'analytics_rollup_day',
  {
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    computedAt: ts('computed_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.day] })],
);

/** Searches that found nothing, as the search module reports them: append-only, kept 90 days. */
export const searchMiss = pgTable(
  'search_miss',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    livemode: boolean('livemode').notNull(),
    /** Lower-cased and trimmed, so "Mug " and "mug" count together. */
    term: text('term').notNull(),
    occurredAt: ts('occurred_at').notNull(),
  },
  (t) => [index('search_miss_store_time_idx').on(t.storeId, t.livemode, t.occurredAt)],
);
