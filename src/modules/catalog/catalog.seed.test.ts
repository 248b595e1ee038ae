import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/support/harness.ts';
import { rows } from '../../shared/db.ts';
import { seedDemoStore } from './index.ts';

const t = await testApp();

async function catalogOf(storeId: string) {
  return rows<{ title: string; slug: string; status: string; skus: string[]; prices: number[] }>(
    t.database.db,
    sql`select p.title, p.slug, p.status,
          array_agg(v.sku order by v.position) as skus,
          array_agg(v.price::int order by v.position) as prices
        from product p join variant v on v.product_id = p.id
        where p.store_id = ${storeId}
        group by p.id, p.title, p.slug, p.status
        order by p.id`,
  );
}

describe('demo seed', () => {
  it('is deterministic: the same N gives the same titles, slugs, SKUs and prices', async () => {
    const progress: [number, number][] = [];
    const a = await seedDemoStore({
      db: t.database.db,
      stores: t.deps.stores,
      products: 1200,
      onProgress: (done, total) => progress.push([done, total]),
    });
    const b = await seedDemoStore({ db: t.database.db, stores: t.deps.stores, products: 1200 });
    expect(a.storeId).not.toBe(b.storeId);
    expect(a.products).toBe(1200);
    expect(progress[0]).toEqual([0, 1200]);
    expect(progress.at(-1)).toEqual([1200, 1200]);
    expect(progress.length).toBeGreaterThanOrEqual(3);

    const ca = await catalogOf(a.storeId);
    const cb = await catalogOf(b.storeId);
    expect(ca).toHaveLength(1200);
    expect(cb).toEqual(ca);
    const slugs = new Set(ca.map((p) => p.slug));
    expect(slugs.size).toBe(1200);
    for (const p of ca) {
      expect(p.skus.length).toBeGreaterThanOrEqual(2);
      expect(p.skus.length).toBeLessThanOrEqual(4);
      for (const price of p.prices) {
        expect(price).toBeGreaterThanOrEqual(999);
        expect(price).toBeLessThanOrEqual(50_500);
        expect([99, 0]).toContain(price % 100);
      }
      expect(p.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
    expect(ca.filter((p) => p.status === 'draft').length).toBeGreaterThan(0);
    expect(ca.filter((p) => p.status === 'draft').length).toBeLessThan(120);

    const stock = await rows<{ out: number; total: number }>(
      t.database.db,
      sql`select count(*) filter (where l.on_hand = 0)::int as out, count(*)::int as total
          from inventory_level l where l.store_id = ${a.storeId}`,
    );
    expect(stock[0]!.total).toBeGreaterThan(2400);
    expect(stock[0]!.out).toBeGreaterThan(0);
    expect(stock[0]!.out).toBeLessThan(stock[0]!.total / 5);
  });

  it('gives working keys, a readable sample product and a dozen collections', async () => {
    const seeded = await seedDemoStore({ db: t.database.db, stores: t.deps.stores, products: 60 });
    const sample = await t.request('GET', `/v1/products/${seeded.sampleSlug}`, {
      key: seeded.publishableKey,
    });
    expect(sample.status).toBe(200);
    expect(sample.json.variants.length).toBeGreaterThanOrEqual(2);
    expect(sample.json.price_range.currency).toBe('USD');
    const store = await t.request('GET', '/v1/store', { key: seeded.secretKey });
    expect(store.json).toMatchObject({ name: 'Demo Store', currency: 'USD' });
    const cols = await t.request('GET', '/v1/collections?limit=100', { key: seeded.publishableKey });
    expect(cols.json.data).toHaveLength(12);
    const apparel = await t.request('GET', '/v1/collections/apparel', { key: seeded.publishableKey });
    expect(apparel.status).toBe(200);
    expect(apparel.json.products.data.length).toBeGreaterThan(0);
  });

  it("leaves search's facet columns as the variants and stock say", async () => {
    const seeded = await seedDemoStore({ db: t.database.db, stores: t.deps.stores, products: 80 });
    const wrong = await rows<{ id: string }>(
      t.database.db,
      sql`select p.id from product p
           where p.store_id = ${seeded.storeId}
             and (p.in_stock is distinct from exists (
                    select 1 from variant v left join inventory_level l on l.variant_id = v.id
                     where v.product_id = p.id
                       and (not v.track_inventory or v.allow_backorder or coalesce(l.on_hand - l.committed, 0) > 0))
               or p.facet_options is distinct from (
                    select array_agg(distinct e.key || chr(31) || e.value order by e.key || chr(31) || e.value)
                      from variant v cross join lateral jsonb_each_text(v.option_values) e where v.product_id = p.id))`,
    );
    expect(wrong).toEqual([]);
    const counts = await rows<{ in_stock: number; out: number }>(
      t.database.db,
      sql`select count(*) filter (where in_stock)::int as in_stock, count(*) filter (where not in_stock)::int as out
            from product where store_id = ${seeded.storeId}`,
    );
    expect(counts[0]!.in_stock).toBeGreaterThan(60);
  });
});
