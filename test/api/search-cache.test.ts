import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { publishCatalogChanges } from '../../src/modules/catalog/index.ts';
import { cartToken, checkout, seedVariant } from '../support/commerce.ts';
import { type TestApp, testApp } from '../support/harness.ts';

const t = await testApp();
const store = await t.createStore();

describe('storefront search results cache', () => {
  it('serves repeated searches from memory and forgets them when the catalog changes', async () => {
    const created = await t.request('POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Walnut Serving Board',
        status: 'active',
        options: [{ name: 'Size', values: ['L'] }],
        variants: [{ sku: 'WSB-1', price: 4500, option_values: { Size: 'L' } }],
      },
    });
    expect(created.status).toBe(201);
    const first = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(first.status).toBe(200);
    expect(first.json.data.map((p: { id: string }) => p.id)).toEqual([created.json.id]);
    const again = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));

    const renamed = await t.request('PATCH', `/v1/products/${created.json.id}`, {
      key: store.sk,
      body: { version: created.json.version, title: 'Maple Serving Board' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const stale = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(stale.json.data).toEqual([]);
    const fresh = await t.request('GET', '/v1/products/search?q=maple', { key: store.pk });
    expect(fresh.json.data.map((p: { id: string }) => p.id)).toEqual([created.json.id]);
  });
});

