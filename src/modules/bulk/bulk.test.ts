import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CARDS, card, cartToken, checkout, count } from '../../../test/support/commerce.ts';
import { type TestApp, testApp } from '../../../test/support/harness.ts';
import { parseShopifyProducts } from './bulk.rules.ts';

const HEADER =
  'Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,' +
  'Option3 Name,Option3 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,' +
  'Variant Inventory Policy,Variant Price,Variant Compare At Price,Image Src,Image Alt Text,Status';

/** Two products with variants (one with two options and an extra image row), one without options. */
const SHOPIFY_CSV = [
  HEADER,
  'linen-shirt,Linen Shirt,"<p>Light.</p>\n<p>Breathes.</p>",Acme,Shirts,"summer, linen",TRUE,Size,S,Color,White,,,LS-S-W,200,shopify,5,deny,49.00,59.00,https://img.example.com/ls-1.jpg,Front,active',
  'linen-shirt,,,,,,,,M,,White,,,LS-M-W,210,shopify,0,continue,49.00,,,,',
  'linen-shirt,,,,,,,,M,,Blue,,,LS-M-B,210,shopify,7,deny,52.50,,,,',
  'linen-shirt,,,,,,,,,,,,,,,,,,,,https://img.example.com/ls-2.jpg,Back,',
  'mug,Stoneware Mug,A mug.,Acme,Kitchen,,FALSE,Title,Default Title,,,,,MUG-1,350,shopify,12,deny,18,,,,draft',
  'gift-card,Gift Card,,,,,TRUE,Amount,25,,,,,,0,,,deny,25.00,,,,',
  'gift-card,,,,,,,,50,,,,,,0,,,deny,50.00,,,,',
].join('\n');

function importCsv(t: TestApp, sk: string, csv: string) {
  return t.request('POST', '/v1/bulk/imports', {
    key: sk,
    rawBody: csv,
    headers: { 'content-type': 'text/csv' },
  });
}

describe('Shopify CSV rules', () => {
  it('reads rows of a handle as one product and its variants, with options, prices and stock', () => {
    const parsed = parseShopifyProducts(SHOPIFY_CSV, 'USD');
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows).toBe(7);
    expect(parsed.products.map((p) => [p.handle, p.line, p.rows])).toEqual([
      ['linen-shirt', 2, 4],
      ['mug', 7, 1],
      ['gift-card', 8, 2],
    ]);
    const shirt = parsed.products[0]!;
    expect(shirt.description).toBe('<p>Light.</p>\n<p>Breathes.</p>');
    expect(shirt.options).toEqual([
      { name: 'Size', values: ['S', 'M'] },
      { name: 'Color', values: ['White', 'Blue'] },
    ]);
    expect(
      shirt.variants.map((v) => [v.line, v.sku, v.price, v.compareAtPrice, v.onHand, v.allowBackorder]),
    ).toEqual([
      [2, 'LS-S-W', 4900, 5900, 5, false],
      [4, 'LS-M-W', 4900, null, 0, true],
      [5, 'LS-M-B', 5250, null, 7, false],
    ]);
    expect(shirt.images.map((i) => i.url)).toEqual([
      'https://img.example.com/ls-1.jpg',
      'https://img.example.com/ls-2.jpg',
    ]);
    expect(shirt.metadata).toEqual({ vendor: 'Acme', type: 'Shirts' });
    expect(shirt.tags).toEqual(['summer', 'linen']);
    const mug = parsed.products[1]!;
    expect([mug.status, mug.options, mug.variants[0]!.price]).toEqual(['draft', [], 1800]);
    const gift = parsed.products[2]!;
    // Blank SKUs become the handle and the variant's position; an empty tracker means stock is not counted.
    expect(gift.variants.map((v) => [v.sku, v.trackInventory])).toEqual([
      ['gift-card', false],
      ['gift-card-2', false],
    ]);
    // Prices in a zero-decimal currency are whole units.
    expect(parseShopifyProducts(SHOPIFY_CSV, 'JPY').errors).toEqual([
      { line: 5, field: 'Variant Price', message: '"52.50" is not a price in JPY (e.g. 1999).' },
    ]);
  });

  it('names every bad row by the line it starts on, past quoted fields that span lines', () => {
    const csv = [
      HEADER,
      'a,"A\nwith a title on two lines",,,,,,,,,,,,A-1,,,1,,10.00,,,,',
      'b,B,"body\nspanning\nthree lines",,,,,,,,,,,B-1,,,two,,12.5x,,,,',
      'c,,,,,,,,,,,,,C-1,,,1,,5,,,,',
      'Bad Handle,D,,,,,,,,,,,,D-1,,,1,,5,,,,',
      'e,E,,,,,,,,,,,,A-1,,,1,,5,,,,',
    ].join('\n');
    const parsed = parseShopifyProducts(csv, 'EUR');
    expect(parsed.products).toEqual([]);
    expect(parsed.errors.map((e) => [e.line, e.field])).toEqual([
      [4, 'Variant Price'],
      [4, 'Variant Inventory Qty'],
      [7, 'Title'],
      [8, 'Handle'],
      [9, 'Variant SKU'],
    ]);
    expect(parsed.errors[0]!.message).toMatch(/"12\.5x" is not a price in EUR/);
    expect(parseShopifyProducts('Handle,Title\nx,"open', 'USD').errors[0]).toMatchObject({
      line: 2,
      field: null,
    });
    expect(parseShopifyProducts('Title\nx', 'USD').errors.map((e) => e.field)).toEqual([
      'Handle',
      'Variant Price',
    ]);
  });
});

