import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { recordStatements, testApp } from '../../../test/support/harness.ts';
import { createApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { type Database, inTransaction, openDatabase, rows } from '../../shared/db.ts';
import { onError, onNotFound } from '../../shared/http/errors.ts';
import { createRouter } from '../../shared/http/openapi.ts';
import { silentLogger } from '../../shared/logger.ts';
import { createCatalogModule, loadVariantsForSale, recordCatalogChange } from './index.ts';

const t = await testApp();

let n = 0;
const uniq = () => `${Date.now().toString(36)}${(n++).toString(36)}`;

function productBody(over: Record<string, unknown> = {}) {
  const u = uniq();
  return {
    title: `Linen Shirt ${u}`,
    status: 'active',
    description: 'A shirt.',
    tags: ['apparel', 'linen'],
    metadata: { origin: 'PT' },
    images: [{ url: 'https://example.com/a.jpg', alt: 'front' }],
    options: [
      { name: 'Size', values: ['S', 'M', 'L'] },
      { name: 'Color', values: ['White', 'Navy'] },
    ],
    variants: [
      { sku: `LS-${u}-S-W`, price: 4900, option_values: { Size: 'S', Color: 'White' }, weight_grams: 200 },
      {
        sku: `LS-${u}-M-N`,
        price: 5400,
        compare_at_price: 6900,
        option_values: { Size: 'M', Color: 'Navy' },
      },
    ],
    ...over,
  };
}

async function createProduct(sk: string, over: Record<string, unknown> = {}) {
  const r = await t.request('POST', '/v1/products', { key: sk, body: productBody(over) });
  if (r.status !== 201) throw new Error(`create product: ${r.status} ${r.text}`);
  return r.json;
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    v = await fn();
  }
  return v;
}

describe('products: admin CRUD', () => {
  it('creates a product with options, variants, images and derived slug, and reads it by id and slug', async () => {
    const s = await t.createStore();
    const body = productBody({ title: 'Crème Brûlée Torch & Stand' });
    const r = await t.request('POST', '/v1/products', { key: s.sk, body });
    expect(r.status).toBe(201);
    const p = r.json;
    expect(p).toMatchObject({
      object: 'product',
      title: 'Crème Brûlée Torch & Stand',
      slug: 'creme-brulee-torch-and-stand',
      status: 'active',
      tags: ['apparel', 'linen'],
      metadata: { origin: 'PT' },
      price_range: { min: 4900, max: 5400, currency: 'USD' },
      version: 1,
    });
    expect(p.id).toMatch(/^prod_[0-9a-z]{26}$/);
    expect(p.images[0]).toMatchObject({ url: 'https://example.com/a.jpg', alt: 'front' });
    expect(p.images[0].id).toMatch(/^img_/);
    expect(p.variants).toHaveLength(2);
    expect(p.variants[0]).toMatchObject({
      object: 'variant',
      product_id: p.id,
      title: 'S / White',
      price: 4900,
      compare_at_price: null,
      weight_grams: 200,
      track_inventory: true,
      allow_backorder: false,
      availability: { in_stock: false, available: 0 },
    });
    expect(p.variants[1]).toMatchObject({ compare_at_price: 6900, title: 'M / Navy' });

    const byId = await t.request('GET', `/v1/products/${p.id}`, { key: s.sk });
    expect(byId.status).toBe(200);
    expect(byId.json).toEqual(p);
    const bySlug = await t.request('GET', `/v1/products/${p.slug}`, { key: s.pk });
    expect(bySlug.status).toBe(200);
    expect(bySlug.json.id).toBe(p.id);
  });

  it('derives a free slug when the title repeats', async () => {
    const s = await t.createStore();
    const a = await createProduct(s.sk, { title: 'Wool Beanie' });
    const b = await createProduct(s.sk, { title: 'Wool Beanie' });
    const c = await createProduct(s.sk, { title: 'Search' });
    expect(a.slug).toBe('wool-beanie');
    expect(b.slug).toBe('wool-beanie-2');
    expect(c.slug).toBe('search-2');
  });

  it('updates with optimistic concurrency: version in body or If-Match, 409 on mismatch, version bumps', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const u1 = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { version: 1, title: 'Renamed', tags: ['x', 'x', 'y'] },
    });
    expect(u1.status).toBe(200);
    expect(u1.json).toMatchObject({ title: 'Renamed', version: 2, tags: ['x', 'y'], slug: p.slug });

    const stale = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { version: 1, title: 'Lost' },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toMatchObject({ code: 'VERSION_CONFLICT', param: 'version' });

    const viaHeader = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { status: 'draft' },
      headers: { 'if-match': '"2"' },
    });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.json).toMatchObject({ status: 'draft', version: 3 });

    const staleHeader = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { status: 'active' },
      headers: { 'if-match': '"2"' },
    });
    expect(staleHeader.status).toBe(409);
    expect(staleHeader.json.error.code).toBe('VERSION_CONFLICT');

    const noVersion = await t.request('PATCH', `/v1/products/${p.id}`, { key: s.sk, body: { title: 'x' } });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'version' });

    const after = await t.request('GET', `/v1/products/${p.id}`, { key: s.sk });
    expect(after.json).toMatchObject({ title: 'Renamed', status: 'draft', version: 3 });
  });

  it('changing options must keep existing variants valid', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const bad = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { version: 1, options: [{ name: 'Size', values: ['S', 'M', 'L'] }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_OPTION_VALUES');
    const ok = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: {
        version: 1,
        options: [
          { name: 'Size', values: ['S', 'M', 'L', 'XL'] },
          { name: 'Color', values: ['White', 'Navy'] },
        ],
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.options[0].values).toContain('XL');
  });

  it('deletes a product (If-Match optional) and its variants', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const conflict = await t.request('DELETE', `/v1/products/${p.id}`, {
      key: s.sk,
      headers: { 'if-match': '"7"' },
    });
    expect(conflict.status).toBe(409);
    const d = await t.request('DELETE', `/v1/products/${p.id}`, { key: s.sk });
    expect(d.status).toBe(200);
    expect(d.json).toEqual({ id: p.id, object: 'product', deleted: true });
    expect((await t.request('GET', `/v1/products/${p.id}`, { key: s.sk })).status).toBe(404);
    const v = await t.request('GET', `/v1/variants/${p.variants[0].id}`, { key: s.sk });
    expect(v.status).toBe(404);
    expect(v.json.error.code).toBe('VARIANT_NOT_FOUND');
    expect((await t.request('DELETE', `/v1/products/${p.id}`, { key: s.sk })).json.error.code).toBe(
      'PRODUCT_NOT_FOUND',
    );
  });
});

