import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

export interface WeightBand {
  upToGrams: number;
  amount: number;
}

/** Order-level discounts, redeemed at checkout; `used_count` only moves through conditional updates. */
export const coupon = pgTable(
  'coupon',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    kind: text('kind', { enum: ['percent', 'fixed', 'free_shipping'] }).notNull(),
    /** Percent (1..100) for `percent`, minor units for `fixed`, 0 for `free_shipping`. */
    value: bigint('value', { mode: 'number' }).notNull().default(0),
    minSubtotal: bigint('min_subtotal', { mode: 'number' }).notNull().default(0),
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    usageLimit: integer('usage_limit'),
    usedCount: integer('used_count').notNull().default(0),
    active: boolean('active').notNull().default(true),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // Shoppers type codes in any case: SUMMER10 and summer10 are the same coupon.
    uniqueIndex('coupon_store_code_uq').on(t.storeId, sql`lower(${t.code})`),
    check('coupon_used_count_nonneg', sql`${t.usedCount} >= 0`),
  ],
);

/** One row per order that used a coupon: makes redemption idempotent per order and undoable. */
export const couponRedemption = pgTable(
  'coupon_redemption',
  {
    couponId: text('coupon_id')
      .notNull()
      .references(() => coupon.id, { onDelete: 'cascade' }),
    orderId: text('order_id').notNull(),
    storeId: text('store_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.couponId, t.orderId] }),
    index('coupon_redemption_store_order_idx').on(t.storeId, t.orderId),
  ],
);

export const taxRate = pgTable(
  'tax_rate',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    /** ISO 3166-1 alpha-2, upper case. */
    country: text('country').notNull(),
    /** Subdivision code (upper case), or null for the whole country. */
    region: text('region'),
    /** Basis points: 2000 = 20%. */
    rate: integer('rate').notNull(),
    name: text('name').notNull(),
    appliesToShipping: boolean('applies_to_shipping').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('tax_rate_store_place_uq').on(t.storeId, t.country, sql`coalesce(${t.region}, '')`)],
);

export const shippingRate = pgTable(
  'shipping_rate',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** ISO 3166-1 alpha-2 codes, or ['*'] for the rest of the world. */
    countries: jsonb('countries').$type<string[]>().notNull(),
    kind: text('kind', { enum: ['flat', 'weight'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull().default(0),
    /** Ascending by upToGrams; used when kind = 'weight'. */
    weightBands: jsonb('weight_bands').$type<WeightBand[]>().notNull().default([]),
    freeAbove: bigint('free_above', { mode: 'number' }),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('shipping_rate_store_idx').on(t.storeId, t.id)],
);
