import { and, asc, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../../shared/db.ts';
import { isAnyOf, prepared, slot } from '../../shared/prepared.ts';
import {
  type CatalogHistoryRow,
  catalogChange,
  catalogHistory,
  collection,
  collectionProduct,
  product,
  variant,
} from './catalog.tables.ts';

export type ProductRow = typeof product.$inferSelect;
export type VariantRow = typeof variant.$inferSelect;
export type VariantInsert = typeof variant.$inferInsert;
export type CollectionRow = typeof collection.$inferSelect;
export type CatalogEntity = (typeof catalogChange.$inferInsert)['entity'];

// ---------------------------------------------------------------- products

export async function insertProduct(tx: Executor, row: typeof product.$inferInsert): Promise<ProductRow> {
  const [r] = await tx.insert(product).values(row).returning();
  return r!;
}

export async function findProductById(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<ProductRow | undefined> {
  const [r] = await tx
    .select()
    .from(product)
    .where(and(eq(product.storeId, storeId), eq(product.id, id)))
    .limit(1);
  return r;
}

export async function findProductBySlug(
  tx: Executor,
  storeId: string,
  slug: string,
): Promise<ProductRow | undefined> {
  const [r] = await tx
    .select()
    .from(product)
    .where(and(eq(product.storeId, storeId), eq(product.slug, slug)))
    .limit(1);
  return r;
}

/** Slugs of the store equal to `base` or of the form `base-…`, to derive a free one. */
export async function slugsLike(
  tx: Executor,
  table: 'product' | 'collection',
  storeId: string,
  base: string,
): Promise<Set<string>> {
  // Slugs hold only [a-z0-9-], so they carry no LIKE wildcards.
  const t = table === 'product' ? product : collection;
  const r = await tx
    .select({ slug: t.slug })
    .from(t)
    .where(and(eq(t.storeId, storeId), or(eq(t.slug, base), sql`${t.slug} like ${`${base}-%`}`)));
  return new Set(r.map((x) => x.slug));
}

/**
 * Bumps the version (and applies `patch`) only if the product is at `expectedVersion` (when given).
 * The row stays locked until the transaction ends, which serialises writers of one product.
 */
export async function updateProductIfVersion(
  tx: Executor,
  args: {
    storeId: string;
    id: string;
    expectedVersion?: number;
    patch: Partial<
      Pick<
        ProductRow,
        'title' | 'slug' | 'description' | 'status' | 'tags' | 'metadata' | 'images' | 'options'
      >
    >;
  },
): Promise<ProductRow | undefined> {
  const conds: SQL[] = [eq(product.storeId, args.storeId), eq(product.id, args.id)];
  if (args.expectedVersion !== undefined) conds.push(eq(product.version, args.expectedVersion));
  const [r] = await tx
    .update(product)
    .set({ ...args.patch, version: sql`${product.version} + 1`, updatedAt: sql`now()` })
    .where(and(...conds))
    .returning();
  return r;
}

export async function refreshPriceRange(tx: Executor, storeId: string, productId: string): Promise<void> {
  await tx.execute(sql`
    update product set
      price_min = coalesce((select min(price) from variant where product_id = ${productId}), 0),
      price_max = coalesce((select max(price) from variant where product_id = ${productId}), 0)
    where id = ${productId} and store_id = ${storeId}`);
}

export async function deleteProduct(
  tx: Executor,
  args: { storeId: string; id: string; expectedVersion?: number },
): Promise<ProductRow | undefined> {
  const conds: SQL[] = [eq(product.storeId, args.storeId), eq(product.id, args.id)];
  if (args.expectedVersion !== undefined) conds.push(eq(product.version, args.expectedVersion));
  const [r] = await tx
    .delete(product)
    .where(and(...conds))
    .returning();
  return r;
}

export async function listProducts(
  tx: Executor,
  args: { storeId: string; status?: ProductRow['status']; afterId?: string; limit: number },
): Promise<ProductRow[]> {
  const conds: SQL[] = [eq(product.storeId, args.storeId)];
  if (args.status) conds.push(eq(product.status, args.status));
  if (args.afterId) conds.push(gt(product.id, args.afterId));
  return tx
    .select()
    .from(product)
    .where(and(...conds))
    .orderBy(asc(product.id))
    .limit(args.limit);
}

export async function existingProductIds(tx: Executor, storeId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const r = await tx
    .select({ id: product.id })
    .from(product)
    .where(and(eq(product.storeId, storeId), inArray(product.id, ids)));
  return new Set(r.map((x) => x.id));
}

// ---------------------------------------------------------------- variants

export async function insertVariants(
  tx: Executor,
  values: (typeof variant.$inferInsert)[],
): Promise<VariantRow[]> {
  if (values.length === 0) return [];
  return tx.insert(variant).values(values).returning();
}

function buildProductWithVariants(db: Executor, by: 'id' | 'slug') {
  return db
    .select({ product, variant })
    .from(product)
    .leftJoin(variant, and(eq(variant.storeId, slot('storeId')), eq(variant.productId, product.id)))
    .where(
      and(
        eq(product.storeId, slot('storeId')),
        by === 'id' ? eq(product.id, slot('key')) : eq(product.slug, slot('key')),
      ),
    )
    .orderBy(asc(variant.position), asc(variant.id));
}
type ProductWithVariantsQuery = ReturnType<typeof buildProductWithVariants>;
/** The storefront's cache misses: prepared, so that a miss does not build the join again. */
const productWithVariants = {
  id: prepared<{ storeId: string; key: string }, ProductWithVariantsQuery>((db) =>
    buildProductWithVariants(db, 'id'),
  ),
  slug: prepared<{ storeId: string; key: string }, ProductWithVariantsQuery>((db) =>
    buildProductWithVariants(db, 'slug'),
  ),
};

/**
 * A product by id or slug with its variants (ordered as `variantsOf` orders them), in one statement: a
 * storefront read that misses the cache pays one round trip for both.
 */
export async function findProductWithVariants(
  tx: Executor,
  storeId: string,
  by: { id: string } | { slug: string },
): Promise<{ product: ProductRow; variants: VariantRow[] } | undefined> {
  const r =
    'id' in by
      ? await productWithVariants.id(tx, { storeId, key: by.id })
      : await productWithVariants.slug(tx, { storeId, key: by.slug });
  const first = r[0];
  if (!first) return undefined;
  return { product: first.product, variants: r.flatMap((x) => (x.variant ? [x.variant] : [])) };
}

export async function variantsOf(tx: Executor, storeId: string, productIds: string[]): Promise<VariantRow[]> {
  if (productIds.length === 0) return [];
  return tx
    .select()
    .from(variant)
    .where(and(eq(variant.storeId, storeId), inArray(variant.productId, productIds)))
    .orderBy(asc(variant.productId), asc(variant.position), asc(variant.id));
}

export async function findVariant(
  tx: Executor,
  storeId: string,
  by: { id: string } | { sku: string },
): Promise<VariantRow | undefined> {
  const [r] = await tx
    .select()
    .from(variant)
    .where(and(eq(variant.storeId, storeId), 'id' in by ? eq(variant.id, by.id) : eq(variant.sku, by.sku)))
    .limit(1);
  return r;
}

export async function nextVariantPosition(tx: Executor, productId: string): Promise<number> {
  const r = await rows<{ n: number }>(
    tx,
    sql`select coalesce(max(position) + 1, 0)::int as n from variant where product_id = ${productId}`,
  );
  return r[0]?.n ?? 0;
}

/** What a variant's writes set: everything but its keys and timestamps. */
export type VariantFields = Pick<
  VariantRow,
  | 'sku'
  | 'title'
  | 'optionValues'
  | 'price'
  | 'compareAtPrice'
  | 'weightGrams'
  | 'trackInventory'
  | 'allowBackorder'
  | 'position'
  | 'listedInStock'
>;

export async function updateVariant(
  tx: Executor,
  args: { storeId: string; id: string; patch: Partial<VariantFields> },
): Promise<VariantRow | undefined> {
  const [r] = await tx
    .update(variant)
    .set({ ...args.patch, updatedAt: sql`now()` })
    .where(and(eq(variant.storeId, args.storeId), eq(variant.id, args.id)))
    .returning();
  return r;
}

export async function deleteVariant(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<VariantRow | undefined> {
  const [r] = await tx
    .delete(variant)
    .where(and(eq(variant.storeId, storeId), eq(variant.id, id)))
    .returning();
  return r;
}

export async function productIdsOfVariants(
  tx: Executor,
  storeId: string,
  variantIds: string[],
): Promise<string[]> {
  if (variantIds.length === 0) return [];
  const r = await tx
    .selectDistinct({ productId: variant.productId })
    .from(variant)
    .where(and(eq(variant.storeId, storeId), inArray(variant.id, variantIds)));
  return r.map((x) => x.productId);
}

/**
 * A stock change in one statement: reads the variants' in-stock state from `stock` (a relation
 * `(variant_id, in_stock)` read with this statement's snapshot, so it must run after the stock changed),
 * flips `listed_in_stock` where it differs, and appends one change per product: `availability` when one of
 * its variants flipped, else `inventory`. Variants of other stores, or gone, are ignored. `also` are the
 * caller's own data-modifying CTEs (`name as (…)`, comma-separated), run by the same statement.
 */
export async function recordStockChanges(
  tx: Executor,
  storeId: string,
  variantIds: string[],
  stock: SQL,
  also?: SQL,
): Promise<ChangeRow[]> {
  if (variantIds.length === 0) return [];
  const ids = sql.join(
    variantIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const changes = await rows<{ seq: number | string; entity: CatalogEntity; entity_id: string }>(
    tx,
    sql`with stock as (${stock}),
       flipped as (
         update ${variant} as v set listed_in_stock = stock.in_stock
           from stock
          where v.store_id = ${storeId} and v.id = stock.variant_id
            and v.listed_in_stock is distinct from stock.in_stock
      returning v.product_id
       ),
       products as (
         select distinct v.product_id from ${variant} v where v.store_id = ${storeId} and v.id in (${ids})
       )${also ? sql`, ${also}` : sql``}
     insert into ${catalogChange} (store_id, entity, entity_id)
     select ${storeId},
            case when p.product_id in (select product_id from flipped) then 'availability' else 'inventory' end,
            p.product_id
       from products p
      order by p.product_id
     returning seq, entity, entity_id`,
  );
  return changes.map((c) => ({ seq: Number(c.seq), storeId, entity: c.entity, entityId: c.entity_id }));
}

export interface VariantForSaleRow {
  variantId: string;
  productId: string;
  productTitle: string;
  productSlug: string;
  productStatus: ProductRow['status'];
  sku: string;
  title: string;
  optionValues: Record<string, string>;
  price: number;
  compareAtPrice: number | null;
  weightGrams: number;
  trackInventory: boolean;
  allowBackorder: boolean;
}

function buildVariantsForSale(db: Executor) {
  return db
    .select({
      variantId: variant.id,
      productId: variant.productId,
      productTitle: product.title,
      productSlug: product.slug,
      productStatus: product.status,
      sku: variant.sku,
      title: variant.title,
      optionValues: variant.optionValues,
      price: variant.price,
      compareAtPrice: variant.compareAtPrice,
      weightGrams: variant.weightGrams,
      trackInventory: variant.trackInventory,
      allowBackorder: variant.allowBackorder,
    })
    .from(variant)
    .innerJoin(product, and(eq(product.id, variant.productId), eq(product.storeId, variant.storeId)))
    .where(and(eq(variant.storeId, slot('storeId')), isAnyOf(variant.id, 'ids')));
}
/** Every checkout reads its variants fresh with it: prepared (the ids are one array parameter). */
const variantsForSaleOf = prepared<
  { storeId: string; ids: string[] },
  ReturnType<typeof buildVariantsForSale>
>((db) => buildVariantsForSale(db));

export async function variantsForSale(
  tx: Executor,
  storeId: string,
  variantIds: string[],
): Promise<VariantForSaleRow[]> {
  if (variantIds.length === 0) return [];
  return variantsForSaleOf(tx, { storeId, ids: variantIds });
}

// ---------------------------------------------------------------- collections

export async function insertCollection(
  tx: Executor,
  row: typeof collection.$inferInsert,
): Promise<CollectionRow> {
  const [r] = await tx.insert(collection).values(row).returning();
  return r!;
}

export async function findCollection(
  tx: Executor,
  storeId: string,
  by: { id: string } | { slug: string },
): Promise<CollectionRow | undefined> {
  const [r] = await tx
    .select()
    .from(collection)
    .where(
      and(
        eq(collection.storeId, storeId),
        'id' in by ? eq(collection.id, by.id) : eq(collection.slug, by.slug),
      ),
    )
    .limit(1);
  return r;
}

export async function listCollections(
  tx: Executor,
  args: { storeId: string; afterId?: string; limit: number },
): Promise<CollectionRow[]> {
  const conds: SQL[] = [eq(collection.storeId, args.storeId)];
  if (args.afterId) conds.push(gt(collection.id, args.afterId));
  return tx
    .select()
    .from(collection)
    .where(and(...conds))
    .orderBy(asc(collection.id))
    .limit(args.limit);
}

export async function updateCollectionIfVersion(
  tx: Executor,
  args: {
    storeId: string;
    id: string;
    expectedVersion?: number;
    patch: Partial<Pick<CollectionRow, 'title' | 'slug' | 'description' | 'metadata'>>;
  },
): Promise<CollectionRow | undefined> {
  const conds: SQL[] = [eq(collection.storeId, args.storeId), eq(collection.id, args.id)];
  if (args.expectedVersion !== undefined) conds.push(eq(collection.version, args.expectedVersion));
  const [r] = await tx
    .update(collection)
    .set({ ...args.patch, version: sql`${collection.version} + 1`, updatedAt: sql`now()` })
    .where(and(...conds))
    .returning();
  return r;
}

export async function deleteCollection(
  tx: Executor,
  args: { storeId: string; id: string; expectedVersion?: number },
): Promise<CollectionRow | undefined> {
  const conds: SQL[] = [eq(collection.storeId, args.storeId), eq(collection.id, args.id)];
  if (args.expectedVersion !== undefined) conds.push(eq(collection.version, args.expectedVersion));
  const [r] = await tx
    .delete(collection)
    .where(and(...conds))
    .returning();
  return r;
}

export async function existingCollectionIds(
  tx: Executor,
  storeId: string,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const r = await tx
    .select({ id: collection.id })
    .from(collection)
    .where(and(eq(collection.storeId, storeId), inArray(collection.id, ids)));
  return new Set(r.map((x) => x.id));
}

export async function replaceCollectionProducts(
  tx: Executor,
  args: { storeId: string; collectionId: string; productIds: string[] },
): Promise<void> {
  await tx.delete(collectionProduct).where(eq(collectionProduct.collectionId, args.collectionId));
  for (let i = 0; i < args.productIds.length; i += 1000) {
    const chunk = args.productIds.slice(i, i + 1000);
    await tx.insert(collectionProduct).values(
      chunk.map((productId, j) => ({
        collectionId: args.collectionId,
        productId,
        storeId: args.storeId,
        position: i + j,
      })),
    );
  }
}

/** Adds a product at the end of each collection (no-op where it already is). */
export async function appendToCollections(
  tx: Executor,
  args: { storeId: string; productId: string; collectionIds: string[] },
): Promise<void> {
  for (const collectionId of args.collectionIds) {
    await tx.execute(sql`
      insert into collection_product (collection_id, product_id, store_id, position)
      select ${collectionId}, ${args.productId}, ${args.storeId}, coalesce(max(position) + 1, 0)
      from collection_product where collection_id = ${collectionId}
      on conflict do nothing`);
  }
}

/** One page of a collection's products in merchant order; `after` is the (position, product id) last seen. */
export async function collectionProductsPage(
  tx: Executor,
  args: {
    storeId: string;
    collectionId: string;
    activeOnly: boolean;
    after?: { position: number; productId: string };
    limit: number;
  },
): Promise<{ position: number; product: ProductRow }[]> {
  const conds: SQL[] = [
    eq(collectionProduct.collectionId, args.collectionId),
    eq(collectionProduct.storeId, args.storeId),
    eq(product.storeId, args.storeId),
  ];
  if (args.activeOnly) conds.push(eq(product.status, 'active'));
  if (args.after) {
    conds.push(
      sql`(${collectionProduct.position}, ${collectionProduct.productId}) > (${args.after.position}, ${args.after.productId})`,
    );
  }
  return tx
    .select({ position: collectionProduct.position, product })
    .from(collectionProduct)
    .innerJoin(product, eq(product.id, collectionProduct.productId))
    .where(and(...conds))
    .orderBy(asc(collectionProduct.position), asc(collectionProduct.productId))
    .limit(args.limit);
}

// ---------------------------------------------------------------- another module's table, read-only

/** The store's currency (the stores module owns the table; a read of one column). */
export async function storeCurrency(tx: Executor, storeId: string): Promise<string | undefined> {
  const r = await rows<{ currency: string }>(tx, sql`select currency from store where id = ${storeId}`);
  return r[0]?.currency;
}

// ---------------------------------------------------------------- multi-row inserts (imports, demo seed)

/**
 * Inserts rows of `table` from one JSON parameter: one statement for a whole chunk, whatever its size. Each
 * record's keys are column names; a column left out of `columns` takes its default.
 */
export async function insertJsonRows(tx: Executor, table: string, columns: string[], records: object[]) {
  if (records.length === 0) return;
  const cols = sql.raw(columns.map((c) => `"${c}"`).join(', '));
  await tx.execute(
    sql`insert into ${sql.raw(`"${table}"`)} (${cols}) select ${cols} from json_populate_recordset(null::${sql.raw(`"${table}"`)}, ${JSON.stringify(records)}::json)`,
  );
}

/** What a new product's multi-row insert writes; facets, stock flag and version take their defaults. */
export type NewProductRow = Pick<
  ProductRow,
  | 'id'
  | 'storeId'
  | 'title'
  | 'slug'
  | 'description'
  | 'status'
  | 'tags'
  | 'metadata'
  | 'images'
  | 'options'
  | 'priceMin'
  | 'priceMax'
>;

/** What a new variant's multi-row insert writes. */
export type NewVariantRow = Pick<VariantRow, 'id' | 'storeId' | 'productId'> & VariantFields;

const productRecord = (p: NewProductRow) => ({
  id: p.id,
  store_id: p.storeId,
  title: p.title,
  slug: p.slug,
  description: p.description,
  status: p.status,
  tags: p.tags,
  metadata: p.metadata,
  images: p.images,
  options: p.options,
  price_min: p.priceMin,
  price_max: p.priceMax,
});

const variantRecord = (v: NewVariantRow) => ({
  id: v.id,
  store_id: v.storeId,
  product_id: v.productId,
  sku: v.sku,
  title: v.title,
  option_values: v.optionValues,
  price: v.price,
  compare_at_price: v.compareAtPrice,
  weight_grams: v.weightGrams,
  track_inventory: v.trackInventory,
  allow_backorder: v.allowBackorder,
  position: v.position,
  listed_in_stock: v.listedInStock,
});

/** Writes records in one statement, stamped `at` when given (else the columns' default, the database's now). */
async function insertStamped(tx: Executor, table: string, records: Record<string, unknown>[], at?: Date) {
  if (records.length === 0) return;
  const columns = Object.keys(records[0]!);
  if (!at) return insertJsonRows(tx, table, columns, records);
  await insertJsonRows(
    tx,
    table,
    [...columns, 'created_at', 'updated_at'],
    records.map((r) => ({ ...r, created_at: at, updated_at: at })),
  );
}

/** New products in one statement (imports, the demo seed). */
export async function insertProductRows(tx: Executor, rows: NewProductRow[], at?: Date) {
  await insertStamped(tx, 'product', rows.map(productRecord), at);
}

/** New variants in one statement (imports, the demo seed). */
export async function insertVariantRows(tx: Executor, rows: NewVariantRow[], at?: Date) {
  await insertStamped(tx, 'variant', rows.map(variantRecord), at);
}

// ---------------------------------------------------------------- change feed

export interface ChangeRow {
  seq: number;
  storeId: string;
  entity: CatalogEntity;
  entityId: string;
}

export async function insertChanges(
  tx: Executor,
  changes: { storeId: string; entity: CatalogEntity; entityId: string }[],
): Promise<number[]> {
  if (changes.length === 0) return [];
  const r = await tx.insert(catalogChange).values(changes).returning({ seq: catalogChange.seq });
  return r.map((x) => Number(x.seq));
}

export async function maxChangeSeq(tx: Executor): Promise<number> {
  const r = await rows<{ seq: number | string | null }>(tx, sql`select max(seq) as seq from catalog_change`);
  return Number(r[0]?.seq ?? 0);
}

/** Changes after `afterSeq`, plus any of `gapSeqs` (sequence numbers skipped earlier that may commit late). */
export async function changesSince(
  tx: Executor,
  afterSeq: number,
  gapSeqs: number[],
  limit: number,
): Promise<ChangeRow[]> {
  const cond =
    gapSeqs.length > 0
      ? or(gt(catalogChange.seq, afterSeq), inArray(catalogChange.seq, gapSeqs))
      : gt(catalogChange.seq, afterSeq);
  const r = await tx
    .select({
      seq: catalogChange.seq,
      storeId: catalogChange.storeId,
      entity: catalogChange.entity,
      entityId: catalogChange.entityId,
    })
    .from(catalogChange)
    .where(cond)
    .orderBy(asc(catalogChange.seq))
    .limit(limit);
  return r.map((x) => ({ ...x, seq: Number(x.seq) }));
}

export async function pruneChanges(tx: Executor, olderThan: Date): Promise<number> {
  const r = await rows<{ n: number }>(
    tx,
    sql`with d as (delete from catalog_change where created_at < ${olderThan.toISOString()} returning 1)
        select count(*)::int as n from d`,
  );
  return r[0]?.n ?? 0;
}

export type HistoryEntry = Omit<typeof catalogHistory.$inferInsert, 'seq' | 'actor' | 'createdAt'>;

export async function insertHistory(tx: Executor, entries: HistoryEntry[], actor: string, at: Date) {
  if (entries.length === 0) return;
  await tx.insert(catalogHistory).values(entries.map((e) => ({ ...e, actor, createdAt: at })));
}

/** One product's (or collection's) history, newest first; reads one past `limit`. */
export async function listHistory(
  db: Executor,
  args: { storeId: string; entityId: string; beforeSeq: number | null; limit: number },
): Promise<CatalogHistoryRow[]> {
  const conditions = [eq(catalogHistory.storeId, args.storeId), eq(catalogHistory.entityId, args.entityId)];
  if (args.beforeSeq !== null) conditions.push(lt(catalogHistory.seq, args.beforeSeq));
  return db
    .select()
    .from(catalogHistory)
    .where(and(...conditions))
    .orderBy(desc(catalogHistory.seq))
    .limit(args.limit + 1);
}