describe('products: history', () => {
  it('records who changed a product, its variants and its collections, newest first', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const upd = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { title: 'Renamed', version: p.version },
    });
    expect(upd.status).toBe(200);
    const v = await t.request('POST', `/v1/products/${p.id}/variants`, {
      key: s.sk,
      body: { sku: `H-${uniq()}`, price: 100, option_values: { Size: 'L', Color: 'White' } },
    });
    expect(v.status).toBe(201);
    expect(
      (await t.request('PATCH', `/v1/variants/${v.json.id}`, { key: s.sk, body: { price: 150 } })).status,
    ).toBe(200);
    const col = await t.request('POST', '/v1/collections', {
      key: s.sk,
      body: { title: `History ${uniq()}`, product_ids: [p.id] },
    });
    expect(col.status).toBe(201);
    // A failed write (version conflict) leaves nothing.
    const stale = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { title: 'x', version: 1 },
    });
    expect(stale.status).toBe(409);

    const h = await t.request('GET', `/v1/products/${p.id}/history`, { key: s.sk });
    expect(h.status).toBe(200);
    expect(
      h.json.data.map((e: { action: string; subject_id: string | null }) => [e.action, e.subject_id]),
    ).toEqual([
      ['collection.product_added', col.json.id],
      ['variant.updated', v.json.id],
      ['variant.created', v.json.id],
      ['product.updated', null],
      ['product.created', null],
    ]);
    for (const e of h.json.data) {
      expect(e.actor).toMatch(/^key:key_[0-9a-z]{26}$/);
      expect(e.object).toBe('catalog_history_entry');
    }
    // Pages, and the history outlives the product.
    const page = await t.request('GET', `/v1/products/${p.id}/history?limit=2`, { key: s.sk });
    const rest = await t.request('GET', `/v1/products/${p.id}/history?cursor=${page.json.next_cursor}`, {
      key: s.sk,
    });
    expect([...page.json.data, ...rest.json.data]).toEqual(h.json.data);
    expect((await t.request('DELETE', `/v1/products/${p.id}`, { key: s.sk })).status).toBe(200);
    const after = await t.request('GET', `/v1/products/${p.id}/history?limit=1`, { key: s.sk });
    expect(after.json.data[0].action).toBe('product.deleted');

    // Another store sees no history; publishable keys are refused.
    const other = await t.createStore();
    const foreign = await t.request('GET', `/v1/products/${p.id}/history`, { key: other.sk });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('PRODUCT_NOT_FOUND');
    expect((await t.request('GET', `/v1/products/${p.id}/history`, { key: s.pk })).status).toBe(403);
  });
});

