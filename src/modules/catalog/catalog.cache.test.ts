import { describe, expect, it } from 'vitest';
import { type CachedProduct, createCatalogCache } from './catalog.cache.ts';

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
