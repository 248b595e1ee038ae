import { describe, expect, it } from 'vitest';
import { type CachedProduct, createCatalogCache } from './catalog.cache.ts';
import type { VariantForSale } from './catalog.serializers.ts';

const store = 'store_a';
const product = (id: string, slug: string): CachedProduct => ({
  storeId: store,
  id,
  slug,
  active: true,
  body: '{}',
  etag: '"e"',
});

function warm() {
  const cache = createCatalogCache({ maxEntries: 1000 });
  cache.putProduct(product('prod_1', 'kettle'), cache.epoch(store));
  cache.putProduct(product('prod_2', 'mug'), cache.epoch(store));
  const key = cache.pageKey(store, 'p\n20\n');
  cache.putPage(store, key, { body: '[]', etag: '"p"' }, cache.pageEpoch(store));
  cache.putPage('store_b', cache.pageKey('store_b', 'p\n20\n'), { body: '[]', etag: '"b"' }, 0);
  return cache;
}

describe('catalog cache invalidation', () => {
  it('a stock change on the same side of zero drops the product only, never the pages', () => {
    const cache = warm();
    cache.invalidate([{ storeId: store, entity: 'inventory', entityId: 'prod_1' }]);
    expect(cache.product(store, 'prod_1')).toBeUndefined();
    expect(cache.product(store, 'kettle')).toBeUndefined();
    expect(cache.product(store, 'prod_2')).toBeDefined();
    expect(cache.page(cache.pageKey(store, 'p\n20\n'))).toBeDefined();
    expect(cache.stats()).toMatchObject({ pageHits: 1, pageMisses: 0 });
  });

  it('crossing zero, a product or a collection change retire the pages of that store only', () => {
    for (const entity of ['availability', 'product', 'collection'] as const) {
      const cache = warm();
      cache.invalidate([{ storeId: store, entity, entityId: entity === 'collection' ? 'coll_1' : 'prod_1' }]);
      expect(cache.page(cache.pageKey(store, 'p\n20\n'))).toBeUndefined();
      expect(cache.page(cache.pageKey('store_b', 'p\n20\n'))).toBeDefined();
      expect(cache.product(store, 'prod_2')).toBeDefined();
      expect(cache.stats()).toMatchObject({ pageHits: 1, pageMisses: 1 });
    }
  });

  it('a page read before a page-level change is not stored; one read before a stock change is', () => {
    const cache = warm();
    const key = cache.pageKey(store, 'c\nsummer\n20\n');
    const epoch = cache.pageEpoch(store);
    cache.invalidate([{ storeId: store, entity: 'inventory', entityId: 'prod_1' }]);
    cache.putPage(store, key, { body: '[]', etag: '"c"' }, epoch);
    expect(cache.page(key)).toBeDefined();

    const key2 = cache.pageKey(store, 'c\nwinter\n20\n');
    const epoch2 = cache.pageEpoch(store);
    cache.invalidate([{ storeId: store, entity: 'availability', entityId: 'prod_1' }]);
    cache.putPage(store, key2, { body: '[]', etag: '"w"' }, epoch2);
    expect(cache.page(key2)).toBeUndefined();

    // A product read that raced any change, a stock change included, is never stored.
    const productEpoch = cache.epoch(store);
    cache.invalidate([{ storeId: store, entity: 'inventory', entityId: 'prod_2' }]);
    cache.putProduct(product('prod_2', 'mug'), productEpoch);
    expect(cache.product(store, 'prod_2')).toBeUndefined();
  });
});

const forSale = (storeId: string, variantId: string, productId: string, price = 1000): VariantForSale => ({
  variantId,
  productId,
  productTitle: 'Kettle',
  productSlug: 'kettle',
  sku: `SKU-${variantId}`,
  title: 'Default',
  optionValues: {},
  price: storeId === store ? price : price + 1,
  compareAtPrice: null,
  weightGrams: 100,
  trackInventory: true,
  allowBackorder: false,
  purchasable: true,
});

