import { AppError } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/db.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/pagination.ts';
import type { CachedBody, CachedProduct, CatalogCache, UrlPageKind } from './catalog.cache.ts';
import * as repo from './catalog.repo.ts';
import { etagOf } from './catalog.rules.ts';
import {
  type AvailabilityReader,
  type ListPage,
  type ProductJson,
  type Stock,
  serializeProduct,
  serializeVariant,
  type VariantForSale,
  type VariantJson,
} from './catalog.serializers.ts';

/** Listing id cursors must hold one string id with the list's prefix. */
export function idCursor(list: string, cursor: string | undefined, prefix: string): string | undefined {
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

/** A rendered page with the page generation it belongs to (what `rememberUrl` checks). */
export interface StorePage extends CachedBody {
  epoch: number;
}

/** Where a page was asked for: the request's path and query, to answer the same request before the router. */
export interface PageUrl {
  url: string;
  kind: UrlPageKind;
}

/** Renders products and variants with their availability and the store's currency (cached per store). */
export function createRenderer(deps: { cache: CatalogCache; availability: AvailabilityReader }) {
  const { cache } = deps;

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
    return renderLoaded(tx, storeId, products, variants);
  }

  /** `render` for products whose variants the caller already read. */
  async function renderLoaded(
    tx: Executor,
    storeId: string,
    products: repo.ProductRow[],
    variants: repo.VariantRow[],
  ): Promise<ProductJson[]> {
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

  return { currencyOf, render, renderLoaded, renderOne, stockOf };
}

export type Renderer = ReturnType<typeof createRenderer>;

/**
 * The storefront read model: rendered products, list pages and any other page of a store (search results),
 * served from the in-process cache and filled from the database on a miss.
 */
export function createStorefrontReadModel(deps: { db: Executor; cache: CatalogCache; renderer: Renderer }) {
  const { db, cache } = deps;
  const { currencyOf, render, renderLoaded, renderOne, stockOf } = deps.renderer;
  const rendering = new Map<string, Promise<StorePage>>();

  async function findProduct(tx: Executor, storeId: string, idOrSlug: string) {
    return idOrSlug.startsWith('prod_')
      ? repo.findProductById(tx, storeId, idOrSlug)
      : repo.findProductBySlug(tx, storeId, idOrSlug);
  }

  /** Loads, renders and caches one product (any status); undefined when the store has no such product. */
  async function loadProductEntry(storeId: string, idOrSlug: string): Promise<CachedProduct | undefined> {
    const epoch = cache.epoch(storeId);
    // Two round trips: the product with its variants, then their stock (levels and holds side by side).
    const found = await repo.findProductWithVariants(
      db,
      storeId,
      idOrSlug.startsWith('prod_') ? { id: idOrSlug } : { slug: idOrSlug },
    );
    if (!found) return undefined;
    const p = found.product;
    const body = JSON.stringify((await renderLoaded(db, storeId, [p], found.variants))[0]!);
    const entry: CachedProduct = {
      storeId,
      id: p.id,
      slug: p.slug,
      active: p.status === 'active',
      body,
      etag: etagOf(body),
      bytes: Buffer.from(body),
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

  /** The page served for `at.url` is answered from memory next time (catalog.fast-path.ts). */
  function rememberUrl(storeId: string, page: StorePage, at: PageUrl | undefined): void {
    if (!at) return;
    const { body, etag, bytes } = page;
    cache.putUrlPage(storeId, at.url, { body, etag, bytes, kind: at.kind }, page.epoch);
  }

  /**
   * Memoises any rendered storefront page of a store (list pages, search results) until a change retires
   * the store's pages; concurrent misses for one key share a single render. With `at`, the page is also
   * remembered under the request's URL.
   */
  async function storePage(
    storeId: string,
    parts: string,
    render: () => Promise<unknown>,
    at?: PageUrl,
  ): Promise<StorePage & { hit: boolean }> {
    const epoch = cache.pageEpoch(storeId);
    const key = cache.pageKey(storeId, parts);
    const hit = cache.page(key);
    if (hit) {
      const page = { ...hit, epoch };
      rememberUrl(storeId, page, at);
      return { ...page, hit: true };
    }
    let job = rendering.get(key);
    if (!job) {
      job = (async () => {
        const body = JSON.stringify(await render());
        const entry = { body, etag: etagOf(body), bytes: Buffer.from(body) };
        cache.putPage(storeId, key, entry, epoch);
        return { ...entry, epoch };
      })().finally(() => rendering.delete(key));
      rendering.set(key, job);
    }
    const page = await job;
    rememberUrl(storeId, page, at);
    return { ...page, hit: false };
  }

  return {
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

    /** The publishable list page, rendered once and cached per (store, query) until the store's pages retire. */
    listActiveProductsCached(
      args: { storeId: string; limit: number; cursor?: string },
      at?: PageUrl,
    ): Promise<StorePage> {
      const { storeId, limit, cursor } = args;
      return storePage(
        storeId,
        `p\n${limit}\n${cursor ?? ''}`,
        () => listProductsPage({ storeId, limit, cursor, status: 'active' }),
        at,
      );
    },

    storePage,

    /** A page key lookup without a database round trip (the route's hot path). */
    cachedPage(storeId: string, parts: string): StorePage | undefined {
      const epoch = cache.pageEpoch(storeId);
      const hit = cache.page(cache.pageKey(storeId, parts));
      return hit && { ...hit, epoch };
    },

    rememberUrl,

    /** A page by the exact path and query of a request, from memory only (the fast path). */
    cachedUrlPage(storeId: string, url: string) {
      return cache.urlPage(storeId, url);
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

    /**
     * The variants of a cart for the cart routes: from memory, the missing ones in one query. Kept fresh by
     * the change feed (at once on this process, within a poll or a Redis message on the others), so a cart
     * may show a price changed elsewhere a moment late. Checkout reads them fresh (`loadVariantsForSale`).
     */
    async cachedVariantsForSale(storeId: string, variantIds: string[]): Promise<Map<string, VariantForSale>> {
      const out = new Map<string, VariantForSale>();
      const missing: string[] = [];
      for (const id of new Set(variantIds)) {
        const hit = cache.variantForSale(storeId, id);
        if (hit) out.set(id, hit);
        else missing.push(id);
      }
      if (missing.length === 0) return out;
      const epoch = cache.variantEpoch(storeId);
      const loaded = await loadVariantsForSale(db, storeId, missing);
      cache.putVariantsForSale(storeId, loaded.values(), epoch);
      for (const [id, v] of loaded) out.set(id, v);
      return out;
    },

    /** Everything the money path needs about the variants of a cart, in one query. */
    async loadVariantsForSale(
      executor: Executor,
      storeId: string,
      variantIds: string[],
    ): Promise<Map<string, VariantForSale>> {
      return loadVariantsForSale(executor, storeId, variantIds);
    },
  };
}

export type StorefrontReadModel = ReturnType<typeof createStorefrontReadModel>;

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
