import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cartToken, checkout } from '../../../test/support/commerce.ts';
import { DB_KIND, testApp } from '../../../test/support/harness.ts';
import { rows } from '../../shared/db.ts';

const t = await testApp();
const db = t.database.db;

/** The product's facet columns as the triggers keep them. */
async function stored(productId: string) {
  const [r] = await rows<{ facet_options: string[]; in_stock: boolean }>(
    db,
    sql`select facet_options, in_stock from product where id = ${productId}`,
  );
  return { options: [...(r?.facet_options ?? [])].sort(), inStock: r?.in_stock };
}

/** The same facts recomputed from the variants and their stock, as search computed them per query before. */
async function truth(productId: string) {
  const [r] = await rows<{ options: string[] | null; in_stock: boolean }>(
    db,
    sql`select
          (select array_agg(distinct e.key || chr(31) || e.value)
             from variant v cross join lateral jsonb_each_text(v.option_values) e where v.product_id = ${productId}) as options,
          exists (select 1 from variant v left join inventory_level il on il.variant_id = v.id
                   where v.product_id = ${productId}
                     and (not v.track_inventory or v.allow_backorder or coalesce(il.on_hand - il.committed, 0) > 0)) as in_stock`,
  );
  return { options: [...(r?.options ?? [])].sort(), inStock: r?.in_stock };
}

const facet = (name: string, value: string) => `${name}\u001f${value}`;