describe('variants for sale', () => {
  function warmVariants(maxEntries = 1000) {
    const cache = createCatalogCache({ maxEntries });
    cache.putVariantsForSale(
      store,
      [
        forSale(store, 'var_1', 'prod_1'),
        forSale(store, 'var_2', 'prod_1'),
        forSale(store, 'var_3', 'prod_2'),
      ],
      cache.variantEpoch(store),
    );
    cache.putVariantsForSale(
      'store_b',
      [forSale('store_b', 'var_9', 'prod_9')],
      cache.variantEpoch('store_b'),
    );
    return cache;
  }

  it('are kept per store: another store never sees them', () => {
    const cache = warmVariants();
    expect(cache.variantForSale(store, 'var_1')?.price).toBe(1000);
    expect(cache.variantForSale('store_b', 'var_1')).toBeUndefined();
    expect(cache.variantForSale('store_b', 'var_9')?.price).toBe(1001);
  });

  it("a product change drops that product's variants only; stock changes drop none", () => {
    const cache = warmVariants();
    cache.invalidate([
      { storeId: store, entity: 'inventory', entityId: 'prod_1' },
      { storeId: store, entity: 'availability', entityId: 'prod_1' },
      { storeId: store, entity: 'collection', entityId: 'coll_1' },
    ]);
    expect(cache.stats().variantsForSale).toBe(4);
    cache.invalidate([{ storeId: store, entity: 'product', entityId: 'prod_1' }]);
    expect(cache.variantForSale(store, 'var_1')).toBeUndefined();
    expect(cache.variantForSale(store, 'var_2')).toBeUndefined();
    expect(cache.variantForSale(store, 'var_3')).toBeDefined();
    expect(cache.variantForSale('store_b', 'var_9')).toBeDefined();
  });

  it('a store change drops the store; clearing drops all', () => {
    const cache = warmVariants();
    cache.invalidate([{ storeId: store, entity: 'store', entityId: store }]);
    expect(cache.variantForSale(store, 'var_3')).toBeUndefined();
    expect(cache.variantForSale('store_b', 'var_9')).toBeDefined();
    cache.clear();
    expect(cache.stats().variantsForSale).toBe(0);
  });

  it('a read that raced a product change, or a clear, is not stored', () => {
    const cache = createCatalogCache({ maxEntries: 1000 });
    const before = cache.variantEpoch(store);
    cache.invalidate([{ storeId: store, entity: 'product', entityId: 'prod_1' }]);
    cache.putVariantsForSale(store, [forSale(store, 'var_1', 'prod_1')], before);
    expect(cache.variantForSale(store, 'var_1')).toBeUndefined();
    const other = cache.variantEpoch('store_c');
    cache.clear();
    cache.putVariantsForSale('store_c', [forSale('store_c', 'var_5', 'prod_5')], other);
    expect(cache.variantForSale('store_c', 'var_5')).toBeUndefined();
    // A stock change does not retire a read in flight.
    const during = cache.variantEpoch(store);
    cache.invalidate([{ storeId: store, entity: 'availability', entityId: 'prod_1' }]);
    cache.putVariantsForSale(store, [forSale(store, 'var_1', 'prod_1')], during);
    expect(cache.variantForSale(store, 'var_1')).toBeDefined();
  });

  it('is bounded by the entry limit, and an evicted variant leaves no product index behind', () => {
    const cache = createCatalogCache({ maxEntries: 100 });
    const many = Array.from({ length: 250 }, (_, i) => forSale(store, `var_${i}`, `prod_${i % 7}`));
    cache.putVariantsForSale(store, many, cache.variantEpoch(store));
    expect(cache.stats().variantsForSale).toBe(100);
    expect(cache.variantForSale(store, 'var_0')).toBeUndefined();
    expect(cache.variantForSale(store, 'var_249')).toBeDefined();
    for (let p = 0; p < 7; p++)
      cache.invalidate([{ storeId: store, entity: 'product', entityId: `prod_${p}` }]);
    expect(cache.stats().variantsForSale).toBe(0);
  });
});