describe('storefront pages through checkouts', () => {
  const counter = async (app: TestApp, kind: string, which: 'hits' | 'misses') => {
    const metric = which === 'hits' ? app.deps.metrics.cacheHits : app.deps.metrics.cacheMisses;
    return (await metric.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
  };
  const counters = async (app: TestApp) => ({
    listHits: await counter(app, 'list', 'hits'),
    listMisses: await counter(app, 'list', 'misses'),
    searchHits: await counter(app, 'search', 'hits'),
    searchMisses: await counter(app, 'search', 'misses'),
  });

  it('keep list pages and search results cached in every process until stock crosses zero', async () => {
    // Two API processes on one database, polling the catalog_change feed only when told to: `barrier` makes
    // each apply every change committed so far, so what follows depends on the invalidation alone.
    const env = { CACHE_POLL_MS: '60000' };
    const one = await testApp({ database: t.database, env });
    const two = await testApp({ database: t.database, env });
    const apps = [one, two];
    const barrier = async () => {
      for (const app of apps) await app.catalog.pollChanges();
    };
    const s = await one.createStore();
    const variantId = await seedVariant(one, s, { title: 'Copper Kettle', onHand: 2 });
    const search = '/v1/products/search?q=kettle&in_stock=true';
    async function sell(quantity: number) {
      const token = await cartToken(one, s.pk, [{ variant_id: variantId, quantity }]);
      const r = await checkout(one, s.pk, token);
      expect(r.status, r.text).toBe(201);
      await barrier();
    }
    await barrier();

    // Warm both processes: one miss, then one hit, for the list page and for the search.
    for (const app of apps) {
      const before = await counters(app);
      expect((await app.request('GET', '/v1/products', { key: s.pk })).json.data).toHaveLength(1);
      expect((await app.request('GET', search, { key: s.pk })).json.data).toHaveLength(1);
      expect((await app.request('GET', '/v1/products', { key: s.pk })).status).toBe(200);
      expect((await app.request('GET', search, { key: s.pk })).status).toBe(200);
      const after = await counters(app);
      expect(after.listMisses - before.listMisses).toBe(1);
      expect(after.listHits - before.listHits).toBe(1);
      expect(after.searchMisses - before.searchMisses).toBe(1);
      expect(after.searchHits - before.searchHits).toBe(1);
    }
    const productId = (await one.request('GET', '/v1/products', { key: s.pk })).json.data[0].id;

    // Selling one of two leaves the variant in stock: pages stay cached, the product itself is re-read.
    await sell(1);
    for (const app of apps) {
      const before = await counters(app);
      expect((await app.request('GET', '/v1/products', { key: s.pk })).json.data).toHaveLength(1);
      expect((await app.request('GET', search, { key: s.pk })).json.data).toHaveLength(1);
      const after = await counters(app);
      expect(after).toEqual({ ...before, listHits: before.listHits + 1, searchHits: before.searchHits + 1 });
      const product = await app.request('GET', `/v1/products/${productId}`, { key: s.pk });
      expect(product.json.variants[0].availability).toEqual({ in_stock: true, available: 1 });
    }

    // Selling the last unit crosses zero: both pages are rendered again, in every process.
    await sell(1);
    for (const app of apps) {
      const before = await counters(app);
      const list = await app.request('GET', '/v1/products', { key: s.pk });
      expect(list.json.data[0].variants[0].availability).toEqual({ in_stock: false, available: 0 });
      expect((await app.request('GET', search, { key: s.pk })).json.data).toEqual([]);
      const after = await counters(app);
      expect(after).toEqual({
        ...before,
        listMisses: before.listMisses + 1,
        searchMisses: before.searchMisses + 1,
      });
    }

    // Restocking crosses zero the other way.
    const restock = await one.request('PUT', `/v1/inventory/${variantId}`, {
      key: s.sk,
      body: { on_hand: 3 },
    });
    expect(restock.status).toBe(200);
    await barrier();
    for (const app of apps) {
      const before = await counters(app);
      expect((await app.request('GET', search, { key: s.pk })).json.data).toHaveLength(1);
      expect((await counter(app, 'search', 'misses')) - before.searchMisses).toBe(1);
    }
  });
});

describe.runIf(process.env.REDIS_URL)('storefront pages with Redis', () => {
  it('a stock message keeps the pages of other processes; a crossing of zero retires them', async () => {
    const env = { REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' };
    const two = await testApp({ database: t.database, env });
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const s = await two.createStore();
      await seedVariant(two, s, { title: 'Brass Lamp', onHand: 5 });
      await two.catalog.pollChanges();
      const productId = (await two.request('GET', '/v1/products', { key: s.pk })).json.data[0].id;
      const productsCached = () => two.catalog.cacheStats().products;
      /** Publishes as another process would and waits for the product entry to go. */
      async function announce(entity: 'inventory' | 'availability') {
        expect((await two.request('GET', `/v1/products/${productId}`, { key: s.pk })).status).toBe(200);
        const before = productsCached();
        await publishCatalogChanges(redis, [{ storeId: s.id, entity, entityId: productId }]);
        const deadline = Date.now() + 5000;
        while (productsCached() === before && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        expect(productsCached()).toBe(before - 1);
      }
      const listHits = async () =>
        (await two.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === 'list')?.value ?? 0;

      expect((await two.request('GET', '/v1/products', { key: s.pk })).status).toBe(200);
      await announce('inventory');
      const hits = await listHits();
      expect((await two.request('GET', '/v1/products', { key: s.pk })).status).toBe(200);
      expect(await listHits()).toBe(hits + 1);

      await announce('availability');
      expect((await two.request('GET', '/v1/products', { key: s.pk })).status).toBe(200);
      expect(await listHits()).toBe(hits + 1);
    } finally {
      redis.disconnect();
    }
  });

  it("a process's own change, echoed back by Redis, does not retire the pages it rendered since", async () => {
    const two = await testApp({
      database: t.database,
      env: { REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' },
    });
    const s = await two.createStore();
    const v = await seedVariant(two, s, { title: 'Echo Lamp', onHand: 1 });
    await two.catalog.pollChanges();
    const listHits = async () =>
      (await two.deps.metrics.cacheHits.get()).values.find((x) => x.labels.kind === 'list')?.value ?? 0;
    // Out of stock: a crossing of zero, applied here at commit and published on Redis.
    expect((await two.request('PUT', `/v1/inventory/${v}`, { key: s.sk, body: { on_hand: 0 } })).status).toBe(
      200,
    );
    const page = await two.request('GET', '/v1/products', { key: s.pk });
    expect(page.status).toBe(200);
    const hits = await listHits();
    // The echo of the change arrives within milliseconds; give it ample time to (wrongly) retire the page.
    await new Promise((r) => setTimeout(r, 300));
    const again = await two.request('GET', '/v1/products', { key: s.pk });
    expect(again.text).toBe(page.text);
    expect(await listHits()).toBe(hits + 1);
  });
});
