/**
 * Search: `GET /v1/products/search`, a read model over the catalog and inventory tables.
 *
 * Ranking: a weighted tsvector per product (title A, tags B, description C; 'english' configuration)
 * kept by a trigger, GIN-indexed, ranked with ts_rank. Typo tolerance: every word of the store's
 * products sits in `search_term` (kept by a second trigger) under a trigram index; a query word whose
 * lexeme no product uses is replaced by its most similar known words (OR), words are ANDed, and the
 * last word also matches as a prefix while it is being typed.
 *
 * Mount its routes before the catalog's: `/v1/products/search` must not be taken for a product slug.
 */
import type { MiddlewareHandler } from 'hono';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { searchRoutes } from './search.routes.ts';
import { createSearchService, type StorePageCache } from './search.service.ts';

export type {
  ProductSummary,
  SearchFacets,
  SearchParams,
  SearchResult,
  SearchService,
  SearchSort,
  StorePageCache,
} from './search.service.ts';

export interface SearchDeps {
  db: Executor;
  auth: { any: readonly MiddlewareHandler<AppEnv>[] };
  metrics?: Metrics;
  /**
   * Memoises a rendered result per store until the store's catalog or stock changes (the catalog's page
   * cache, injected from the composition root), and the vocabulary lookups of their words. Used for
   * publishable-key searches only.
   */
  pageCache?: StorePageCache;
  /** Told of every query that matched nothing (storefront searches: once per cached render). */
  onZeroResults?: (miss: { storeId: string; livemode: boolean; term: string }) => void;
}

export function createSearchModule(deps: SearchDeps) {
  const service = createSearchService({
    db: deps.db,
    metrics: deps.metrics,
    pageCache: deps.pageCache,
    onZeroResults: deps.onZeroResults,
  });
  return {
    routes: searchRoutes({ service, any: deps.auth.any, pageCache: deps.pageCache, metrics: deps.metrics }),
    service,
  };
}