describe('products: validation', () => {
  it('names the parameter at fault', async () => {
    const s = await t.createStore();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ title: '' }, 'title', 'VALIDATION_FAILED'],
      [{ slug: 'Has Spaces' }, 'slug', 'VALIDATION_FAILED'],
      [{ slug: 'prod_x' }, 'slug', 'VALIDATION_FAILED'],
      [{ slug: 'search' }, 'slug', 'VALIDATION_FAILED'],
      [{ status: 'live' }, 'status', 'VALIDATION_FAILED'],
      [{ nope: 1 }, 'nope', 'VALIDATION_FAILED'],
      [{ images: [{ url: 'ftp://x/y' }] }, 'images.0.url', 'VALIDATION_FAILED'],
      [{ metadata: { k: 5 } }, 'metadata.k', 'VALIDATION_FAILED'],
      [{ variants: [{ sku: 'A-1', price: -1 }] }, 'variants.0.price', 'VALIDATION_FAILED'],
      [{ variants: [{ sku: 'A-1', price: 1.5 }] }, 'variants.0.price', 'VALIDATION_FAILED'],
      [{ variants: [{ sku: 'bad sku', price: 1 }] }, 'variants.0.sku', 'VALIDATION_FAILED'],
      [
        { variants: [{ sku: 'A-1', price: 100, option_values: { Size: 'XXL', Color: 'White' } }] },
        'variants.0.option_values.Size',
        'INVALID_OPTION_VALUES',
      ],
      [
        { variants: [{ sku: 'A-1', price: 100, option_values: { Size: 'S' } }] },
        'variants.0.option_values.Color',
        'INVALID_OPTION_VALUES',
      ],
      [
        { variants: [{ sku: 'A-1', price: 100, option_values: { Size: 'S', Color: 'White', Fit: 'Slim' } }] },
        'variants.0.option_values.Fit',
        'INVALID_OPTION_VALUES',
      ],
      [
        {
          variants: [
            { sku: 'A-1', price: 100, option_values: { Size: 'S', Color: 'White' } },
            { sku: 'A-2', price: 100, option_values: { Size: 'S', Color: 'White' } },
          ],
        },
        'variants.1.option_values',
        'INVALID_OPTION_VALUES',
      ],
      [
        {
          variants: [
            { sku: 'A-1', price: 100, option_values: { Size: 'S', Color: 'White' } },
            { sku: 'A-1', price: 100, option_values: { Size: 'M', Color: 'White' } },
          ],
        },
        'variants.1.sku',
        'SKU_TAKEN',
      ],
      [
        { options: [{ name: 'Size', values: ['S', 'S'] }], variants: [] },
        'options.0.values.1',
        'INVALID_OPTION_VALUES',
      ],
      [{ collection_ids: ['coll_00000000000000000000000000'] }, 'collection_ids.0', 'COLLECTION_NOT_FOUND'],
    ];
    for (const [over, param, code] of cases) {
      const r = await t.request('POST', '/v1/products', { key: s.sk, body: productBody(over) });
      expect([r.status, r.json.error?.code, r.json.error?.param], JSON.stringify(over)).toEqual([
        code === 'SKU_TAKEN' ? 409 : code === 'COLLECTION_NOT_FOUND' ? 404 : 400,
        code,
        param,
      ]);
    }
    const badId = await t.request('GET', '/v1/products/prod_NOPE', { key: s.sk });
    expect(badId.status).toBe(400);
    expect(badId.json.error.param).toBe('id');
    const badLimit = await t.request('GET', '/v1/products?limit=101', { key: s.sk });
    expect(badLimit.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'limit' });
  });

  it('SLUG_TAKEN and SKU_TAKEN on unique violations', async () => {
    const s = await t.createStore();
    const a = await createProduct(s.sk, { slug: 'the-shirt' });
    const dup = await t.request('POST', '/v1/products', {
      key: s.sk,
      body: productBody({ slug: 'the-shirt' }),
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toMatchObject({ code: 'SLUG_TAKEN', param: 'slug' });
    const b = await createProduct(s.sk);
    const rename = await t.request('PATCH', `/v1/products/${b.id}`, {
      key: s.sk,
      body: { version: 1, slug: 'the-shirt' },
    });
    expect(rename.status).toBe(409);
    expect(rename.json.error.code).toBe('SLUG_TAKEN');
    const skuDup = await t.request('POST', '/v1/products', {
      key: s.sk,
      body: productBody({
        variants: [{ sku: a.variants[0].sku, price: 100, option_values: { Size: 'S', Color: 'White' } }],
      }),
    });
    expect(skuDup.status).toBe(409);
    expect(skuDup.json.error.code).toBe('SKU_TAKEN');
    // The failed writes left nothing behind.
    const list = await t.request('GET', '/v1/products?limit=100', { key: s.sk });
    expect(list.json.data.map((p: { id: string }) => p.id)).toEqual([a.id, b.id]);
  });
});

