import { AppError } from '../../shared/app-error.ts';
import { type Executor, pgErrorCode } from '../../shared/db.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/pagination.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { CachedBody } from './catalog.cache.ts';
import { idCursor, type Renderer, type StorefrontReadModel } from './catalog.read-model.ts';
import * as repo from './catalog.repo.ts';
import { type CollectionJson, type ListPage, serializeCollection } from './catalog.serializers.ts';
import {
  assertSlug,
  type CatalogWrite,
  freeSlug,
  mapUniqueViolation,
  requireVersion,
} from './catalog.writes.ts';

export interface CollectionInput {
  title: string;
  slug?: string;
  description?: string;
  metadata?: Record<string, string>;
  product_ids?: string[];
}
export type CollectionPatch = Partial<Omit<CollectionInput, 'product_ids'>>;

/** A product's history entry for a collection change that concerns it. */
const collectedIn = (storeId: string, productId: string, collectionId: string, action: string) => ({
  storeId,
  entity: 'product' as const,
  entityId: productId,
  action,
  subjectId: collectionId,
});

/** Collections: ordered sets of products, their storefront pages and their writes. */
export function createCollections(deps: {
  db: Executor;
  ids: IdGenerator;
  write: CatalogWrite;
  renderer: Renderer;
  storePage: StorefrontReadModel['storePage'];
}) {
  const { db, ids, write, storePage } = deps;
  const { render } = deps.renderer;

  async function assertProductsExist(tx: Executor, storeId: string, productIds: string[], param: string) {
    const found = await repo.existingProductIds(tx, storeId, productIds);
    productIds.forEach((id, i) => {
      if (!found.has(id))
        throw new AppError('PRODUCT_NOT_FOUND', `No product ${id}.`, { param: `${param}.${i}` });
    });
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

  async function listCollections(args: {
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
  }

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

  return {
    collectionWithProducts,

    collectionWithProductsCached(args: {
      storeId: string;
      idOrSlug: string;
      limit: number;
      cursor?: string;
    }): Promise<CachedBody> {
      return storePage(args.storeId, `c\n${args.idOrSlug}\n${args.limit}\n${args.cursor ?? ''}`, () =>
        collectionWithProducts({ ...args, activeOnly: true }),
      );
    },

    listCollections,

    listCollectionsCached(args: { storeId: string; limit: number; cursor?: string }): Promise<CachedBody> {
      return storePage(args.storeId, `l\n${args.limit}\n${args.cursor ?? ''}`, () => listCollections(args));
    },

    async createCollection(storeId: string, input: CollectionInput, actor?: string): Promise<CollectionJson> {
      if (input.slug !== undefined) assertSlug(input.slug);
      try {
        return await write(async (tx, changes, history) => {
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
            for (const p of productIds) history.push(collectedIn(storeId, p, id, 'collection.product_added'));
          }
          changes.push({ storeId, entity: 'collection', entityId: id });
          history.push({ storeId, entity: 'collection', entityId: id, action: 'collection.created' });
          return serializeCollection(c);
        }, actor);
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async updateCollection(
      storeId: string,
      id: string,
      version: number | undefined,
      patch: CollectionPatch,
      actor?: string,
    ) {
      const expectedVersion = requireVersion(version);
      if (patch.slug !== undefined) assertSlug(patch.slug);
      try {
        return await write(async (tx, changes, history) => {
          const c = await repo.updateCollectionIfVersion(tx, { storeId, id, expectedVersion, patch });
          if (!c) return collectionNotFoundOrConflict(tx, storeId, id, expectedVersion);
          changes.push({ storeId, entity: 'collection', entityId: id });
          history.push({ storeId, entity: 'collection', entityId: id, action: 'collection.updated' });
          return serializeCollection(c);
        }, actor);
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async deleteCollection(storeId: string, id: string, version?: number, actor?: string) {
      return write(async (tx, changes, history) => {
        const c = await repo.deleteCollection(tx, { storeId, id, expectedVersion: version });
        if (!c) return collectionNotFoundOrConflict(tx, storeId, id, version);
        changes.push({ storeId, entity: 'collection', entityId: id });
        history.push({ storeId, entity: 'collection', entityId: id, action: 'collection.deleted' });
        return { id, object: 'collection' as const, deleted: true as const };
      }, actor);
    },

    async setCollectionProducts(
      storeId: string,
      id: string,
      productIds: string[],
      version?: number,
      actor?: string,
    ) {
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
        return await write(async (tx, changes, history) => {
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
          history.push({ storeId, entity: 'collection', entityId: id, action: 'collection.products_set' });
          return serializeCollection(c);
        }, actor);
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
}
