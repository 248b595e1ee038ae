import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, E2E_ROOT_TOKEN, e2eDatabase, e2eStore, type Proc, startCrowdstart } from './processes.ts';

/**
 * The money path over real processes: two API processes on one PostgreSQL database.
 * Runs when TEST_DATABASE_URL points at a PostgreSQL server (CI always sets it).
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL!;
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };

let db: Awaited<ReturnType<typeof e2eDatabase>>;
let a: Proc;
let b: Proc;
let store: { id: string; pk: string; sk: string };

async function product(stock: number, price = 2500) {
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  const p = await api(a.url, 'POST', '/v1/products', {
    key: store.sk,
    body: {
      title: `Thing ${sku}`,
      status: 'active',
      options: [{ name: 'Size', values: ['M'] }],
      variants: [{ sku, price, option_values: { Size: 'M' } }],
    },
  });
  expect(p.status, p.text).toBe(201);
  const variantId = p.json.variants[0].id as string;
  const inv = await api(a.url, 'PUT', `/v1/inventory/${variantId}`, {
    key: store.sk,
    body: { on_hand: stock },
  });
  expect(inv.status, inv.text).toBe(200);
  return variantId;
}

async function cart(variantId: string, extra: object = {}) {
  const c = await api(a.url, 'POST', '/v1/carts', {
    key: store.pk,
    body: { email: 'shopper@example.com', lines: [{ variant_id: variantId, quantity: 1 }], ...extra },
  });
  expect(c.status, c.text).toBe(201);
  return c.json.token as string;
}

const checkout = (base: string, token: string, key: string, extra: object = {}) =>
  api(base, 'POST', '/v1/checkout', {
    key: store.pk,
    headers: { 'idempotency-key': key },
    body: { cart_token: token, payment: { card: CARD }, ...extra },
  });

beforeAll(async () => {
  db = await e2eDatabase(ADMIN_URL);
  const env = { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '20', RECONCILE_AFTER_SECONDS: '3600' };
  a = await startCrowdstart('serve', env);
  b = await startCrowdstart('serve', env);
  store = await e2eStore(a.url);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await db?.drop();
});

describe('two API processes on one PostgreSQL', () => {
  it('200 concurrent checkouts of a variant with 10 in stock → exactly 10 paid orders, no oversell', async () => {
    // 200 shoppers, each with a cart of their own (one cart makes at most one order), made while stock lasted.
    const variantId = await product(200);
    const tokens: string[] = [];
    for (let i = 0; i < 200; i += 50) {
      tokens.push(...(await Promise.all(Array.from({ length: 50 }, () => cart(variantId)))));
    }
    // Their soft holds lapse and the stock drops to 10: the checkout's conditional reservation is the only guard.
    await db.pool.query('delete from inventory_hold where variant_id = $1', [variantId]);
    const set = await api(a.url, 'PUT', `/v1/inventory/${variantId}`, {
      key: store.sk,
      body: { on_hand: 10 },
    });
    expect(set.status, set.text).toBe(200);
    const results = await Promise.all(
      tokens.map((token, i) => checkout(i % 2 ? a.url : b.url, token, `race-${i}`)),
    );
    const paid = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(paid).toHaveLength(10);
    expect(refused).toHaveLength(190);
    for (const r of refused) expect(r.json.error.code).toBe('INSUFFICIENT_STOCK');
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    const level = await api(a.url, 'GET', `/v1/inventory/${variantId}`, { key: store.sk });
    expect(level.json).toMatchObject({ on_hand: 0, committed: 0 });
    const { rows } = await db.pool.query(
      `select count(*)::int as n from "order" where store_id = $1 and status = 'paid' and id in (select order_id from order_line where variant_id = $2)`,
      [store.id, variantId],
    );
    expect(rows[0].n).toBe(10);
    const neg = await db.pool.query(
      'select count(*)::int as n from inventory_level where on_hand < 0 or committed < 0',
    );
    expect(neg.rows[0].n).toBe(0);
  });

  it('the same checkout retried with one Idempotency-Key on both processes at once → one order, one capture', async () => {
    const variantId = await product(50);
    const token = await cart(variantId);
    const key = `same-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => checkout(i % 2 ? a.url : b.url, token, key)),
    );
    // Every answer is the order, a replay of it, or "still in flight" — never a second order.
    for (const r of results) expect([201, 409]).toContain(r.status);
    const settled = await checkout(a.url, token, key);
    expect(settled.status).toBe(201);
    const orderIds = new Set(results.filter((r) => r.status === 201).map((r) => r.json.order.id));
    orderIds.add(settled.json.order.id);
    expect(orderIds.size).toBe(1);
    const orders = await db.pool.query('select count(*)::int as n from "order" where checkout_key = $1', [
      key,
    ]);
    expect(orders.rows[0].n).toBe(1);
    const captures = await db.pool.query(
      `select count(*)::int as n from test_gateway_payment where order_id = $1 and amount_captured > 0`,
      [settled.json.order.id],
    );
    expect(captures.rows[0].n).toBe(1);
  });

  it('a coupon limited to 5 uses under 50 concurrent checkouts → exactly 5 redemptions', async () => {
    const variantId = await product(1000);
    const coupon = await api(a.url, 'POST', '/v1/coupons', {
      key: store.sk,
      body: { code: `FIVE${randomUUID().slice(0, 6)}`, kind: 'percent', value: 10, usage_limit: 5 },
    });
    expect(coupon.status, coupon.text).toBe(201);
    const tokens = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const withCoupon = await api(a.url, 'PUT', '/v1/carts/current/coupon', {
          key: store.pk,
          headers: { 'x-cart-token': await cart(variantId) },
          body: { code: coupon.json.code },
        });
        expect(withCoupon.status, withCoupon.text).toBe(200);
        return withCoupon.json.token as string;
      }),
    );
    const results = await Promise.all(
      tokens.map((token, i) => checkout(i % 2 ? a.url : b.url, token, `cpn-${i}`)),
    );
    expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
    const redemptions = await db.pool.query(
      'select count(*)::int as n from coupon_redemption where coupon_id = $1',
      [coupon.json.id],
    );
    expect(redemptions.rows[0].n).toBe(5);
    const used = await db.pool.query('select used_count from coupon where id = $1', [coupon.json.id]);
    expect(used.rows[0].used_count).toBe(5);
    const discounted = results.filter((r) => r.status === 201 && r.json.order.discount_total > 0);
    expect(discounted).toHaveLength(5);
  });

  it('one cart checked out 20 times at once with 20 different keys on both processes → 1 order, 1 capture', async () => {
    const variantId = await product(100);
    const token = await cart(variantId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => checkout(i % 2 ? a.url : b.url, token, `click-${randomUUID()}`)),
    );
    const paid = results.filter((r) => r.status === 201);
    expect(paid).toHaveLength(1);
    const orderId = paid[0]!.json.order.id as string;
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(19);
    for (const r of refused) {
      expect(r.json.error).toMatchObject({ code: 'CART_ALREADY_CHECKED_OUT', order_id: orderId });
    }
    const orders = await db.pool.query('select count(*)::int as n from "order" where cart_id = $1', [
      paid[0]!.json.order.cart_id,
    ]);
    expect(orders.rows[0].n).toBe(1);
    const charges = await db.pool.query(
      'select count(*)::int as n from test_gateway_payment where order_id in (select id from "order" where cart_id = $1)',
      [paid[0]!.json.order.cart_id],
    );
    expect(charges.rows[0].n).toBe(1);
    const level = await api(b.url, 'GET', `/v1/inventory/${variantId}`, { key: store.sk });
    expect(level.json).toMatchObject({ on_hand: 99, committed: 0 });
  });

  it('test and live are two worlds across processes: a live key never pays on the test gateway, sees no test order', async () => {
    const liveKey = async (kind: 'publishable' | 'secret') => {
      const r = await api(a.url, 'POST', `/v1/stores/${store.id}/keys`, {
        key: E2E_ROOT_TOKEN,
        body: { kind, mode: 'live' },
      });
      expect(r.status, r.text).toBe(201);
      return r.json.key as string;
    };
    const [pkLive, skLive] = [await liveKey('publishable'), await liveKey('secret')];
    const variantId = await product(5);
    const test = await checkout(a.url, await cart(variantId), `t-${randomUUID()}`);
    expect(test.status, test.text).toBe(201);
    expect(test.json.order.livemode).toBe(false);
    const liveCart = await api(b.url, 'POST', '/v1/carts', {
      key: pkLive,
      body: { email: 'shopper@example.com', lines: [{ variant_id: variantId, quantity: 1 }] },
    });
    expect(liveCart.status, liveCart.text).toBe(201);
    for (const payment of [{ card: CARD }, { payment_method: 'pm_card_visa' }]) {
      const live = await api(b.url, 'POST', '/v1/checkout', {
        key: pkLive,
        headers: { 'idempotency-key': `l-${randomUUID()}` },
        body: { cart_token: liveCart.json.token, payment },
      });
      expect(live.status, live.text).toBe(400);
      expect(['TEST_CARD_IN_LIVE_MODE', 'LIVE_GATEWAY_NOT_CONFIGURED']).toContain(live.json.error.code);
    }
    const liveOrders = await api(b.url, 'GET', '/v1/orders', { key: skLive });
    expect(liveOrders.status).toBe(200);
    expect(liveOrders.json.data).toHaveLength(0);
    expect((await api(a.url, 'GET', `/v1/orders/${test.json.order.id}`, { key: skLive })).status).toBe(404);
    const testOrders = await api(a.url, 'GET', '/v1/orders?limit=100', { key: store.sk });
    expect(testOrders.json.data.every((o: { livemode: boolean }) => o.livemode === false)).toBe(true);
    const live = await db.pool.query('select count(*)::int as n from "order" where livemode');
    expect(live.rows[0].n).toBe(0);
  });
});
