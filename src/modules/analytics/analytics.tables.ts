import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
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
