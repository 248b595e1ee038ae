import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
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

export interface ProductOption {
  name: string;
  values: string[];
}
export interface ProductImage {
  id: string;
  url: string;
  alt: string | null;
}

export const product = pgTable(
  'product',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: ['draft', 'active', 'archived'] })
      .notNull()
      .default('draft'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    images: jsonb('images').$type<ProductImage[]>().notNull().default([]),
    options: jsonb('options').$type<ProductOption[]>().notNull().default([]),
    /** Cheapest and dearest variant price, kept by the service for sorting and price filters. */
    priceMin: bigint('price_min', { mode: 'number' }).notNull().default(0),
    priceMax: bigint('price_max', { mode: 'number' }).notNull().default(0),
    /**
     * Search facets, kept by triggers on `variant` (migration `search_facets`) in the transaction that writes
     * the variants or moves their stock across zero: every option value of the variants as `name␟value`
     * (U+001F between), and whether any variant is sellable now. Search counts and filters on these instead of
     * reading every matching product's variants and stock.
     */
    facetOptions: text('facet_options').array().notNull().default(sql`'{}'::text[]`),
    inStock: boolean('in_stock').notNull().default(false),
    /**
     * The collections the product is in, in id order: a search facet kept by triggers on `collection_product`
     * (migration `product_collection_ids`), so that search counts collections from the matching product rows.
     */
    collectionIds: text('collection_ids').array().notNull().default(sql`'{}'::text[]`),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('product_store_slug_uq').on(t.storeId, t.slug),
    index('product_store_status_id_idx').on(t.storeId, t.status, t.id),
    // Secret-key lists page through every status in id order.
    index('product_store_id_idx').on(t.storeId, t.id),
    index('product_facet_options_idx').using('gin', t.facetOptions),
  ],
);

export const variant = pgTable(
  'variant',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    productId: text('product_id')
      .notNull()
      .references(() => product.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull(),
    title: text('title').notNull(),
    optionValues: jsonb('option_values').$type<Record<string, string>>().notNull().default({}),
    price: bigint('price', { mode: 'number' }).notNull(),
    compareAtPrice: bigint('compare_at_price', { mode: 'number' }),
    weightGrams: integer('weight_grams').notNull().default(0),
    trackInventory: boolean('track_inventory').notNull().default(true),
    allowBackorder: boolean('allow_backorder').notNull().default(false),
    position: integer('position').notNull().default(0),
    /**
     * Whether list pages and search results last saw this variant in stock (null: not yet known). A stock
     * change compares it with the new availability so only a crossing of zero retires those pages.
     */
    listedInStock: boolean('listed_in_stock'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('variant_store_sku_uq').on(t.storeId, t.sku),
    index('variant_product_idx').on(t.productId),
  ],
);

export const collection = pgTable(
  'collection',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('collection_store_slug_uq').on(t.storeId, t.slug)],
);

export const collectionProduct = pgTable(
  'collection_product',
  {
    collectionId: text('collection_id')
      .notNull()
      .references(() => collection.id, { onDelete: 'cascade' }),
    productId: text('product_id')
      .notNull()
      .references(() => product.id, { onDelete: 'cascade' }),
    storeId: text('store_id').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.collectionId, t.productId] }),
    index('collection_product_product_idx').on(t.productId),
    // A collection's products page in merchant order.
    index('collection_product_order_idx').on(t.collectionId, t.position, t.productId),
  ],
);

/**
 * The change feed that keeps every process's catalog cache fresh: each catalog write appends a row
 * in its own transaction; processes poll `seq > last` (or hear it on Redis pub/sub).
 */
export const catalogChange = pgTable(
  'catalog_change',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    storeId: text('store_id').notNull(),
    entity: text('entity', {
      enum: ['product', 'collection', 'store', 'inventory', 'availability'],
    }).notNull(),
    entityId: text('entity_id').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('catalog_change_created_idx').on(t.createdAt)],
);

/**
 * Who changed what in the catalog, kept for the dashboard's history (the change feed above is pruned, events
 * last 30 days). `entity_id` is the product (or collection) the change is about; `subject_id` the variant of a
 * variant change. `actor` is `staff:<id>`, `key:<id>` or `system`.
 */
export const catalogHistory = pgTable(
  'catalog_history',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    storeId: text('store_id').notNull(),
    entity: text('entity', { enum: ['product', 'collection'] }).notNull(),
    entityId: text('entity_id').notNull(),
    action: text('action').notNull(),
    subjectId: text('subject_id'),
    actor: text('actor').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  // GET /v1/products/{id}/history: one product's entries, newest first.
  (t) => [index('catalog_history_entity_idx').on(t.storeId, t.entityId, t.seq)],
);

export type CatalogHistoryRow = typeof catalogHistory.$inferSelect;
