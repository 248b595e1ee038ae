import { AppError } from '../../shared/app-error.ts';
import { type Executor, inTransaction, pgConstraint, pgErrorCode } from '../../shared/db.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/pagination.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { CachedBody, CachedProduct, CatalogCache, CatalogChange } from './catalog.cache.ts';
import * as repo from './catalog.repo.ts';
import {
  assertOptions,
  assertOptionValues,
  assertVariantSet,
  etagOf,
  isUsableSlug,
  nextFreeSlug,
  slugify,
  variantTitle,
} from './catalog.rules.ts';
import type { ProductImage, ProductOption } from './catalog.tables.ts';

// ---------------------------------------------------------------- inputs

export interface VariantInput {
  sku: string;
  price: number;
  compare_at_price?: number | null;
  option_values?: Record<string, string>;
  weight_grams?: number;
  track_inventory?: boolean;
  allow_backorder?: boolean;
  title?: string;
}

export interface ProductInput {
  title: string;
  slug?: string;
  description?: string;
  status?: repo.ProductRow['status'];
  tags?: string[];
  metadata?: Record<string, string>;
  images?: { url: string; alt?: string | null }[];
  options?: ProductOption[];
  variants?: VariantInput[];
  collection_ids?: string[];
}

export type ProductPatch = Partial<Omit<ProductInput, 'variants' | 'collection_ids'>>;
export type VariantPatch = Partial<VariantInput>;

export interface CollectionInput {
  title: string;
  slug?: string;
  description?: string;
  metadata?: Record<string, string>;
  product_ids?: string[];
}
export type CollectionPatch = Partial<Omit<CollectionInput, 'product_ids'>>;

// ---------------------------------------------------------------- outputs

type Stock = Map<string, { available: number | null; inStock: boolean }>;

/**
 * The catalog's port for what each variant can sell now (the inventory module's `getAvailability`, passed in
 * by src/app.ts so the two modules do not import each other).
 */
export type AvailabilityReader = (
  db: Executor,
  storeId: string,
  variantIds: string[],
  options: { policies: Map<string, { trackInventory: boolean; allowBackorder: boolean }> },
) => Promise<Stock>;

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

// ---------------------------------------------------------------- helpers

const isPrice = (n: number) => Number.isSafeInteger(n) && n >= 0;

function mapUniqueViolation(e: unknown, params: { slug?: string; sku?: string }): never {
  if (pgErrorCode(e) === '23505') {
    const c = pgConstraint(e) ?? '';
    if (c.includes('sku')) {
      throw new AppError('SKU_TAKEN', 'Another variant of the store already uses this SKU.', {
        param: params.sku ?? 'sku',
      });
    }
    if (c.includes('slug')) {
      throw new AppError('SLUG_TAKEN', 'Another product or collection of the store already uses this slug.', {
        param: params.slug ?? 'slug',
      });
    }
  }
  throw e;
}

function requireVersion(version: number | undefined): number {
  if (version === undefined) {
    throw new AppError('VALIDATION_FAILED', 'version is required (send it in the body or as If-Match).', {
      param: 'version',
    });
  }
  return version;
}

function assertSlug(slug: string, param = 'slug') {
  if (!isUsableSlug(slug)) {
    throw new AppError('VALIDATION_FAILED', `${param}: "${slug}" is reserved or not of the form [a-z0-9-].`, {
      param,
    });
  }
}

function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

/** Listing id cursors must hold one string id with the list's prefix. */
function idCursor(list: string, cursor: string | undefined, prefix: string): string | undefined {
  const v = decodeCursor(list, cursor, 1);
  if (v === null) return undefined;
  const id = v[0];
  if (typeof id !== 'string' || !id.startsWith(prefix)) {
    throw new AppError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.', {
      param: 'cursor',
    });
  }
  return id;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

// ---------------------------------------------------------------- service

/**
 * Catalog use cases. Every write runs in one transaction that also appends to `catalog_change`;
 * after commit `committed` invalidates this process's cache and tells the others.
 */
