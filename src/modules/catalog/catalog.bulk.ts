import type { Executor, Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { appendEvents } from '../events/index.ts';
import * as repo from './catalog.repo.ts';
import { assertOptions, assertVariantSet, priceRange, variantTitle } from './catalog.rules.ts';
import { type ProductJson, type Stock, serializeProduct } from './catalog.serializers.ts';
import type { ProductOption } from './catalog.tables.ts';
import { type CatalogWrite, mapUniqueViolation } from './catalog.writes.ts';

/** A product of a bulk import, already validated by its caller (the bulk module's CSV rules). */
export interface BulkProductInput {
  title: string;
  slug: string;
  description: string;
  status: repo.ProductRow['status'];
  tags: string[];
  metadata: Record<string, string>;
  images: { url: string; alt: string | null }[];
  options: ProductOption[];
  variants: {
    sku: string;
    price: number;
    compare_at_price: number | null;
    option_values: Record<string, string>;
    weight_grams: number;
    track_inventory: boolean;
    allow_backorder: boolean;
    /** The stock to set (a 'set' movement), 0 for none. */
    on_hand: number;
  }[];
}

export interface BulkCreateOptions {
  /** Products per round of multi-row inserts. */
  chunk?: number;
  /** Sets the stock of the new variants in the same transaction (the inventory module's `setStockLevels`). */
  setStock: (tx: Tx, rows: { storeId: string; variantId: string; onHand: number }[]) => Promise<void>;
  /** After each chunk, with the products written so far (awaited: keep it short). */
  onProgress?: (written: number) => Promise<void>;
  /** Who asked (`staff:<id>`, `key:<id>`), for each product's history; `system` when unsaid. */
  actor?: string;
  /** Last, in the same transaction: the caller's own record of the outcome commits with the products. */
  beforeCommit?: (tx: Tx) => Promise<void>;
}

/**
 * Bulk product creation for imports: all products in one transaction (all or none), written in chunks of
 * multi-row inserts, each product announced by `product.created` (both modes) as a single create would be.
 * The change feed gets one `store` change: a bulk load retires the store's cached pages and products at once.
 */
export function createBulkProductWrites(deps: {
  ids: IdGenerator;
  write: CatalogWrite;
  currencyOf: (tx: Executor, storeId: string) => Promise<string>;
}) {
  return {
    async createProductsInBulk(
      storeId: string,
      products: BulkProductInput[],
      options: BulkCreateOptions,
    ): Promise<{ products: number; variants: number }> {
      for (const p of products) {
        assertOptions(p.options);
        assertVariantSet(
          p.options,
          p.variants.map((v) => ({ sku: v.sku, optionValues: v.option_values })),
        );
      }
      const chunk = options.chunk ?? 500;
      try {
        return await deps.write(async (tx, changes) => {
          const currency = await deps.currencyOf(tx, storeId);
          let variantCount = 0;
          for (let start = 0; start < products.length; start += chunk) {
            const now = new Date();
            const productRows: repo.ProductRow[] = [];
            const variantRows: repo.VariantRow[][] = [];
            const stock: { storeId: string; variantId: string; onHand: number }[] = [];
            const stockMap: Stock = new Map();
            for (const p of products.slice(start, start + chunk)) {
              const id = deps.ids('product');
              const { min, max } = priceRange(p.variants.map((v) => v.price));
              productRows.push({
                id,
                storeId,
                title: p.title,
                slug: p.slug,
                description: p.description,
                status: p.status,
                tags: p.tags,
                metadata: p.metadata,
                images: p.images.map((i) => ({ id: deps.ids('image'), url: i.url, alt: i.alt })),
                options: p.options,
                priceMin: min,
                priceMax: max,
                facetOptions: [],
                collectionIds: [],
                inStock: false,
                version: 1,
                createdAt: now,
                updatedAt: now,
              });
              variantRows.push(
                p.variants.map((v, position) => {
                  const variantId = deps.ids('variant');
                  const inStock = !v.track_inventory || v.allow_backorder || v.on_hand > 0;
                  if (v.on_hand > 0) stock.push({ storeId, variantId, onHand: v.on_hand });
                  stockMap.set(variantId, { inStock, available: v.track_inventory ? v.on_hand : null });
                  return {
                    id: variantId,
                    storeId,
                    productId: id,
                    sku: v.sku,
                    title: variantTitle(p.options, v.option_values),
                    optionValues: v.option_values,
                    price: v.price,
                    compareAtPrice: v.compare_at_price,
                    weightGrams: v.weight_grams,
                    trackInventory: v.track_inventory,
                    allowBackorder: v.allow_backorder,
                    position,
                    listedInStock: inStock,
                    createdAt: now,
                    updatedAt: now,
                  };
                }),
              );
            }
            const variants = variantRows.flat();
            variantCount += variants.length;
            await repo.insertProductRows(tx, productRows, now);
            await repo.insertVariantRows(tx, variants, now);
            await options.setStock(tx, stock);
            await appendEvents(
              tx,
              productRows.flatMap((p, i) => {
                const object: ProductJson = serializeProduct(p, variantRows[i]!, stockMap, currency);
                return [false, true].map((livemode) => ({
                  id: deps.ids('event'),
                  storeId,
                  livemode,
                  type: 'product.created' as const,
                  object,
                  createdAt: now,
                }));
              }),
            );
            // Each product's history says who imported it (a chunk at a time: one insert's parameters stay bounded).
            await repo.insertHistory(
              tx,
              productRows.map((p) => ({
                storeId,
                entity: 'product',
                entityId: p.id,
                action: 'product.created',
              })),
              options.actor ?? 'system',
              now,
            );
            await options.onProgress?.(Math.min(products.length, start + chunk));
          }
          changes.push({ storeId, entity: 'store', entityId: storeId });
          await options.beforeCommit?.(tx);
          return { products: products.length, variants: variantCount };
        });
      } catch (e) {
        mapUniqueViolation(e, { slug: 'slug', sku: 'sku' });
      }
    },
  };
}