describe('bulk import and export over HTTP and the worker', async () => {
  const t = await testApp();
  const s = await t.createStore({ name: 'Import store', currency: 'USD' });

  it('imports a Shopify CSV: products, variants, options, prices, stock and product.created events', async () => {
    const r = await importCsv(t, s.sk, SHOPIFY_CSV);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({
      object: 'bulk_job',
      kind: 'import_products',
      status: 'queued',
      errors: [],
    });
    expect(await t.bulk.runDue()).toBe(1);
    const job = (await t.request('GET', `/v1/bulk/jobs/${r.json.id}`, { key: s.sk })).json;
    expect(job).toMatchObject({
      status: 'succeeded',
      progress: { done: 7, total: 7 },
      result: { products_created: 3, variants_created: 6 },
      file_url: null,
    });

    const shirt = (await t.request('GET', '/v1/products/linen-shirt', { key: s.sk })).json;
    expect(shirt).toMatchObject({
      title: 'Linen Shirt',
      status: 'active',
      options: [
        { name: 'Size', values: ['S', 'M'] },
        { name: 'Color', values: ['White', 'Blue'] },
      ],
      price_range: { min: 4900, max: 5250, currency: 'USD' },
      metadata: { vendor: 'Acme', type: 'Shirts' },
    });
    expect(shirt.images).toHaveLength(2);
    expect(
      shirt.variants.map((v: any) => [
        v.sku,
        v.title,
        v.price,
        v.compare_at_price,
        v.weight_grams,
        v.availability,
      ]),
    ).toEqual([
      ['LS-S-W', 'S / White', 4900, 5900, 200, { in_stock: true, available: 5 }],
      ['LS-M-W', 'M / White', 4900, null, 210, { in_stock: true, available: 0 }],
      ['LS-M-B', 'M / Blue', 5250, null, 210, { in_stock: true, available: 7 }],
    ]);
    // The product's history says who imported it: the key that made the job.
    const history = (await t.request('GET', `/v1/products/${shirt.id}/history`, { key: s.sk })).json;
    expect(history.data.map((h: any) => [h.action, h.actor.startsWith('key:')])).toEqual([
      ['product.created', true],
    ]);
    const level = (await t.request('GET', `/v1/inventory/${shirt.variants[2].id}`, { key: s.sk })).json;
    expect(level.on_hand).toBe(7);
    const list = (await t.request('GET', '/v1/products?limit=10', { key: s.sk })).json;
    expect(list.data).toHaveLength(3);
    expect(
      await count(
        t,
        sql`select count(*) as n from event where store_id = ${s.id} and type = 'product.created'`,
      ),
    ).toBe(6);
    expect(
      await count(
        t,
        sql`select count(*) as n from inventory_movement where store_id = ${s.id} and reason = 'set'`,
      ),
    ).toBe(3);
  });

  it('fails a file with a bad row with its line, and writes nothing', async () => {
    const other = await t.createStore({ name: 'Bad file store' });
    const bad = `${SHOPIFY_CSV}\nteapot,Teapot,,,,,,,,,,,,TEA-1,,,3,,abc,,,,`;
    const r = await importCsv(t, other.sk, bad);
    await t.bulk.runDue();
    const job = (await t.request('GET', `/v1/bulk/jobs/${r.json.id}`, { key: other.sk })).json;
    expect(job.status).toBe('failed');
    expect(job.errors).toEqual([
      { line: 10, field: 'Variant Price', message: expect.stringMatching(/"abc" is not a price in USD/) },
    ]);
    expect(await count(t, sql`select count(*) as n from product where store_id = ${other.id}`)).toBe(0);
    expect(await count(t, sql`select count(*) as n from event where store_id = ${other.id}`)).toBe(0);
  });

  it('refuses handles and SKUs the store already has, line by line', async () => {
    const again = await importCsv(t, s.sk, SHOPIFY_CSV.split('\n').slice(0, 7).join('\n'));
    await t.bulk.runDue();
    const job = (await t.request('GET', `/v1/bulk/jobs/${again.json.id}`, { key: s.sk })).json;
    expect(job.status).toBe('failed');
    expect(job.errors.map((e: any) => [e.line, e.field])).toEqual([
      [2, 'Handle'],
      [2, 'Variant SKU'],
      [4, 'Variant SKU'],
      [5, 'Variant SKU'],
      [7, 'Handle'],
      [7, 'Variant SKU'],
    ]);
    expect(await count(t, sql`select count(*) as n from product where store_id = ${s.id}`)).toBe(3);
  });

  it('exports products as a Shopify CSV that imports into another store unchanged', async () => {
    const e = await t.request('POST', '/v1/bulk/exports', { key: s.sk, body: { kind: 'products' } });
    expect(e.status).toBe(202);
    const early = await t.request('GET', `/v1/bulk/jobs/${e.json.id}/file`, { key: s.sk });
    expect([early.status, early.json.error.code]).toEqual([409, 'BULK_FILE_NOT_READY']);
    await t.bulk.runDue();
    const job = (await t.request('GET', `/v1/bulk/jobs/${e.json.id}`, { key: s.sk })).json;
    expect(job).toMatchObject({
      status: 'succeeded',
      result: { products: 3 },
      file_url: `/v1/bulk/jobs/${e.json.id}/file`,
    });
    const file = await t.request('GET', job.file_url, { key: s.sk });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(file.text.split('\n')[0]).toBe(HEADER);

    const copy = await t.createStore({ name: 'Copy' });
    const r = await t.request('POST', '/v1/bulk/imports', {
      key: copy.sk,
      body: { csv: file.text, file_name: 'x.csv' },
    });
    expect(r.status).toBe(202);
    await t.bulk.runDue();
    expect((await t.request('GET', `/v1/bulk/jobs/${r.json.id}`, { key: copy.sk })).json.status).toBe(
      'succeeded',
    );
    const shape = async (sk: string) =>
      ((await t.request('GET', '/v1/products?limit=10', { key: sk })).json.data as any[])
        .map((p) => ({
          slug: p.slug,
          title: p.title,
          description: p.description,
          status: p.status,
          tags: p.tags,
          metadata: p.metadata,
          images: p.images.map((i: any) => [i.url, i.alt]),
          options: p.options,
          variants: p.variants.map((v: any) => [
            v.sku,
            v.option_values,
            v.price,
            v.compare_at_price,
            v.weight_grams,
            v.track_inventory,
            v.allow_backorder,
            v.availability,
          ]),
        }))
        .sort((a, b) => a.slug.localeCompare(b.slug));
    expect(await shape(copy.sk)).toEqual(await shape(s.sk));
  });

  it('exports orders, one row per line, of the key’s mode', async () => {
    const shirt = (await t.request('GET', '/v1/products/linen-shirt', { key: s.sk })).json;
    const token = await cartToken(t, s.pk, [{ variant_id: shirt.variants[2].id, quantity: 2 }]);
    const order = await checkout(t, s.pk, token, card(CARDS.success));
    expect(order.status).toBe(201);
    const e = await t.request('POST', '/v1/bulk/exports', { key: s.sk, body: { kind: 'orders' } });
    await t.bulk.runDue();
    const file = await t.request('GET', `/v1/bulk/jobs/${e.json.id}/file`, { key: s.sk });
    const lines = file.text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(order.json.order.id);
    expect(lines[1]).toMatch(
      /,paid,paid,unfulfilled,shopper@example\.com,USD,105\.00,.*,LS-M-B,Linen Shirt,Linen Shirt – M \/ Blue,2,52\.50,105\.00$/,
    );
  });

  it('runs again a job whose worker died, without writing anything twice', async () => {
    const store = await t.createStore({ name: 'Crash store' });
    const r = await importCsv(t, store.sk, SHOPIFY_CSV);
    // A worker claimed it and died: running, its lease long gone.
    await t.database.db.execute(
      sql`update bulk_job set status = 'running', attempts = 1, lease_until = now() - interval '1 minute' where id = ${r.json.id}`,
    );
    await t.bulk.runDue();
    const job = (await t.request('GET', `/v1/bulk/jobs/${r.json.id}`, { key: store.sk })).json;
    expect([job.status, job.attempts]).toEqual(['succeeded', 2]);
    expect(await count(t, sql`select count(*) as n from product where store_id = ${store.id}`)).toBe(3);
    // A job still within its lease is left to its worker.
    const held = await importCsv(t, store.sk, SHOPIFY_CSV);
    await t.database.db.execute(
      sql`update bulk_job set status = 'running', attempts = 1, lease_until = now() + interval '5 minutes' where id = ${held.json.id}`,
    );
    expect(await t.bulk.runDue()).toBe(0);
  });

  it('answers bad requests with codes', async () => {
    const empty = await importCsv(t, s.sk, '   ');
    expect([empty.status, empty.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const xml = await t.request('POST', '/v1/bulk/imports', {
      key: s.sk,
      rawBody: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect([xml.status, xml.json.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const kind = await t.request('POST', '/v1/bulk/exports', { key: s.sk, body: { kind: 'customers' } });
    expect([kind.status, kind.json.error.code, kind.json.error.param]).toEqual([
      400,
      'VALIDATION_FAILED',
      'kind',
    ]);
    const missing = await t.request('GET', '/v1/bulk/jobs/job_00000000000000000000000000', { key: s.sk });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'BULK_JOB_NOT_FOUND']);
    const pk = await t.request('GET', '/v1/bulk/jobs', { key: s.pk });
    expect(pk.status).toBe(403);
    const list = (await t.request('GET', '/v1/bulk/jobs?limit=2', { key: s.sk })).json;
    expect(list).toMatchObject({ object: 'list', has_more: true });
    expect(list.data).toHaveLength(2);
  });
});