export function createCatalogService(deps: {
  db: Executor;
  ids: IdGenerator;
  cache: CatalogCache;
  committed: (changes: CatalogChange[]) => void;
  availability: AvailabilityReader;
}) {
  const rendering = new Map<string, Promise<CachedBody>>();
  const { db, ids, cache } = deps;

  async function write<T>(fn: (tx: Executor, changes: CatalogChange[]) => Promise<T>): Promise<T> {
    let changes: CatalogChange[] = [];
    const result = await inTransaction(db, async (tx) => {
      changes = [];
      const r = await fn(tx, changes);
      const seqs = await repo.insertChanges(tx, changes);
      changes.forEach((c, i) => {
        c.seq = seqs[i];
      });
      return r;
    });
    deps.committed(changes);
    return result;
  }

  async function currencyOf(tx: Executor, storeId: string): Promise<string> {
    const cached = cache.currency(storeId);
    if (cached) return cached;
    const c = (await repo.storeCurrency(tx, storeId)) ?? 'USD';
    cache.putCurrency(storeId, c);
    return c;
  }

  async function render(tx: Executor, storeId: string, products: repo.ProductRow[]): Promise<ProductJson[]> {
    if (products.length === 0) return [];
    const variants = await repo.variantsOf(
      tx,
      storeId,
      products.map((p) => p.id),
    );
    const [stock, currency] = await Promise.all([stockOf(tx, storeId, variants), currencyOf(tx, storeId)]);
    const byProduct = new Map<string, repo.VariantRow[]>();
    for (const v of variants) {
      const list = byProduct.get(v.productId);
      if (list) list.push(v);
      else byProduct.set(v.productId, [v]);
    }
    return products.map((p) => serializeProduct(p, byProduct.get(p.id) ?? [], stock, currency));
  }

  /** Availability from the inventory module, with the stock policies we already hold. */
  function stockOf(tx: Executor, storeId: string, variants: repo.VariantRow[]): Promise<Stock> {
    if (variants.length === 0) return Promise.resolve(new Map());
    return deps.availability(
      tx,
      storeId,
      variants.map((v) => v.id),
      {
        policies: new Map(
          variants.map((v) => [v.id, { trackInventory: v.trackInventory, allowBackorder: v.allowBackorder }]),
        ),
      },
    );
  }

  async function renderOne(tx: Executor, storeId: string, p: repo.ProductRow): Promise<ProductJson> {
    return (await render(tx, storeId, [p]))[0]!;
  }

  async function findProduct(tx: Executor, storeId: string, idOrSlug: string) {
    return idOrSlug.startsWith('prod_')
      ? repo.findProductById(tx, storeId, idOrSlug)
      : repo.findProductBySlug(tx, storeId, idOrSlug);
  }

  async function lockProduct(tx: Executor, storeId: string, id: string, expectedVersion?: number) {
    const p = await repo.updateProductIfVersion(tx, { storeId, id, expectedVersion, patch: {} });
    if (p) return p;
    return notFoundOrConflict(tx, storeId, id, expectedVersion);
  }

  async function notFoundOrConflict(
    tx: Executor,
    storeId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<never> {
    const current = await repo.findProductById(tx, storeId, id);
    if (!current) throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}.`, { param: 'id' });
    throw new AppError(
      'VERSION_CONFLICT',
      `The product is at version ${current.version}, not ${expectedVersion}; re-read it and retry.`,
      { param: 'version', extra: { current_version: current.version } },
    );
  }

  async function freeSlug(tx: Executor, table: 'product' | 'collection', storeId: string, title: string) {
    const base = slugify(title);
    return nextFreeSlug(base, await repo.slugsLike(tx, table, storeId, base));
  }

  function variantRow(
    storeId: string,
    productId: string,
    options: ProductOption[],
    v: VariantInput,
    position: number,
  ): repo.VariantInsert {
    const optionValues = v.option_values ?? {};
    return {
      id: ids('variant'),
      storeId,
      productId,
      sku: v.sku,
      title: v.title ?? variantTitle(options, optionValues),
      optionValues,
      price: v.price,
      compareAtPrice: v.compare_at_price ?? null,
      weightGrams: v.weight_grams ?? 0,
      trackInventory: v.track_inventory ?? true,
      allowBackorder: v.allow_backorder ?? false,
      position,
    };
  }

  function images(input: { url: string; alt?: string | null }[]): ProductImage[] {
    return input.map((i) => ({ id: ids('image'), url: i.url, alt: i.alt ?? null }));
  }

  async function assertCollectionsExist(
    tx: Executor,
    storeId: string,
    collectionIds: string[],
    param: string,
  ) {
    const found = await repo.existingCollectionIds(tx, storeId, collectionIds);
    collectionIds.forEach((id, i) => {
      if (!found.has(id))
        throw new AppError('COLLECTION_NOT_FOUND', `No collection ${id}.`, { param: `${param}.${i}` });
    });
  }

  async function assertProductsExist(tx: Executor, storeId: string, productIds: string[], param: string) {
    const found = await repo.existingProductIds(tx, storeId, productIds);
    productIds.forEach((id, i) => {
      if (!found.has(id))
        throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}.`, { param: `${param}.${i}` });
    });
  }

  async function loadVariantProduct(tx: Executor, storeId: string, variantId: string) {
    const v = await repo.findVariant(tx, storeId, { id: variantId });
    if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
    return v;
  }

  /** Loads, renders and caches one product (any status); undefined when the store has no such product. */
  async function loadProductEntry(storeId: string, idOrSlug: string): Promise<CachedProduct | undefined> {
    const epoch = cache.epoch(storeId);
    const p = await findProduct(db, storeId, idOrSlug);
    if (!p) return undefined;
    const body = JSON.stringify(await renderOne(db, storeId, p));
    const entry: CachedProduct = {
      storeId,
      id: p.id,
      slug: p.slug,
      active: p.status === 'active',
      body,
      etag: etagOf(body),
    };
    cache.putProduct(entry, epoch);
    return entry;
  }

  async function listProductsPage(args: {
    storeId: string;
    status?: repo.ProductRow['status'];
    limit: number;
    cursor?: string;
  }): Promise<ListPage<ProductJson>> {
    const afterId = idCursor('products', args.cursor, 'prod_');
    const found = await repo.listProducts(db, {
      storeId: args.storeId,
      status: args.status,
      afterId,
      limit: args.limit + 1,
    });
    const hasMore = found.length > args.limit;
    const page = hasMore ? found.slice(0, args.limit) : found;
    const data = await render(db, args.storeId, page);
    const last = page[page.length - 1];
    return {
      object: 'list',
      data,
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor('products', [last.id]) : null,
    };
  }

  async function collectionWithProducts(args: {
    storeId: string;
    idOrSlug: string;
    activeOnly: boolean;
    limit: number;
    cursor?: string;
  }) {
    const c = await repo.findCollection(
      db,
      args.storeId,
      args.idOrSlug.startsWith('coll_') ? { id: args.idOrSlug } : { slug: args.idOrSlug },
    );
    if (!c) throw new AppError('COLLECTION_NOT_FOUND', `No collection ${args.idOrSlug}.`, { param: 'id' });
    const v = decodeCursor(`collection:${c.id}`, args.cursor, 2);
    let after: { position: number; productId: string } | undefined;
    if (v) {
      const [position, productId] = v;
      if (typeof position !== 'number' || !Number.isInteger(position) || typeof productId !== 'string') {
        throw new AppError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.', {
          param: 'cursor',
        });
      }
      after = { position, productId };
    }
    const found = await repo.collectionProductsPage(db, {
      storeId: args.storeId,
      collectionId: c.id,
      activeOnly: args.activeOnly,
      after,
      limit: args.limit + 1,
    });
    const hasMore = found.length > args.limit;
    const page = hasMore ? found.slice(0, args.limit) : found;
    const data = await render(
      db,
      args.storeId,
      page.map((x) => x.product),
    );
    const last = page[page.length - 1];
    return {
      ...serializeCollection(c),
      products: {
        object: 'list' as const,
        data,
        has_more: hasMore,
        next_cursor:
          hasMore && last ? encodeCursor(`collection:${c.id}`, [last.position, last.product.id]) : null,
      },
    };
  }

  return {
    // ------------------------------------------------------------ storefront and admin reads

    loadProductEntry,

    /** The cached rendering of a product, from memory only (the storefront hot path). */
    cachedProduct(storeId: string, idOrSlug: string): CachedProduct | undefined {
      return cache.product(storeId, idOrSlug);
    },

    /** A product for a secret key: always from the database, any status. */
    async getProduct(storeId: string, idOrSlug: string): Promise<ProductJson> {
      const p = await findProduct(db, storeId, idOrSlug);
      if (!p) throw new AppError('PRODUCT_NOT_FOUND', `No product ${idOrSlug}.`, { param: 'id' });
      return renderOne(db, storeId, p);
    },

    listProducts: listProductsPage,

    /** The publishable list page, rendered once and cached per (store, query) until the store changes. */
    async listActiveProductsCached(args: {
      storeId: string;
      limit: number;
      cursor?: string;
    }): Promise<CachedBody> {
      const epoch = cache.epoch(args.storeId);
      const key = cache.pageKey(args.storeId, `p\n${args.limit}\n${args.cursor ?? ''}`);
      const hit = cache.page(key);
      if (hit) return hit;
      const page = await listProductsPage({ ...args, status: 'active' });
      const body = JSON.stringify(page);
      const entry = { body, etag: etagOf(body) };
      cache.putPage(args.storeId, key, entry, epoch);
      return entry;
    },

    collectionWithProducts,

    async collectionWithProductsCached(args: {
      storeId: string;
      idOrSlug: string;
      limit: number;
      cursor?: string;
    }): Promise<CachedBody> {
      const epoch = cache.epoch(args.storeId);
      const key = cache.pageKey(args.storeId, `c\n${args.idOrSlug}\n${args.limit}\n${args.cursor ?? ''}`);
      const hit = cache.page(key);
      if (hit) return hit;
      const body = JSON.stringify(await collectionWithProducts({ ...args, activeOnly: true }));
      const entry = { body, etag: etagOf(body) };
      cache.putPage(args.storeId, key, entry, epoch);
      return entry;
    },

    /**
     * Memoises any rendered storefront page of a store (search results, for one) until that store's catalog
     * or stock changes; concurrent misses for one key share a single render.
     */
    async storePage(storeId: string, parts: string, render: () => Promise<unknown>): Promise<CachedBody> {
      const key = cache.pageKey(storeId, parts);
      const hit = cache.page(key);
      if (hit) return hit;
      const pending = rendering.get(key);
      if (pending) return pending;
      const epoch = cache.epoch(storeId);
      const job = (async () => {
        const body = JSON.stringify(await render());
        const entry = { body, etag: etagOf(body) };
        cache.putPage(storeId, key, entry, epoch);
        return entry;
      })().finally(() => rendering.delete(key));
      rendering.set(key, job);
      return job;
    },

    /** A page key lookup without a database round trip (the route's hot path). */
    cachedPage(storeId: string, parts: string): CachedBody | undefined {
      return cache.page(cache.pageKey(storeId, parts));
    },

    async listCollectionsCached(args: {
      storeId: string;
      limit: number;
      cursor?: string;
    }): Promise<CachedBody> {
      const epoch = cache.epoch(args.storeId);
      const key = cache.pageKey(args.storeId, `l\n${args.limit}\n${args.cursor ?? ''}`);
      const hit = cache.page(key);
      if (hit) return hit;
      const body = JSON.stringify(await this.listCollections(args));
      const entry = { body, etag: etagOf(body) };
      cache.putPage(args.storeId, key, entry, epoch);
      return entry;
    },

    async listCollections(args: {
      storeId: string;
      limit: number;
      cursor?: string;
    }): Promise<ListPage<CollectionJson>> {
      const afterId = idCursor('collections', args.cursor, 'coll_');
      const found = await repo.listCollections(db, { storeId: args.storeId, afterId, limit: args.limit + 1 });
      const hasMore = found.length > args.limit;
      const page = hasMore ? found.slice(0, args.limit) : found;
      const last = page[page.length - 1];
      return {
        object: 'list',
        data: page.map(serializeCollection),
        has_more: hasMore,
        next_cursor: hasMore && last ? encodeCursor('collections', [last.id]) : null,
      };
    },

    async getVariant(
      storeId: string,
      by: { id: string } | { sku: string },
      opts: { activeOnly: boolean },
    ): Promise<VariantJson> {
      const v = await repo.findVariant(db, storeId, by);
      const what = 'id' in by ? by.id : `with SKU ${by.sku}`;
      if (!v)
        throw new AppError('VARIANT_NOT_FOUND', `No variant ${what}.`, { param: 'id' in by ? 'id' : 'sku' });
      if (opts.activeOnly) {
        const p = await repo.findProductById(db, storeId, v.productId);
        if (p?.status !== 'active') {
          throw new AppError('VARIANT_NOT_FOUND', `No variant ${what}.`, {
            param: 'id' in by ? 'id' : 'sku',
          });
        }
      }
      const stock = await stockOf(db, storeId, [v]);
      return serializeVariant(v, stock.get(v.id), await currencyOf(db, storeId));
    },

    /** Everything the money path needs about the variants of a cart, in one query. */
    async loadVariantsForSale(
      executor: Executor,
      storeId: string,
      variantIds: string[],
    ): Promise<Map<string, VariantForSale>> {
      return loadVariantsForSale(executor, storeId, variantIds);
    },

    // ------------------------------------------------------------ product writes

    async createProduct(storeId: string, input: ProductInput): Promise<ProductJson> {
      const options = input.options ?? [];
      assertOptions(options);
      const variants = input.variants ?? [];
      assertVariantSet(
        options,
        variants.map((v) => ({ sku: v.sku, optionValues: v.option_values ?? {} })),
      );
      if (input.slug !== undefined) assertSlug(input.slug);
      try {
        return await write(async (tx, changes) => {
          const id = ids('product');
          const slug = input.slug ?? (await freeSlug(tx, 'product', storeId, input.title));
          const prices = variants.map((v) => v.price).filter(isPrice);
          const p = await repo.insertProduct(tx, {
            id,
            storeId,
            title: input.title,
            slug,
            description: input.description ?? '',
            status: input.status ?? 'draft',
            tags: normaliseTags(input.tags ?? []),
            metadata: input.metadata ?? {},
            images: images(input.images ?? []),
            options,
            priceMin: prices.length ? Math.min(...prices) : 0,
            priceMax: prices.length ? Math.max(...prices) : 0,
          });
          await repo.insertVariants(
            tx,
            variants.map((v, i) => variantRow(storeId, id, options, v, i)),
          );
          if (input.collection_ids?.length) {
            const collectionIds = [...new Set(input.collection_ids)];
            await assertCollectionsExist(tx, storeId, collectionIds, 'collection_ids');
            await repo.appendToCollections(tx, { storeId, productId: id, collectionIds });
            for (const c of collectionIds) changes.push({ storeId, entity: 'collection', entityId: c });
          }
          changes.push({ storeId, entity: 'product', entityId: id });
          return renderOne(tx, storeId, p);
        });
      } catch (e) {
        mapUniqueViolation(e, { slug: 'slug', sku: 'variants' });
      }
    },

    async updateProduct(storeId: string, id: string, version: number | undefined, patch: ProductPatch) {
      const expectedVersion = requireVersion(version);
      if (patch.options) assertOptions(patch.options);
      if (patch.slug !== undefined) assertSlug(patch.slug);
      try {
        return await write(async (tx, changes) => {
          const p = await repo.updateProductIfVersion(tx, {
            storeId,
            id,
            expectedVersion,
            patch: {
              title: patch.title,
              slug: patch.slug,
              description: patch.description,
              status: patch.status,
              tags: patch.tags ? normaliseTags(patch.tags) : undefined,
              metadata: patch.metadata,
              images: patch.images ? images(patch.images) : undefined,
              options: patch.options,
            },
          });
          if (!p) return notFoundOrConflict(tx, storeId, id, expectedVersion);
          if (patch.options) {
            // Existing variants must still fit the new options; the row lock above keeps them still.
            const variants = await repo.variantsOf(tx, storeId, [id]);
            assertVariantSet(
              p.options,
              variants.map((v) => ({ sku: v.sku, optionValues: v.optionValues })),
              'options',
            );
          }
          changes.push({ storeId, entity: 'product', entityId: id });
          return renderOne(tx, storeId, p);
        });
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async deleteProduct(storeId: string, id: string, version?: number) {
      return write(async (tx, changes) => {
        const p = await repo.deleteProduct(tx, { storeId, id, expectedVersion: version });
        if (!p) return notFoundOrConflict(tx, storeId, id, version);
        changes.push({ storeId, entity: 'product', entityId: id });
        return { id, object: 'product' as const, deleted: true as const };
      });
    },

    // ------------------------------------------------------------ variant writes

    async createVariant(storeId: string, productId: string, input: VariantInput, version?: number) {
      try {
        return await write(async (tx, changes) => {
          const p = await lockProduct(tx, storeId, productId, version);
          assertOptionValues(p.options, input.option_values ?? {});
          const existing = await repo.variantsOf(tx, storeId, [productId]);
          assertVariantSet(p.options, [
            ...existing.map((v) => ({ sku: v.sku, optionValues: v.optionValues })),
            { sku: input.sku, optionValues: input.option_values ?? {} },
          ]);
          const position = await repo.nextVariantPosition(tx, productId);
          const [v] = await repo.insertVariants(tx, [
            variantRow(storeId, productId, p.options, input, position),
          ]);
          await repo.refreshPriceRange(tx, storeId, productId);
          changes.push({ storeId, entity: 'product', entityId: productId });
          const stock = await stockOf(tx, storeId, [v!]);
          return serializeVariant(v!, stock.get(v!.id), await currencyOf(tx, storeId));
        });
      } catch (e) {
        if (
          e instanceof AppError &&
          e.code === 'INVALID_OPTION_VALUES' &&
          e.details.param?.startsWith('variants.')
        ) {
          throw new AppError(e.code, e.message, { param: 'option_values' });
        }
        if (e instanceof AppError && e.code === 'SKU_TAKEN') {
          throw new AppError(e.code, 'Another variant of the store already uses this SKU.', { param: 'sku' });
        }
        mapUniqueViolation(e, { sku: 'sku' });
      }
    },

    async updateVariant(storeId: string, variantId: string, patch: VariantPatch, version?: number) {
      try {
        return await write(async (tx, changes) => {
          const current = await loadVariantProduct(tx, storeId, variantId);
          const p = await lockProduct(tx, storeId, current.productId, version);
          const v0 = (await repo.findVariant(tx, storeId, { id: variantId })) ?? current;
          const optionValues = patch.option_values ?? v0.optionValues;
          if (patch.option_values) {
            assertOptionValues(p.options, optionValues);
            const siblings = (await repo.variantsOf(tx, storeId, [p.id])).filter((s) => s.id !== variantId);
            const key = JSON.stringify(assertOptionValues(p.options, optionValues));
            if (siblings.some((s) => JSON.stringify(assertOptionValues(p.options, s.optionValues)) === key)) {
              throw new AppError(
                'INVALID_OPTION_VALUES',
                'Another variant of the product has these option values.',
                {
                  param: 'option_values',
                },
              );
            }
          }
          if (patch.price !== undefined && !isPrice(patch.price)) {
            throw new AppError('VALIDATION_FAILED', 'price must be a non-negative integer.', {
              param: 'price',
            });
          }
          const v = await repo.updateVariant(tx, {
            storeId,
            id: variantId,
            patch: {
              sku: patch.sku,
              title: patch.title ?? (patch.option_values ? variantTitle(p.options, optionValues) : undefined),
              optionValues: patch.option_values,
              price: patch.price,
              compareAtPrice: patch.compare_at_price,
              weightGrams: patch.weight_grams,
              trackInventory: patch.track_inventory,
              allowBackorder: patch.allow_backorder,
            },
          });
          if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
          await repo.refreshPriceRange(tx, storeId, p.id);
          changes.push({ storeId, entity: 'product', entityId: p.id });
          const stock = await stockOf(tx, storeId, [v]);
          return serializeVariant(v, stock.get(v.id), await currencyOf(tx, storeId));
        });
      } catch (e) {
        mapUniqueViolation(e, { sku: 'sku' });
      }
    },

    async deleteVariant(storeId: string, variantId: string, version?: number) {
      return write(async (tx, changes) => {
        const current = await loadVariantProduct(tx, storeId, variantId);
        await lockProduct(tx, storeId, current.productId, version);
        const v = await repo.deleteVariant(tx, storeId, variantId);
        if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
        await repo.refreshPriceRange(tx, storeId, current.productId);
        changes.push({ storeId, entity: 'product', entityId: current.productId });
        return { id: variantId, object: 'variant' as const, deleted: true as const };
      });
    },

    // ------------------------------------------------------------ collection writes

    async createCollection(storeId: string, input: CollectionInput): Promise<CollectionJson> {
      if (input.slug !== undefined) assertSlug(input.slug);
      try {
        return await write(async (tx, changes) => {
          const id = ids('collection');
          const slug = input.slug ?? (await freeSlug(tx, 'collection', storeId, input.title));
          const c = await repo.insertCollection(tx, {
            id,
            storeId,
            title: input.title,
            slug,
            description: input.description ?? '',
            metadata: input.metadata ?? {},
          });
          if (input.product_ids?.length) {
            const productIds = [...new Set(input.product_ids)];
            await assertProductsExist(tx, storeId, productIds, 'product_ids');
            await repo.replaceCollectionProducts(tx, { storeId, collectionId: id, productIds });
          }
          changes.push({ storeId, entity: 'collection', entityId: id });
          return serializeCollection(c);
        });
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async updateCollection(storeId: string, id: string, version: number | undefined, patch: CollectionPatch) {
      const expectedVersion = requireVersion(version);
      if (patch.slug !== undefined) assertSlug(patch.slug);
      try {
        return await write(async (tx, changes) => {
          const c = await repo.updateCollectionIfVersion(tx, { storeId, id, expectedVersion, patch });
          if (!c) return collectionNotFoundOrConflict(tx, storeId, id, expectedVersion);
          changes.push({ storeId, entity: 'collection', entityId: id });
          return serializeCollection(c);
        });
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async deleteCollection(storeId: string, id: string, version?: number) {
      return write(async (tx, changes) => {
        const c = await repo.deleteCollection(tx, { storeId, id, expectedVersion: version });
        if (!c) return collectionNotFoundOrConflict(tx, storeId, id, version);
        changes.push({ storeId, entity: 'collection', entityId: id });
        return { id, object: 'collection' as const, deleted: true as const };
      });
    },

    async setCollectionProducts(storeId: string, id: string, productIds: string[], version?: number) {
      const seen = new Set<string>();
      productIds.forEach((p, i) => {
        if (seen.has(p)) {
          throw new AppError('VALIDATION_FAILED', `product_ids lists ${p} twice.`, {
            param: `product_ids.${i}`,
          });
        }
        seen.add(p);
      });
      try {
        return await write(async (tx, changes) => {
          const c = await repo.updateCollectionIfVersion(tx, {
            storeId,
            id,
            expectedVersion: version,
            patch: {},
          });
          if (!c) return collectionNotFoundOrConflict(tx, storeId, id, version);
          await assertProductsExist(tx, storeId, productIds, 'product_ids');
          await repo.replaceCollectionProducts(tx, { storeId, collectionId: id, productIds });
          changes.push({ storeId, entity: 'collection', entityId: id });
          return serializeCollection(c);
        });
      } catch (e) {
        // A product deleted between the check and the insert.
        if (pgErrorCode(e) === '23503') {
          throw new AppError('PRODUCT_NOT_FOUND', 'A product of product_ids no longer exists.', {
            param: 'product_ids',
          });
        }
        throw e;
      }
    },
  };

  async function collectionNotFoundOrConflict(
    tx: Executor,
    storeId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<never> {
    const current = await repo.findCollection(tx, storeId, { id });
    if (!current) throw new AppError('COLLECTION_NOT_FOUND', `No collection ${id}.`, { param: 'id' });
    throw new AppError(
      'VERSION_CONFLICT',
      `The collection is at version ${current.version}, not ${expectedVersion}; re-read it and retry.`,
      { param: 'version', extra: { current_version: current.version } },
    );
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>;

/** One query: the variants with their product's title, slug and status, scoped to the store. */
export async function loadVariantsForSale(
  db: Executor,
  storeId: string,
  variantIds: string[],
): Promise<Map<string, VariantForSale>> {
  const out = new Map<string, VariantForSale>();
  const unique = [...new Set(variantIds)];
  if (unique.length === 0) return out;
  for (const r of await repo.variantsForSale(db, storeId, unique)) {
    const { productStatus, ...rest } = r;
    out.set(r.variantId, { ...rest, purchasable: productStatus === 'active' });
  }
  return out;
}

/**
 * Appends the change rows that keep every process's catalog cache fresh. Call it inside the
 * transaction of the write, so the change commits (or not) with it.
 */
export async function recordCatalogChange(
  tx: Executor,
  change: { storeId: string; entity: repo.CatalogEntity; entityId: string },
): Promise<number> {
  const [seq] = await repo.insertChanges(tx, [change]);
  return seq!;
}
