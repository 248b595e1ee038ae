import type { SQL } from 'drizzle-orm';
import type { Executor } from '../../shared/db.ts';
import type * as repo from './catalog.repo.ts';

/** Variant availability as the inventory module reports it, by variant id. */
export type Stock = Map<string, { available: number | null; inStock: boolean }>;

/**
 * The catalog's port for what each variant can sell now (the inventory module's `getAvailability`, passed in
 * by src/app.ts so the two modules do not import each other). `withoutHolds` leaves soft holds out.
 */
export type AvailabilityReader = (
  db: Executor,
  storeId: string,
  variantIds: string[],
  options: {
    policies: Map<string, { trackInventory: boolean; allowBackorder: boolean }>;
    withoutHolds?: boolean;
  },
) => Promise<Stock>;

/**
 * The catalog's port for the variants' in-stock state as SQL (the inventory module's `stockStateQuery`): a
 * relation `(variant_id, in_stock)`, holds left out, that the catalog embeds in its stock-change statement so
 * the new stock is read, compared and recorded in one round trip.
 */
export type StockStateQuery = (storeId: string, variantIds: string[]) => SQL;

export function serializeVariant(
  v: repo.VariantRow,
  stock: { available: number | null; inStock: boolean } | undefined,
  currency: string,
) {
  return {
    id: v.id,
    object: 'variant' as const,
    product_id: v.productId,
    sku: v.sku,
    title: v.title,
    option_values: v.optionValues,
    price: v.price,
    compare_at_price: v.compareAtPrice,
    currency,
    weight_grams: v.weightGrams,
    track_inventory: v.trackInventory,
    allow_backorder: v.allowBackorder,
    position: v.position,
    availability: stock
      ? { in_stock: stock.inStock, available: stock.available }
      : { in_stock: !v.trackInventory || v.allowBackorder, available: v.trackInventory ? 0 : null },
    created_at: v.createdAt.toISOString(),
    updated_at: v.updatedAt.toISOString(),
  };
}

export function serializeProduct(
  p: repo.ProductRow,
  variants: repo.VariantRow[],
  stock: Stock,
  currency: string,
) {
  return {
    id: p.id,
    object: 'product' as const,
    title: p.title,
    slug: p.slug,
    description: p.description,
    status: p.status,
    tags: p.tags,
    metadata: p.metadata,
    images: p.images,
    options: p.options,
    variants: variants.map((v) => serializeVariant(v, stock.get(v.id), currency)),
    price_range: variants.length
      ? { min: p.priceMin, max: p.priceMax, currency }
      : { min: null, max: null, currency },
    version: p.version,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export function serializeCollection(c: repo.CollectionRow) {
  return {
    id: c.id,
    object: 'collection' as const,
    title: c.title,
    slug: c.slug,
    description: c.description,
    metadata: c.metadata,
    version: c.version,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export type ProductJson = ReturnType<typeof serializeProduct>;
export type VariantJson = ReturnType<typeof serializeVariant>;
export type CollectionJson = ReturnType<typeof serializeCollection>;

export interface VariantForSale {
  variantId: string;
  productId: string;
  productTitle: string;
  productSlug: string;
  sku: string;
  title: string;
  optionValues: Record<string, string>;
  price: number;
  compareAtPrice: number | null;
  weightGrams: number;
  trackInventory: boolean;
  allowBackorder: boolean;
  /** The product is active: the variant may be added to a cart and sold. */
  purchasable: boolean;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
