import { createCart, createOrders } from './cart.ts';
import { createCustomers } from './customers.ts';
import { type CallOptions, createTransport, type Query } from './http.ts';
import { defaultStorage, type StorageLike } from './storage.ts';
import { createTracker } from './track.ts';
import type {
  CollectionList,
  CollectionWithProducts,
  Product,
  ProductList,
  ProductSearchResult,
} from './types.ts';

export type { components, operations, paths } from './api.d.ts';
export type { CheckoutInput, Payment } from './cart.ts';
export type {
  Customer,
  CustomerAddress,
  CustomerAddressInput,
  CustomerAddressUpdate,
  CustomerUpdate,
  Session,
} from './customers.ts';
export { type ApiErrorBody, CrowdstartError } from './errors.ts';
export type { CallOptions } from './http.ts';
export { memoryStorage, type StorageLike } from './storage.ts';
export type { FunnelEventProps, FunnelEventType, Track } from './track.ts';
export type * from './types.ts';

export interface ClientOptions {
  /** The store's publishable key (`pk_test_…` / `pk_live_…`). */
  key: string;
  /** The API's origin; default the page's own origin (`''`). Node needs an absolute URL. */
  baseUrl?: string;
  /** Where the cart token and customer session are kept: `localStorage` in browsers, memory otherwise. */
  storage?: StorageLike;
  /** Prefix of the storage keys (default `crowdstart`). */
  storageKey?: string;
  fetch?: typeof fetch;
  /** Retries of a retry-safe request (default 2). */
  maxRetries?: number;
}

export interface SearchQuery extends CallOptions {
  q?: string;
  collection?: string;
  price_min?: number;
  price_max?: number;
  /** `Name:Value` pairs separated by commas, e.g. `Color:Red,Size:M`. */
  options?: string;
  in_stock?: boolean;
  sort?: 'relevance' | 'price_asc' | 'price_desc' | 'newest';
  limit?: number;
  cursor?: string;
}

const id = (s: string) => encodeURIComponent(s);

/** A client of one store's storefront API (publishable key). */
export function createClient(options: ClientOptions) {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const storage = options.storage ?? defaultStorage();
  const storageKey = options.storageKey ?? 'crowdstart';
  const send = createTransport({
    key: options.key,
    baseUrl,
    fetch: doFetch,
    maxRetries: options.maxRetries ?? 2,
  });
  const get = <T>(path: string, o: CallOptions & { query?: Query } = {}) =>
    send<T>({ method: 'GET', path, query: o.query, signal: o.signal });
  const customers = createCustomers({ send, storage, storageKey });
  const { cart, checkout } = createCart({ send, storage, storageKey, customerHeaders: customers.headers });

  return {
    products: {
      /** Active products in id order, or a collection's products in its order. */
      list(
        q: { limit?: number; cursor?: string; collection?: string } & CallOptions = {},
      ): Promise<ProductList> {
        const { signal, collection, ...query } = q;
        if (!collection) return get('/v1/products', { query, signal });
        return get<CollectionWithProducts>(`/v1/collections/${id(collection)}`, { query, signal }).then(
          (c) => c.products,
        );
      },
      /** By id (`prod_…`) or slug. */
      get(idOrSlug: string, o: CallOptions = {}): Promise<Product> {
        return get(`/v1/products/${id(idOrSlug)}`, o);
      },
    },
    collections: {
      list(q: { limit?: number; cursor?: string } & CallOptions = {}): Promise<CollectionList> {
        const { signal, ...query } = q;
        return get('/v1/collections', { query, signal });
      },
      /** A collection and a page of its products (`limit`, `cursor`). */
      get(
        idOrSlug: string,
        q: { limit?: number; cursor?: string } & CallOptions = {},
      ): Promise<CollectionWithProducts> {
        const { signal, ...query } = q;
        return get(`/v1/collections/${id(idOrSlug)}`, { query, signal });
      },
    },
    search: {
      /** Full-text search with facets; filters as in GET /v1/products/search. */
      query(q: SearchQuery = {}): Promise<ProductSearchResult> {
        const { signal, ...query } = q;
        return get('/v1/products/search', { query, signal });
      },
    },
    cart,
    checkout,
    orders: createOrders(send),
    customers,
    track: createTracker({ key: options.key, baseUrl, fetch: doFetch, storage, storageKey }),
  };
}

export type Client = ReturnType<typeof createClient>;