describe(`search facets follow the catalog and stock writes (${DB_KIND})`, () => {
  it('keeps option values and availability of a product in step with variant writes and stock crossing zero', async () => {
    const s = await t.createStore();
    const word = `zorblax${Date.now().toString(36)}`;
    const created = await t.request('POST', '/v1/products', {
      key: s.sk,
      body: {
        title: `Linen ${word}`,
        status: 'active',
        options: [
          { name: 'Size', values: ['S', 'M', 'L'] },
          { name: 'Color', values: ['White', 'Navy', 'Black', 'Red'] },
        ],
        variants: [
          { sku: `${word}-s`, price: 4900, option_values: { Size: 'S', Color: 'White' } },
          { sku: `${word}-m`, price: 5400, option_values: { Size: 'M', Color: 'Navy' } },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    const p = created.json.id as string;
    const [small, medium] = created.json.variants.map((v: { id: string }) => v.id) as [string, string];
    const search = async (query: string) => {
      const r = await t.request('GET', `/v1/products/search?q=${word}&${query}`, { key: s.sk });
      expect(r.status, r.text).toBe(200);
      return r.json;
    };
    const check = async (expected: { options: string[]; inStock: boolean }) => {
      const now = await stored(p);
      expect(now).toEqual({ options: [...expected.options].sort(), inStock: expected.inStock });
      expect(now).toEqual(await truth(p));
      const r = await search('in_stock=true');
      expect(r.data.map((d: { id: string }) => d.id)).toEqual(expected.inStock ? [p] : []);
      const all = await search('');
      expect(all.facets.in_stock).toBe(expected.inStock ? 1 : 0);
      expect(all.data[0].in_stock).toBe(expected.inStock);
    };

    // Tracked variants without stock: not in stock.
    await check({
      options: [facet('Color', 'Navy'), facet('Color', 'White'), facet('Size', 'M'), facet('Size', 'S')],
      inStock: false,
    });
    expect((await search('')).facets.options).toEqual({ Color: { Navy: 1, White: 1 }, Size: { M: 1, S: 1 } });

    // Stock arrives on the small one.
    const stock = await t.request('PUT', `/v1/inventory/${small}`, { key: s.sk, body: { on_hand: 1 } });
    expect(stock.status, stock.text).toBe(200);
    await check({
      options: [facet('Color', 'Navy'), facet('Color', 'White'), facet('Size', 'M'), facet('Size', 'S')],
      inStock: true,
    });

    // A variant is added, one changes colour, then the new one goes.
    const added = await t.request('POST', `/v1/products/${p}/variants`, {
      key: s.sk,
      body: { sku: `${word}-l`, price: 5900, option_values: { Size: 'L', Color: 'Red' } },
    });
    expect(added.status, added.text).toBe(201);
    expect((await search('options=Color:Red')).data).toHaveLength(1);
    const recolour = await t.request('PATCH', `/v1/variants/${medium}`, {
      key: s.sk,
      body: { option_values: { Size: 'M', Color: 'Black' } },
    });
    expect(recolour.status, recolour.text).toBe(200);
    await check({
      options: [
        facet('Color', 'Black'),
        facet('Color', 'Red'),
        facet('Color', 'White'),
        facet('Size', 'L'),
        facet('Size', 'M'),
        facet('Size', 'S'),
      ],
      inStock: true,
    });
    expect((await search('options=Color:Navy')).data).toHaveLength(0);
    const removed = await t.request('DELETE', `/v1/variants/${added.json.id}`, { key: s.sk });
    expect(removed.status).toBeLessThan(300);
    expect((await search('options=Color:Red')).data).toHaveLength(0);
    const two = [facet('Color', 'Black'), facet('Color', 'White'), facet('Size', 'M'), facet('Size', 'S')];
    await check({ options: two, inStock: true });
    expect((await search('')).facets.options).toEqual({
      Color: { Black: 1, White: 1 },
      Size: { M: 1, S: 1 },
    });

    // The last unit sells: the checkout's stock statement crosses zero and the product leaves in_stock.
    const sold = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: small, quantity: 1 }]));
    expect(sold.status, sold.text).toBe(201);
    await check({ options: two, inStock: false });

    // A stock policy that sells without stock puts it back, and taking it away removes it again.
    const backorder = await t.request('PATCH', `/v1/variants/${medium}`, {
      key: s.sk,
      body: { allow_backorder: true },
    });
    expect(backorder.status, backorder.text).toBe(200);
    await check({ options: two, inStock: true });
    await t.request('PATCH', `/v1/variants/${medium}`, { key: s.sk, body: { allow_backorder: false } });
    await check({ options: two, inStock: false });

    // Restocking crosses zero the other way.
    await t.request('PUT', `/v1/inventory/${small}`, { key: s.sk, body: { on_hand: 3 } });
    await check({ options: two, inStock: true });
    // "Black, in stock" must hold on one variant: the black one has no stock.
    expect((await search('in_stock=true&options=Color:Black')).data).toHaveLength(0);
    expect((await search('in_stock=true&options=Color:White')).data).toHaveLength(1);
  });

  it('keeps the collections of a product in step with collection writes, and counts them per search', async () => {
    const s = await t.createStore();
    const word = `quillet${Date.now().toString(36)}`;
    const products: string[] = [];
    for (const n of [1, 2, 3]) {
      const r = await t.request('POST', '/v1/products', {
        key: s.sk,
        body: {
          title: `Mug ${word} ${n}`,
          status: 'active',
          variants: [{ sku: `${word}-${n}`, price: 1000 }],
        },
      });
      expect(r.status, r.text).toBe(201);
      products.push(r.json.id);
    }
    const collection = async (title: string, ids: string[]) => {
      const c = await t.request('POST', '/v1/collections', { key: s.sk, body: { title, product_ids: ids } });
      expect(c.status, c.text).toBe(201);
      return c.json.id as string;
    };
    const stored = async (id: string) =>
      (await rows<{ ids: string[] }>(db, sql`select collection_ids as ids from product where id = ${id}`))[0]!
        .ids;
    const counted = async () => {
      const r = await t.request('GET', `/v1/products/search?q=${word}`, { key: s.pk });
      expect(r.status, r.text).toBe(200);
      return Object.fromEntries(
        (r.json.facets.collections as Array<{ title: string; count: number }>).map((c) => [c.title, c.count]),
      );
    };
    const [a, b, c] = products as [string, string, string];
    const mugs = await collection('Mugs', [a, b]);
    const gifts = await collection('Gifts', [b]);
    expect(await stored(b)).toEqual([gifts, mugs].sort());
    expect(await counted()).toEqual({ Mugs: 2, Gifts: 1 });

    // Setting a collection's products adds and removes members; reordering alone changes nothing.
    const set = await t.request('PUT', `/v1/collections/${mugs}/products`, {
      key: s.sk,
      body: { product_ids: [c, a] },
    });
    expect(set.status, set.text).toBe(200);
    expect(await stored(b)).toEqual([gifts]);
    expect(await stored(c)).toEqual([mugs]);
    expect(await counted()).toEqual({ Mugs: 2, Gifts: 1 });
    await t.request('PUT', `/v1/collections/${mugs}/products`, { key: s.sk, body: { product_ids: [a, c] } });
    expect(await stored(a)).toEqual([mugs]);

    // Deleting a collection (its memberships cascade) takes it off its products; so does deleting a product.
    expect((await t.request('DELETE', `/v1/collections/${gifts}`, { key: s.sk })).status).toBeLessThan(300);
    expect(await stored(b)).toEqual([]);
    expect(await counted()).toEqual({ Mugs: 2 });
    expect((await t.request('DELETE', `/v1/products/${c}`, { key: s.sk })).status).toBeLessThan(300);
    expect(await counted()).toEqual({ Mugs: 1 });
  });
});
