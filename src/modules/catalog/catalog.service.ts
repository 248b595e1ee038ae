import { AppError } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { createBulkProductWrites } from './catalog.bulk.ts';
import type { CatalogCache, CatalogChange } from './catalog.cache.ts';
import { createCollections } from './catalog.collections.ts';
import { createProductWrites } from './catalog.product-writes.ts';
import { createRenderer, createStorefrontReadModel } from './catalog.read-model.ts';
import * as repo from './catalog.repo.ts';
import type { AvailabilityReader, StockStateQuery } from './catalog.serializers.ts';
import { createCatalogWrite } from './catalog.writes.ts';

export type { CollectionInput, CollectionPatch } from './catalog.collections.ts';
export type { ProductInput, ProductPatch, VariantInput, VariantPatch } from './catalog.product-writes.ts';
export { loadVariantsForSale } from './catalog.read-model.ts';
export type {
  AvailabilityReader,
  CollectionJson,
  ListPage,
  ProductJson,
  StockStateQuery,
  VariantForSale,
  VariantJson,
} from './catalog.serializers.ts';
export { serializeCollection, serializeProduct, serializeVariant } from './catalog.serializers.ts';

/**
 * Catalog use cases, in three parts over one renderer: the storefront read model (catalog.read-model.ts),
 * product and variant writes (catalog.product-writes.ts) and collections (catalog.collections.ts). Every
 * write runs in one transaction that also appends to `catalog_change` (catalog.writes.ts).
 */
export function createCatalogService(deps: {
  db: Executor;
  ids: IdGenerator;
  cache: CatalogCache;
  committed: (changes: CatalogChange[]) => void;
  availability: AvailabilityReader;
  stockState: StockStateQuery;
}) {
  const renderer = createRenderer({ cache: deps.cache, availability: deps.availability });
  const write = createCatalogWrite({ db: deps.db, committed: deps.committed });
  const reads = createStorefrontReadModel({ db: deps.db, cache: deps.cache, renderer });
  return {
    ...reads,
    ...createProductWrites({
      ids: deps.ids,
      write,
      renderer,
      stockState: deps.stockState,
      committed: deps.committed,
    }),
    ...createCollections({ db: deps.db, ids: deps.ids, write, renderer, storePage: reads.storePage }),
    /** Who changed a product (and its variants), newest first: `catalog_history`. */
    async productHistory(args: {
      storeId: string;
      productId: string;
      beforeSeq: number | null;
      limit: number;
    }) {
      if (!(await repo.findProductById(deps.db, args.storeId, args.productId))) {
        const rows = await repo.listHistory(deps.db, {
          ...args,
          entityId: args.productId,
          beforeSeq: null,
          limit: 0,
        });
        // A deleted product keeps its history; one that never existed is a 404.
        if (rows.length === 0) {
          throw new AppError('PRODUCT_NOT_FOUND', `No product ${args.productId}.`, { param: 'id' });
        }
      }
      return repo.listHistory(deps.db, { ...args, entityId: args.productId });
    },
    ...createBulkProductWrites({ ids: deps.ids, write, currencyOf: renderer.currencyOf }),
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

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
