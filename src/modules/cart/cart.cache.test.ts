import { describe, expect, it } from 'vitest';
import { CARDS, card, cartToken, checkout, newKey, seedVariant } from '../../../test/support/commerce.ts';
import { recordStatements, type TestApp, testApp } from '../../../test/support/harness.ts';

/*
 * The cart routes re-price from the catalog's in-process variants-for-sale cache. These tests pin down how
 * stale a cart may be: not at all on the process that made the change, at most one change-feed poll (or
 * one Redis message) on the others; and checkout never trusts the cache.
 */

const t = await testApp();

/** The catalog's variants-for-sale read, as the driver sees it. */
const VARIANTS_READ = /from "variant" inner join "product"/i;

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    v = await fn();
  }
  return v;
}

const getCart = (app: TestApp, pk: string, token: string) =>
  app.request('GET', '/v1/carts/current', { key: pk, headers: { 'x-cart-token': token } });

const setPrice = async (app: TestApp, sk: string, variantId: string, price: number) => {
  const r = await app.request('PATCH', `/v1/variants/${variantId}`, { key: sk, body: { price } });
  expect(r.status, r.text).toBe(200);
};

/** The product's current version (product writes check it). */
async function productVersion(sk: string, productId: string): Promise<number> {
  const r = await t.request('GET', `/v1/products/${productId}`, { key: sk });
  return r.json.version as number;
}

describe('cart variants from the catalog cache', () => {
  it('serves a warm cart without reading the variants, and sees a change through the API at once', async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 2500, onHand: 10 });
    const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }]);

    const warm = await recordStatements(() => getCart(t, s.pk, token));
    expect(warm.result.json.total).toBe(5000);
    expect(warm.log.statements.filter((q) => VARIANTS_READ.test(q))).toEqual([]);

    // A stock change holds no price: it leaves the cached variants in place.
    const stock = await t.request('PUT', `/v1/inventory/${v}`, { key: s.sk, body: { on_hand: 7 } });
    expect(stock.status).toBe(200);
    const afterStock = await recordStatements(() => getCart(t, s.pk, token));
    expect(afterStock.log.statements.filter((q) => VARIANTS_READ.test(q))).toEqual([]);

    // A price change on this process: the very next cart call re-prices with it, no waiting.
    await setPrice(t, s.sk, v, 3100);
    const repriced = await recordStatements(() => getCart(t, s.pk, token));
    expect(repriced.result.json.lines[0]).toMatchObject({ unit_price: 3100, subtotal: 6200 });
    expect(repriced.result.json.total).toBe(6200);
    expect(repriced.log.statements.filter((q) => VARIANTS_READ.test(q))).toHaveLength(1);

    // Taking the product off sale is seen at once too.
    const productId = repriced.result.json.lines[0].product_id as string;
    const draft = await t.request('PATCH', `/v1/products/${productId}`, {
      key: s.sk,
      body: { status: 'draft', version: await productVersion(s.sk, productId) },
    });
    expect(draft.status, draft.text).toBe(200);
    const off = await getCart(t, s.pk, token);
    expect(off.json.lines[0]).toMatchObject({ available: false, total: 0 });
    expect(off.json.problems).toEqual([
      expect.objectContaining({ code: 'VARIANT_UNAVAILABLE', variant_id: v }),
    ]);
    const add = await t.request('PATCH', `/v1/carts/current/lines/${v}`, {
      key: s.pk,
      body: { quantity: 3, cart_token: token },
    });
    expect(add.status).toBe(409);
    expect(add.json.error.code).toBe('VARIANT_UNAVAILABLE');
  });

  it('another process sees a price change at its next poll; its checkout charges the new price at once', async () => {
    // No Redis and a poll once a minute: until polled, this process's cart cache holds the old price.
    const two = await testApp({ database: t.database, env: { CACHE_POLL_MS: '60000' } });
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 2500, onHand: 10 });
    const token = await cartToken(two, s.pk, [{ variant_id: v, quantity: 2 }]);
    expect((await getCart(two, s.pk, token)).json.total).toBe(5000);

    await setPrice(t, s.sk, v, 3000);
    // The cart on the other process may show the old price until its feed delivers the change...
    expect((await getCart(two, s.pk, token)).json.total).toBe(5000);
    // ...but the order is the money: checkout reads the variants fresh.
    const paid = await checkout(two, s.pk, token, card(CARDS.success), newKey());
    expect(paid.status, paid.text).toBe(201);
    expect(paid.json.order).toMatchObject({ status: 'paid', total: 6000 });
    expect(paid.json.order.lines[0]).toMatchObject({ unit_price: 3000 });

    await two.catalog.pollChanges();
    const polled = await getCart(two, s.pk, token);
    expect(polled.json.lines[0]).toMatchObject({ unit_price: 3000 });
    expect(polled.json.total).toBe(6000);
  });

  it('a polling process sees a price change made elsewhere within its poll interval', async () => {
    const two = await testApp({ database: t.database, env: { CACHE_POLL_MS: '50' } });
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 1200, onHand: 10 });
    const token = await cartToken(two, s.pk, [{ variant_id: v, quantity: 1 }]);
    expect((await getCart(two, s.pk, token)).json.total).toBe(1200);

    await setPrice(t, s.sk, v, 1500);
    const changedAt = Date.now();
    const seen = await waitFor(
      () => getCart(two, s.pk, token),
      (r) => r.json?.total === 1500,
      2000,
    );
    expect(seen.json.total).toBe(1500);
    expect(Date.now() - changedAt).toBeLessThan(1000);
  });

  it.runIf(process.env.REDIS_URL)(
    'with Redis, another process sees a price change without polling',
    async () => {
      const env = { REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' };
      const one = await testApp({ database: t.database, env });
      const two = await testApp({ database: t.database, env });
      const s = await t.createStore();
      const v = await seedVariant(t, s, { price: 800, onHand: 10 });
      const token = await cartToken(two, s.pk, [{ variant_id: v, quantity: 1 }]);
      expect((await getCart(two, s.pk, token)).json.total).toBe(800);

      await setPrice(one, s.sk, v, 900);
      const seen = await waitFor(
        () => getCart(two, s.pk, token),
        (r) => r.json?.total === 900,
        1000,
      );
      expect(seen.json.total).toBe(900);
    },
  );
});
