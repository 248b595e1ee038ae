import type { SQL } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor, Tx } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { createCatalogCache, createChangeFeed } from './catalog.cache.ts';
import { pruneChanges } from './catalog.repo.ts';
import { catalogRoutes } from './catalog.routes.ts';
import { type AvailabilityReader, createCatalogService, type StockStateQuery } from './catalog.service.ts';

export type { BulkCreateOptions, BulkProductInput } from './catalog.bulk.ts';
export {
  CATALOG_CHANNEL,
  type CatalogChange,
  publishCatalogChanges,
} from './catalog.cache.ts';
export { RESERVED_SLUGS } from './catalog.rules.ts';
export { prng, type SeedOptions, type SeedResult, seedDemoStore } from './catalog.seed.ts';
export {
  type AvailabilityReader,
  type CatalogService,
  loadVariantsForSale,
  type ProductJson,
  recordCatalogChange,
  type StockStateQuery,
  type VariantForSale,
  type VariantJson,
} from './catalog.service.ts';
export { collection, collectionProduct, product, variant } from './catalog.tables.ts';

/** How long `catalog_change` rows are kept: far longer than any process may fall behind its poll. */
const CHANGE_RETENTION_MS = 60 * 60_000;

/**
 * The catalog module: products, variants and collections on one set of REST paths, with an
 * in-process storefront cache kept fresh across processes by the `catalog_change` feed.
 *
 * Routing note: `GET /v1/products/search` belongs to the search module. The catalog's
 * `GET /v1/products/{id}` (an id or a slug) steps aside for the literal segment `search` (its middleware and
 * handler call `next()`), so the search route answers whichever module is mounted first, and
 * `search` is a reserved slug that no product or collection can take.
 */
export { type CatalogFastPath, createCatalogFastPath } from './catalog.fast-path.ts';

export function createCatalogModule(deps: {
  db: Executor;
  config: Config;
  metrics: Metrics;
  redis: Redis | null;
  logger: Logger;
  ids: IdGenerator;
  clock: Clock;
  auth: {
    secret: readonly MiddlewareHandler<AppEnv>[];
    any: readonly MiddlewareHandler<AppEnv>[];
  };
  /** Stock figures for the storefront (the inventory module's `getAvailability`). */
  availability: AvailabilityReader;
  /** The variants' in-stock state as SQL (the inventory module's `stockStateQuery`). */
  stockState: StockStateQuery;
}) {
  const logger = deps.logger.child({ module: 'catalog' });
  const cache = createCatalogCache({ maxEntries: deps.config.CACHE_MAX_ENTRIES });
  const feed = createChangeFeed({
    db: deps.db,
    cache,
    redis: deps.redis,
    logger,
    pollMs: deps.config.CACHE_POLL_MS,
  });
  const service = createCatalogService({
    db: deps.db,
    ids: deps.ids,
    cache,
    committed: (changes) => feed.committed(changes),
    availability: deps.availability,
    stockState: deps.stockState,
  });
  const routes = catalogRoutes({
    service,
    metrics: deps.metrics,
    cacheMaxAgeSeconds: deps.config.CACHE_MAX_AGE_SECONDS,
    auth: deps.auth,
  });
  const tasks: PeriodicTask[] = [
    {
      name: 'catalog.prune_changes',
      everyMs: 5 * 60_000,
      run: () => pruneChanges(deps.db, new Date(deps.clock.now().getTime() - CHANGE_RETENTION_MS)),
    },
  ];
  return {
    routes,
    service,
    tasks,
    /**
     * For the inventory module: in the transaction that changed stock, records a change for each affected
     * product, so every process re-renders its availability (and its pages, when stock crossed zero).
     * `also`: the caller's own data-modifying CTEs (`name as (…)`, comma-separated), sent in the same statement.
     */
    onStockChange: (
      tx: Tx,
      storeId: string,
      variantIds: string[],
      productIds?: string[],
      also?: SQL,
    ): Promise<void> => service.recordStockChange(tx, storeId, variantIds, productIds, also),
    /**
     * For the cart routes: variants for sale from this process's cache (missing ones in one query), dropped
     * when their product or store changes. Not for checkout, which reads them fresh.
     */
    cachedVariantsForSale: (storeId: string, variantIds: string[]) =>
      service.cachedVariantsForSale(storeId, variantIds),
    /** Listens to catalog changes of every process (e.g. to refresh a search index). */
    onChange: feed.onChange,
    /** Polls the change feed once, now. */
    pollChanges: () => feed.poll(),
    cacheStats: () => cache.stats(),
    start: () => feed.start(),
    stop: () => feed.stop(),
  };
}

export type CatalogModule = ReturnType<typeof createCatalogModule>;
