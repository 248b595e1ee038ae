import type { SQL } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import { afterCommit, type Executor, type Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { writeTogether } from '../../shared/write-together.ts';
import { appendEvents } from '../events/index.ts';
import type { CatalogChange } from './catalog.cache.ts';
import type { Renderer } from './catalog.read-model.ts';
import * as repo from './catalog.repo.ts';
import { assertOptions, assertOptionValues, assertVariantSet, variantTitle } from './catalog.rules.ts';
import { type ProductJson, type StockStateQuery, serializeVariant } from './catalog.serializers.ts';
import type { ProductImage, ProductOption } from './catalog.tables.ts';
import {
  assertSlug,
  type CatalogWrite,
  freeSlug,
  isPrice,
  mapUniqueViolation,
  requireVersion,
} from './catalog.writes.ts';

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

function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

/** Product and variant writes, and the change rows a stock change leaves for every process's cache. */
export function createProductWrites(deps: {
  ids: IdGenerator;
  write: CatalogWrite;
  renderer: Renderer;
  stockState: StockStateQuery;
  /** After commit: drop what the changes made stale here and tell the other processes. */
  committed: (changes: CatalogChange[]) => void;
}) {
  const { ids, write } = deps;
  const { currencyOf, renderOne, stockOf } = deps.renderer;

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

  /**
   * The product event, in the same transaction. The catalog is shared by both modes, so the event is written
   * once per mode: test and live keys (and their webhook endpoints) each see it.
   */
  async function publish(
    tx: Tx,
    storeId: string,
    type: 'product.created' | 'product.updated' | 'product.deleted',
    object: ProductJson,
  ): Promise<void> {
    await writeTogether(tx, [
      appendEvents(
        tx,
        [false, true].map((livemode) => ({ id: ids('event'), storeId, livemode, type, object })),
      ),
    ]);
  }

  /** The product as the admin API shows it after a variant write, for `product.updated`. */
  async function publishUpdated(tx: Tx, storeId: string, productId: string): Promise<void> {
    const p = await repo.findProductById(tx, storeId, productId);
    if (p) await publish(tx, storeId, 'product.updated', await renderOne(tx, storeId, p));
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

  async function loadVariantProduct(tx: Executor, storeId: string, variantId: string) {
    const v = await repo.findVariant(tx, storeId, { id: variantId });
    if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
    return v;
  }

  return {
    /**
     * In the transaction that changed stock, after the change: records an `inventory` change for each
     * affected product, or `availability` when a variant crossed zero (in stock ↔ out of stock), which alone
     * retires the store's list pages and search results. Holds are left out: they come and go without notice,
     * and a checkout calls this while its own cart's holds still stand. One statement (repo.recordStockChanges:
     * read the new stock, flip `listed_in_stock`, append the changes), so that a checkout no longer empties
     * every storefront page of the store and pays one round trip for it. The products a caller may pass
     * (`_productIds`) are not needed: the statement reads each variant's row for `listed_in_stock` anyway.
     */
    async recordStockChange(
      tx: Tx,
      storeId: string,
      variantIds: string[],
      _productIds?: string[],
      also?: SQL,
    ): Promise<void> {
      const changes = await repo.recordStockChanges(
        tx,
        storeId,
        variantIds,
        deps.stockState(storeId, variantIds),
        also,
      );
      // Once the stock is visible: this process's pages at once, the others' through Redis (or their poll).
      if (changes.length > 0) afterCommit(tx, () => deps.committed(changes));
    },

    // ------------------------------------------------------------ product writes

    async createProduct(storeId: string, input: ProductInput, actor?: string): Promise<ProductJson> {
      const options = input.options ?? [];
      assertOptions(options);
      const variants = input.variants ?? [];
      assertVariantSet(
        options,
        variants.map((v) => ({ sku: v.sku, optionValues: v.option_values ?? {} })),
      );
      if (input.slug !== undefined) assertSlug(input.slug);
      try {
        return await write(async (tx, changes, history) => {
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
          history.push({ storeId, entity: 'product', entityId: id, action: 'product.created' });
          const json = await renderOne(tx, storeId, p);
          await publish(tx, storeId, 'product.created', json);
          return json;
        }, actor);
      } catch (e) {
        mapUniqueViolation(e, { slug: 'slug', sku: 'variants' });
      }
    },

    async updateProduct(
      storeId: string,
      id: string,
      version: number | undefined,
      patch: ProductPatch,
      actor?: string,
    ) {
      const expectedVersion = requireVersion(version);
      if (patch.options) assertOptions(patch.options);
      if (patch.slug !== undefined) assertSlug(patch.slug);
      try {
        return await write(async (tx, changes, history) => {
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
          history.push({ storeId, entity: 'product', entityId: id, action: 'product.updated' });
          const json = await renderOne(tx, storeId, p);
          await publish(tx, storeId, 'product.updated', json);
          return json;
        }, actor);
      } catch (e) {
        mapUniqueViolation(e, {});
      }
    },

    async deleteProduct(storeId: string, id: string, version?: number, actor?: string) {
      return write(async (tx, changes, history) => {
        // The event carries the product as it was: rendered before the delete (the row lock keeps it still).
        const before = await repo.findProductById(tx, storeId, id);
        const json = before && (await renderOne(tx, storeId, before));
        const p = await repo.deleteProduct(tx, { storeId, id, expectedVersion: version });
        if (!p || !json) return notFoundOrConflict(tx, storeId, id, version);
        await publish(tx, storeId, 'product.deleted', json);
        changes.push({ storeId, entity: 'product', entityId: id });
        history.push({ storeId, entity: 'product', entityId: id, action: 'product.deleted' });
        return { id, object: 'product' as const, deleted: true as const };
      }, actor);
    },

    // ------------------------------------------------------------ variant writes

    async createVariant(
      storeId: string,
      productId: string,
      input: VariantInput,
      version?: number,
      actor?: string,
    ) {
      try {
        return await write(async (tx, changes, history) => {
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
          history.push({
            storeId,
            entity: 'product',
            entityId: productId,
            action: 'variant.created',
            subjectId: v!.id,
          });
          await publishUpdated(tx, storeId, productId);
          const stock = await stockOf(tx, storeId, [v!]);
          return serializeVariant(v!, stock.get(v!.id), await currencyOf(tx, storeId));
        }, actor);
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

    async updateVariant(
      storeId: string,
      variantId: string,
      patch: VariantPatch,
      version?: number,
      actor?: string,
    ) {
      try {
        return await write(async (tx, changes, history) => {
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
              // A new stock policy may move the variant across zero with no stock change: unknown until the next one.
              listedInStock:
                patch.track_inventory !== undefined || patch.allow_backorder !== undefined ? null : undefined,
            },
          });
          if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
          await repo.refreshPriceRange(tx, storeId, p.id);
          changes.push({ storeId, entity: 'product', entityId: p.id });
          history.push({
            storeId,
            entity: 'product',
            entityId: p.id,
            action: 'variant.updated',
            subjectId: variantId,
          });
          await publishUpdated(tx, storeId, p.id);
          const stock = await stockOf(tx, storeId, [v]);
          return serializeVariant(v, stock.get(v.id), await currencyOf(tx, storeId));
        }, actor);
      } catch (e) {
        mapUniqueViolation(e, { sku: 'sku' });
      }
    },

    async deleteVariant(storeId: string, variantId: string, version?: number, actor?: string) {
      return write(async (tx, changes, history) => {
        const current = await loadVariantProduct(tx, storeId, variantId);
        await lockProduct(tx, storeId, current.productId, version);
        const v = await repo.deleteVariant(tx, storeId, variantId);
        if (!v) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId}.`, { param: 'id' });
        await repo.refreshPriceRange(tx, storeId, current.productId);
        changes.push({ storeId, entity: 'product', entityId: current.productId });
        history.push({
          storeId,
          entity: 'product',
          entityId: current.productId,
          action: 'variant.deleted',
          subjectId: variantId,
        });
        await publishUpdated(tx, storeId, current.productId);
        return { id: variantId, object: 'variant' as const, deleted: true as const };
      }, actor);
    },
  };
}