describe('variants', () => {
  it('adds, updates and deletes variants, keeping price_range and version in sync', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const add = await t.request('POST', `/v1/products/${p.id}/variants`, {
      key: s.sk,
      body: {
        sku: `X-${uniq()}`,
        price: 999,
        option_values: { Size: 'L', Color: 'Navy' },
        track_inventory: false,
      },
    });
    expect(add.status).toBe(201);
    expect(add.json).toMatchObject({
      title: 'L / Navy',
      price: 999,
      position: 2,
      availability: { in_stock: true, available: null },
    });
    let cur = (await t.request('GET', `/v1/products/${p.id}`, { key: s.sk })).json;
    expect(cur.price_range).toEqual({ min: 999, max: 5400, currency: 'USD' });
    expect(cur.version).toBe(2);

    const upd = await t.request('PATCH', `/v1/variants/${add.json.id}`, { key: s.sk, body: { price: 9900 } });
    expect(upd.status).toBe(200);
    expect(upd.json.price).toBe(9900);
    cur = (await t.request('GET', `/v1/products/${p.id}`, { key: s.sk })).json;
    expect(cur.price_range).toMatchObject({ min: 4900, max: 9900 });
    expect(cur.version).toBe(3);

    const stale = await t.request('PATCH', `/v1/variants/${add.json.id}`, {
      key: s.sk,
      body: { version: 1, price: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('VERSION_CONFLICT');

    const badOpt = await t.request('PATCH', `/v1/variants/${add.json.id}`, {
      key: s.sk,
      body: { option_values: { Size: 'S', Color: 'White' } },
    });
    expect(badOpt.status).toBe(400);
    expect(badOpt.json.error).toMatchObject({ code: 'INVALID_OPTION_VALUES', param: 'option_values' });

    const badAdd = await t.request('POST', `/v1/products/${p.id}/variants`, {
      key: s.sk,
      body: { sku: `Y-${uniq()}`, price: 1, option_values: { Size: 'Q', Color: 'Navy' } },
    });
    expect(badAdd.json.error).toMatchObject({ code: 'INVALID_OPTION_VALUES', param: 'option_values.Size' });
    const dupSku = await t.request('POST', `/v1/products/${p.id}/variants`, {
      key: s.sk,
      body: { sku: p.variants[0].sku, price: 1, option_values: { Size: 'L', Color: 'White' } },
    });
    expect(dupSku.status).toBe(409);
    expect(dupSku.json.error).toMatchObject({ code: 'SKU_TAKEN', param: 'sku' });

    const bySku = await t.request('GET', `/v1/variants/by-sku/${p.variants[1].sku}`, { key: s.pk });
    expect(bySku.status).toBe(200);
    expect(bySku.json.id).toBe(p.variants[1].id);

    const del = await t.request('DELETE', `/v1/variants/${add.json.id}`, { key: s.sk });
    expect(del.json).toEqual({ id: add.json.id, object: 'variant', deleted: true });
    cur = (await t.request('GET', `/v1/products/${p.id}`, { key: s.sk })).json;
    expect(cur.variants).toHaveLength(2);
    expect(cur.price_range).toMatchObject({ min: 4900, max: 5400 });
  });

  it('loadVariantsForSale: one store, product title and purchasable flag', async () => {
    const s = await t.createStore();
    const other = await t.createStore();
    const active = await createProduct(s.sk);
    const draft = await createProduct(s.sk, { status: 'draft' });
    const foreign = await createProduct(other.sk);
    const ids = [active.variants[0].id, draft.variants[0].id, foreign.variants[0].id, 'var_missing'];
    const m = await loadVariantsForSale(t.database.db, s.id, ids);
    expect([...m.keys()].sort()).toEqual([active.variants[0].id, draft.variants[0].id].sort());
    expect(m.get(active.variants[0].id)).toEqual({
      variantId: active.variants[0].id,
      productId: active.id,
      productTitle: active.title,
      productSlug: active.slug,
      sku: active.variants[0].sku,
      title: 'S / White',
      optionValues: { Size: 'S', Color: 'White' },
      price: 4900,
      compareAtPrice: null,
      weightGrams: 200,
      trackInventory: true,
      allowBackorder: false,
      purchasable: true,
    });
    expect(m.get(draft.variants[0].id)!.purchasable).toBe(false);
  });
});

describe('storefront access', () => {
  it('reads a product the cache lacks in two round trips, and a cached one in none', async () => {
    const s = await t.createStore();
    const warm = await createProduct(s.sk);
    const cold = await createProduct(s.sk);
    // The key and the store's currency are cached by a first read of another product.
    expect((await t.request('GET', `/v1/products/${warm.slug}`, { key: s.pk })).status).toBe(200);

    const miss = await recordStatements(() => t.request('GET', `/v1/products/${cold.slug}`, { key: s.pk }));
    expect(miss.result.status).toBe(200);
    expect(miss.result.json.variants).toHaveLength(cold.variants.length);
    // The product with its variants (one statement), then their stock levels and live holds side by side.
    expect(miss.log.statements).toHaveLength(3);
    expect(miss.log.statements[0]).toMatch(/from "product" left join "variant"/i);
    expect(miss.log.transactions).toBe(0);

    const hit = await recordStatements(() => t.request('GET', `/v1/products/${cold.id}`, { key: s.pk }));
    expect(hit.result.json).toEqual(miss.result.json);
    expect(hit.log.statements).toEqual([]);

    const unknown = await recordStatements(() =>
      t.request('GET', '/v1/products/no-such-thing', { key: s.pk }),
    );
    expect(unknown.result.status).toBe(404);
    expect(unknown.log.statements).toHaveLength(1);
  });

  it('publishable keys see active products only and cannot write', async () => {
    const s = await t.createStore();
    const active = await createProduct(s.sk);
    const draft = await createProduct(s.sk, { status: 'draft' });
    for (const path of [
      `/v1/products/${draft.id}`,
      `/v1/products/${draft.slug}`,
      `/v1/variants/${draft.variants[0].id}`,
      `/v1/variants/by-sku/${draft.variants[0].sku}`,
    ]) {
      const r = await t.request('GET', path, { key: s.pk });
      expect(r.status, path).toBe(404);
    }
    const list = await t.request('GET', '/v1/products', { key: s.pk });
    expect(list.json.data.map((p: { id: string }) => p.id)).toEqual([active.id]);
    const all = await t.request('GET', '/v1/products', { key: s.sk });
    expect(all.json.data).toHaveLength(2);
    const drafts = await t.request('GET', '/v1/products?status=draft', { key: s.sk });
    expect(drafts.json.data.map((p: { id: string }) => p.id)).toEqual([draft.id]);
    const pkFilter = await t.request('GET', '/v1/products?status=draft', { key: s.pk });
    expect(pkFilter.status).toBe(403);

    const writes: [string, string, unknown][] = [
      ['POST', '/v1/products', productBody()],
      ['PATCH', `/v1/products/${active.id}`, { version: 1, title: 'x' }],
      ['DELETE', `/v1/products/${active.id}`, undefined],
      [
        'POST',
        `/v1/products/${active.id}/variants`,
        { sku: 'Z-1', price: 1, option_values: { Size: 'L', Color: 'Navy' } },
      ],
      ['PATCH', `/v1/variants/${active.variants[0].id}`, { price: 1 }],
      ['DELETE', `/v1/variants/${active.variants[0].id}`, undefined],
      ['POST', '/v1/collections', { title: 'C' }],
    ];
    for (const [method, path, body] of writes) {
      const r = await t.request(method, path, { key: s.pk, body });
      expect([r.status, r.json.error.code], `${method} ${path}`).toEqual([403, 'SECRET_KEY_REQUIRED']);
    }
    expect((await t.request('GET', '/v1/products')).status).toBe(401);
    const still = await t.request('GET', `/v1/products/${active.id}`, { key: s.sk });
    expect(still.json.version).toBe(1);
  });

  it('serves ETags, 304s and CDN cache headers; secret reads are private', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const hits = async () =>
      (await t.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === 'product')?.value ?? 0;
    const first = await t.request('GET', `/v1/products/${p.slug}`, { key: s.pk });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=120');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const before = await hits();
    const again = await t.request('GET', `/v1/products/${p.id}`, { key: s.pk });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await hits()).toBe(before + 1);

    const notModified = await t.request('GET', `/v1/products/${p.slug}`, {
      key: s.pk,
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);
    const listed = await t.request('GET', `/v1/products/${p.slug}`, {
      key: s.pk,
      headers: { 'if-none-match': `"nope", W/${etag}` },
    });
    expect(listed.status).toBe(304);

    const secret = await t.request('GET', `/v1/products/${p.id}`, { key: s.sk });
    expect(secret.headers.get('cache-control')).toBe('private, no-store');
    expect(secret.headers.get('etag')).toBe(etag);

    const list = await t.request('GET', '/v1/products', { key: s.pk });
    const listEtag = list.headers.get('etag')!;
    expect(list.headers.get('cache-control')).toMatch(/^public/);
    expect(
      (await t.request('GET', '/v1/products', { key: s.pk, headers: { 'if-none-match': listEtag } })).status,
    ).toBe(304);

    await t.request('PATCH', `/v1/products/${p.id}`, { key: s.sk, body: { version: 1, title: 'New title' } });
    const changed = await t.request('GET', `/v1/products/${p.slug}`, {
      key: s.pk,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.json.title).toBe('New title');
    expect(changed.headers.get('etag')).not.toBe(etag);
    const list2 = await t.request('GET', '/v1/products', {
      key: s.pk,
      headers: { 'if-none-match': listEtag },
    });
    expect(list2.status).toBe(200);
    expect(list2.json.data[0].title).toBe('New title');
  });

  it('a renamed slug stops resolving, and drafts disappear from the storefront at once', async () => {
    const s = await t.createStore();
    const p = await createProduct(s.sk, { slug: 'old-name' });
    expect((await t.request('GET', '/v1/products/old-name', { key: s.pk })).status).toBe(200);
    await t.request('PATCH', `/v1/products/${p.id}`, { key: s.sk, body: { version: 1, slug: 'new-name' } });
    expect((await t.request('GET', '/v1/products/old-name', { key: s.pk })).status).toBe(404);
    expect((await t.request('GET', '/v1/products/new-name', { key: s.pk })).json.id).toBe(p.id);
    await t.request('PATCH', `/v1/products/${p.id}`, { key: s.sk, body: { version: 2, status: 'draft' } });
    expect((await t.request('GET', '/v1/products/new-name', { key: s.pk })).status).toBe(404);
    expect((await t.request('GET', '/v1/products', { key: s.pk })).json.data).toHaveLength(0);
  });

  it('leaves /v1/products/search to the search module', async () => {
    const s = await t.createStore();
    await createProduct(s.sk, { title: 'Searchable Linen Shirt' });
    const r = await t.request('GET', '/v1/products/search?q=linen', { key: s.pk });
    expect(r.json?.error?.code).not.toBe('PRODUCT_NOT_FOUND');
    expect(r.json?.error?.code).not.toBe('VALIDATION_FAILED');
    expect(r.status).toBe(200);
  });
});

describe('routing', () => {
  it('steps aside for /v1/products/search even when mounted before the search route', async () => {
    const s = await t.createStore();
    const build = (withSearch: boolean) => {
      const app = createRouter();
      app.onError(onError(t.deps.logger));
      app.notFound(onNotFound);
      app.use('*', async (c, next) => {
        c.set('requestId', 'req_test');
        await next();
      });
      app.route('/', createCatalogModule(t.deps).routes);
      if (withSearch) app.get('/v1/products/search', (c) => c.text('search module'));
      return app;
    };
    const withoutSearch = await build(false).request('/v1/products/search?q=x', {
      headers: { authorization: `Bearer ${s.pk}` },
    });
    expect(withoutSearch.status).toBe(404);
    expect(((await withoutSearch.json()) as any).error.code).toBe('ROUTE_NOT_FOUND');
    const app = build(true);
    const r = await app.request('/v1/products/search?q=x', { headers: { authorization: `Bearer ${s.pk}` } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('search module');
    // Unauthenticated calls reach the search route's own auth, not the catalog's.
    expect((await app.request('/v1/products/search')).status).toBe(200);
    const p = await createProduct(s.sk);
    const other = await app.request(`/v1/products/${p.slug}`, {
      headers: { authorization: `Bearer ${s.pk}` },
    });
    expect(other.status).toBe(200);
  });

  it('documents every catalog route in the OpenAPI document', async () => {
    const doc = await t.request('GET', '/v1/openapi.json');
    const paths = Object.keys(doc.json.paths);
    for (const p of [
      '/v1/products',
      '/v1/products/{id}',
      '/v1/products/{id}/variants',
      '/v1/variants/{id}',
      '/v1/variants/by-sku/{sku}',
      '/v1/collections',
      '/v1/collections/{id}',
      '/v1/collections/{id}/products',
    ]) {
      expect(paths, p).toContain(p);
    }
    // One documented path per resource: reads take an id or a slug on the same path as writes.
    expect(paths.filter((p) => p.includes('id_or_slug'))).toEqual([]);
    expect(Object.keys(doc.json.paths['/v1/products/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
  });
});

describe('pagination', () => {
  it('pages products by id with cursors, and refuses garbage cursors', async () => {
    const s = await t.createStore();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createProduct(s.sk, { variants: [] })).id);
    for (const key of [s.sk, s.pk]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const r = await t.request('GET', `/v1/products${q}`, { key });
        expect(r.status).toBe(200);
        expect(r.json.object).toBe('list');
        seen.push(...r.json.data.map((p: { id: string }) => p.id));
        expect(r.json.has_more).toBe(r.json.next_cursor !== null);
        cursor = r.json.next_cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(created);
      expect(pages).toBe(3);
    }
    for (const bad of [
      'garbage',
      Buffer.from('{"l":"collections","v":["coll_x"]}').toString('base64url'),
      Buffer.from('{"l":"products","v":[5]}').toString('base64url'),
    ]) {
      for (const key of [s.sk, s.pk]) {
        const r = await t.request('GET', `/v1/products?cursor=${bad}`, { key });
        expect([r.status, r.json.error.code, r.json.error.param]).toEqual([400, 'INVALID_CURSOR', 'cursor']);
      }
    }
    const c = await t.request('GET', '/v1/collections?cursor=garbage', { key: s.pk });
    expect(c.json.error.code).toBe('INVALID_CURSOR');
  });
});

describe('collections', () => {
  it('creates, orders, pages, updates and deletes collections', async () => {
    const s = await t.createStore();
    const a = await createProduct(s.sk);
    const b = await createProduct(s.sk);
    const d = await createProduct(s.sk, { status: 'draft' });
    const c = await t.request('POST', '/v1/collections', {
      key: s.sk,
      body: { title: 'Summer Picks', product_ids: [b.id, d.id, a.id] },
    });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({ object: 'collection', slug: 'summer-picks', version: 1 });

    const admin = await t.request('GET', '/v1/collections/summer-picks', { key: s.sk });
    expect(admin.json.products.data.map((p: { id: string }) => p.id)).toEqual([b.id, d.id, a.id]);
    const shop = await t.request('GET', `/v1/collections/${c.json.id}`, { key: s.pk });
    expect(shop.headers.get('cache-control')).toMatch(/^public/);
    expect(shop.json.products.data.map((p: { id: string }) => p.id)).toEqual([b.id, a.id]);

    const page1 = await t.request('GET', `/v1/collections/${c.json.id}?limit=1`, { key: s.pk });
    expect(page1.json.products).toMatchObject({ has_more: true });
    const page2 = await t.request(
      'GET',
      `/v1/collections/${c.json.id}?limit=1&cursor=${page1.json.products.next_cursor}`,
      {
        key: s.pk,
      },
    );
    expect(page2.json.products.data.map((p: { id: string }) => p.id)).toEqual([a.id]);
    expect(page2.json.products.has_more).toBe(false);

    const reorder = await t.request('PUT', `/v1/collections/${c.json.id}/products`, {
      key: s.sk,
      body: { product_ids: [a.id, b.id] },
    });
    expect(reorder.status).toBe(200);
    expect(reorder.json.version).toBe(2);
    const after = await t.request('GET', `/v1/collections/${c.json.id}`, { key: s.pk });
    expect(after.json.products.data.map((p: { id: string }) => p.id)).toEqual([a.id, b.id]);

    const missing = await t.request('PUT', `/v1/collections/${c.json.id}/products`, {
      key: s.sk,
      body: { product_ids: [a.id, 'prod_00000000000000000000000000'] },
    });
    expect([missing.status, missing.json.error.code, missing.json.error.param]).toEqual([
      404,
      'PRODUCT_NOT_FOUND',
      'product_ids.1',
    ]);

    const patch = await t.request('PATCH', `/v1/collections/${c.json.id}`, {
      key: s.sk,
      body: { version: 2, title: 'Summer' },
    });
    expect(patch.json).toMatchObject({ title: 'Summer', version: 3 });
    const stale = await t.request('PATCH', `/v1/collections/${c.json.id}`, {
      key: s.sk,
      body: { version: 2, title: 'x' },
    });
    expect(stale.json.error.code).toBe('VERSION_CONFLICT');
    const taken = await t.request('POST', '/v1/collections', {
      key: s.sk,
      body: { title: 'Other', slug: 'summer-picks' },
    });
    expect(taken.json.error.code).toBe('SLUG_TAKEN');

    const withProduct = await createProduct(s.sk, { collection_ids: [c.json.id] });
    const appended = await t.request('GET', `/v1/collections/${c.json.id}`, { key: s.sk });
    expect(appended.json.products.data.map((p: { id: string }) => p.id)).toEqual([
      a.id,
      b.id,
      withProduct.id,
    ]);

    const list = await t.request('GET', '/v1/collections', { key: s.pk });
    expect(list.json.data.map((x: { id: string }) => x.id)).toContain(c.json.id);
    const del = await t.request('DELETE', `/v1/collections/${c.json.id}`, { key: s.sk });
    expect(del.json.deleted).toBe(true);
    expect((await t.request('GET', `/v1/collections/${c.json.id}`, { key: s.pk })).status).toBe(404);
    expect((await t.request('GET', `/v1/products/${a.id}`, { key: s.pk })).status).toBe(200);
  });
});

describe('cross-store isolation', () => {
  it("store A's keys never reach store B's catalog, on every route", async () => {
    const A = await t.createStore();
    const B = await t.createStore();
    const p = await createProduct(B.sk, { slug: 'b-only' });
    const col = (
      await t.request('POST', '/v1/collections', { key: B.sk, body: { title: 'B col', product_ids: [p.id] } })
    ).json;
    const v = p.variants[0];
    const reads = [
      `/v1/products/${p.id}`,
      '/v1/products/b-only',
      `/v1/variants/${v.id}`,
      `/v1/variants/by-sku/${v.sku}`,
      `/v1/collections/${col.id}`,
      `/v1/collections/${col.slug}`,
    ];
    for (const key of [A.pk, A.sk]) {
      for (const path of reads) {
        // Twice: the second read would come from the cache if anything leaked into it.
        for (let i = 0; i < 2; i++) {
          const r = await t.request('GET', path, { key });
          expect(r.status, `${path}`).toBe(404);
        }
      }
      for (const path of ['/v1/products', '/v1/collections']) {
        const r = await t.request('GET', path, { key });
        expect(r.json.data, path).toEqual([]);
      }
    }
    // Warm B's own cache, then probe again from A.
    expect((await t.request('GET', `/v1/products/${p.id}`, { key: B.pk })).status).toBe(200);
    expect((await t.request('GET', `/v1/products/${p.id}`, { key: A.pk })).status).toBe(404);
    expect((await t.request('GET', '/v1/products/b-only', { key: A.pk })).status).toBe(404);

    const writes: [string, string, unknown][] = [
      ['PATCH', `/v1/products/${p.id}`, { version: 1, title: 'hijack' }],
      ['DELETE', `/v1/products/${p.id}`, undefined],
      [
        'POST',
        `/v1/products/${p.id}/variants`,
        { sku: 'HJ-1', price: 1, option_values: { Size: 'L', Color: 'Navy' } },
      ],
      ['PATCH', `/v1/variants/${v.id}`, { price: 1 }],
      ['DELETE', `/v1/variants/${v.id}`, undefined],
      ['PATCH', `/v1/collections/${col.id}`, { version: 1, title: 'hijack' }],
      ['DELETE', `/v1/collections/${col.id}`, undefined],
      ['PUT', `/v1/collections/${col.id}/products`, { product_ids: [] }],
    ];
    for (const [method, path, body] of writes) {
      const bySecret = await t.request(method, path, { key: A.sk, body });
      expect(bySecret.status, `${method} ${path}`).toBe(404);
      const byPublishable = await t.request(method, path, { key: A.pk, body });
      expect(byPublishable.status, `${method} ${path}`).toBe(403);
    }
    // A cannot pull B's products into its own collections either.
    const steal = await t.request('POST', '/v1/collections', {
      key: A.sk,
      body: { title: 'Steal', product_ids: [p.id] },
    });
    expect(steal.json.error).toMatchObject({ code: 'PRODUCT_NOT_FOUND', param: 'product_ids.0' });
    const stealIn = await t.request('POST', '/v1/products', {
      key: A.sk,
      body: productBody({ collection_ids: [col.id] }),
    });
    expect(stealIn.json.error).toMatchObject({ code: 'COLLECTION_NOT_FOUND', param: 'collection_ids.0' });
    // Same slug and SKU are free in another store.
    const same = await t.request('POST', '/v1/products', {
      key: A.sk,
      body: productBody({
        slug: 'b-only',
        variants: [{ sku: v.sku, price: 1, option_values: { Size: 'S', Color: 'White' } }],
      }),
    });
    expect(same.status).toBe(201);

    const intact = await t.request('GET', `/v1/products/${p.id}`, { key: B.sk });
    expect(intact.json).toMatchObject({ title: p.title, version: 1 });
    expect(intact.json.variants).toHaveLength(2);
    const intactCol = await t.request('GET', `/v1/collections/${col.id}`, { key: B.sk });
    expect(intactCol.json.products.data).toHaveLength(1);
  });
});

describe('cache invalidation across processes', () => {
  async function secondApp(env: Record<string, string> = {}) {
    let database: Database = t.database;
    let own = false;
    if (t.database.kind === 'postgres' && (t.database as { url?: string }).url) {
      database = await openDatabase({ url: (t.database as { url?: string }).url, poolSize: 4 });
      own = true;
    }
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      CACHE_POLL_MS: '50',
      ...env,
    });
    const app = createApp({ config, database, logger: silentLogger });
    await app.start({ worker: false });
    afterAll(async () => {
      await app.close();
      if (own) await database.close();
    });
    const get = async (path: string, key: string) => {
      const res = await app.app.request(path, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, json: res.status === 200 ? await res.json() : null };
    };
    return { app, get };
  }

  it('an update through one app is seen through another within a second', async () => {
    const two = await secondApp();
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    // Warm the second app's caches: product by slug, list page, collection page.
    expect((await two.get(`/v1/products/${p.slug}`, s.pk)).json.title).toBe(p.title);
    expect((await two.get(`/v1/products/${p.slug}`, s.pk)).json.title).toBe(p.title);
    expect((await two.get('/v1/products', s.pk)).json.data).toHaveLength(1);

    await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { version: 1, title: 'Changed elsewhere' },
    });
    const seen = await waitFor(
      () => two.get(`/v1/products/${p.slug}`, s.pk),
      (r) => r.json?.title === 'Changed elsewhere',
      1000,
    );
    expect(seen.json.title).toBe('Changed elsewhere');
    const list = await waitFor(
      () => two.get('/v1/products', s.pk),
      (r) => r.json?.data[0]?.title === 'Changed elsewhere',
      1000,
    );
    expect(list.json.data[0].title).toBe('Changed elsewhere');

    // Unpublishing hides it everywhere.
    await t.request('PATCH', `/v1/products/${p.id}`, { key: s.sk, body: { version: 2, status: 'draft' } });
    const gone = await waitFor(
      () => two.get(`/v1/products/${p.id}`, s.pk),
      (r) => r.status === 404,
      1000,
    );
    expect(gone.status).toBe(404);
  });

  it('stock changes from the inventory module reach every cache', async () => {
    const two = await secondApp();
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    const variantId = p.variants[0].id;
    expect((await two.get(`/v1/products/${p.id}`, s.pk)).json.variants[0].availability).toEqual({
      in_stock: false,
      available: 0,
    });
    await inTransaction(t.database.db, (tx) =>
      t.deps.stock.setStockLevels(tx, [{ storeId: s.id, variantId, onHand: 17 }]),
    );
    const seen = await waitFor(
      () => two.get(`/v1/products/${p.id}`, s.pk),
      (r) => r.json?.variants[0].availability.available === 17,
      1000,
    );
    expect(seen.json.variants[0].availability).toEqual({ in_stock: true, available: 17 });
    const local = await waitFor(
      () => t.request('GET', `/v1/products/${p.id}`, { key: s.pk }),
      (r) => r.json?.variants[0].availability.available === 17,
      1000,
    );
    expect(local.json.variants[0].availability.available).toBe(17);
  });

  it.runIf(process.env.REDIS_URL)('with Redis, invalidation arrives by pub/sub without polling', async () => {
    // Polling every minute: only the Redis message can refresh the second app in time.
    const one = await secondApp({ REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' });
    const two = await secondApp({ REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' });
    const s = await t.createStore();
    const p = await createProduct(s.sk);
    expect((await two.get(`/v1/products/${p.id}`, s.pk)).json.title).toBe(p.title);
    const res = await one.app.app.request(`/v1/products/${p.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.sk}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1, title: 'Via Redis' }),
    });
    expect(res.status).toBe(200);
    const seen = await waitFor(
      () => two.get(`/v1/products/${p.id}`, s.pk),
      (r) => r.json?.title === 'Via Redis',
      1000,
    );
    expect(seen.json.title).toBe('Via Redis');
  });

  it('records a change row in the same transaction, and prunes old rows', async () => {
    const s = await t.createStore();
    const before = await rows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from catalog_change where store_id = ${s.id}`,
    );
    await expect(
      inTransaction(t.database.db, async (tx) => {
        await recordCatalogChange(tx, { storeId: s.id, entity: 'product', entityId: 'prod_x' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const afterRollback = await rows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from catalog_change where store_id = ${s.id}`,
    );
    expect(afterRollback[0]!.n).toBe(before[0]!.n);
    const seq = await inTransaction(t.database.db, (tx) =>
      recordCatalogChange(tx, { storeId: s.id, entity: 'store', entityId: s.id }),
    );
    expect(seq).toBeGreaterThan(0);
    await t.database.db.execute(
      sql`update catalog_change set created_at = now() - interval '2 hours' where store_id = ${s.id}`,
    );
    const prune = createCatalogModule(t.deps).tasks.find((x) => x.name === 'catalog.prune_changes')!;
    await prune.run();
    const left = await rows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from catalog_change where store_id = ${s.id}`,
    );
    expect(left[0]!.n).toBe(0);
  });
});
