import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROOT_TOKEN, testApp } from '../../../test/support/harness.ts';
import { createApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { fixedClock } from '../../shared/clock.ts';
import { newId } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/logger.ts';
import { product, variant } from '../catalog/index.ts';
import { inventoryHold, inventoryLevel } from '../inventory/index.ts';
import { coupon, shippingRate, taxRate } from '../pricing/index.ts';
import { createCartModule } from './index.ts';

const clock = fixedClock(new Date());
const t = await testApp({ clock, env: { CART_TTL_SECONDS: '3600' } });
const db = t.database.db;

let seq = 0;
/** A product with one variant, inserted straight into the tables (the catalog API is not under test here). */
async function makeVariant(
  storeId: string,
  opts: {
    price?: number;
    stock?: number | null;
    status?: 'active' | 'draft';
    weight?: number;
    title?: string;
  } = {},
) {
  const n = ++seq;
  const productId = newId('product');
  const variantId = newId('variant');
  const price = opts.price ?? 1000;
  await db.insert(product).values({
    id: productId,
    storeId,
    title: opts.title ?? `Product ${n}`,
    slug: `product-${n}-${productId.slice(-6)}`,
    status: opts.status ?? 'active',
    priceMin: price,
    priceMax: price,
  });
  await db.insert(variant).values({
    id: variantId,
    storeId,
    productId,
    sku: `SKU-${n}-${variantId.slice(-6)}`,
    title: 'Default',
    price,
    weightGrams: opts.weight ?? 100,
  });
  if (opts.stock !== null)
    await db.insert(inventoryLevel).values({ variantId, storeId, onHand: opts.stock ?? 100 });
  return { productId, variantId };
}

type Store = Awaited<ReturnType<typeof t.createStore>>;

async function newCart(store: Store, body: object = {}) {
  const r = await t.request('POST', '/v1/carts', { key: store.pk, body });
  expect(r.status, r.text).toBe(201);
  return r.json;
}

function call(store: Store, method: string, path: string, token: string | undefined, body?: object) {
  return t.request(method, path, {
    key: store.pk,
    body,
    headers: token === undefined ? {} : { 'x-cart-token': token },
  });
}

async function holdsOf(cartId: string) {
  return db
    .select({ variantId: inventoryHold.variantId, qty: inventoryHold.qty })
    .from(inventoryHold)
    .where(eq(inventoryHold.cartId, cartId));
}

/** The product's current version (product writes check it). */
async function productVersion(sk: string, productId: string): Promise<number> {
  const r = await t.request('GET', `/v1/products/${productId}`, { key: sk });
  return r.json.version as number;
}

describe('carts', () => {
  it('starts an empty cart with a token and zero totals', async () => {
    const store = await t.createStore();
    const cart = await newCart(store);
    expect(cart).toMatchObject({
      object: 'cart',
      currency: 'USD',
      lines: [],
      subtotal: 0,
      total: 0,
      coupon: null,
      email: null,
      problems: [],
    });
    expect(cart.id).toMatch(/^cart_[0-9a-z]{26}$/);
    expect(cart.token.split('.')).toHaveLength(3);
    expect(new Date(cart.expires_at).getTime()).toBe(
      Math.floor(clock.now().getTime() / 1000) * 1000 + 3_600_000,
    );
    const got = await call(store, 'GET', '/v1/carts/current', cart.token);
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(cart.id);
  });

  it('adds, updates and removes lines, with totals and holds following', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 1250 });
    const b = await makeVariant(store.id, { price: 399 });
    let cart = await newCart(store, { email: 'shopper@example.com' });

    let r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: a.variantId,
      quantity: 2,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.token).not.toBe(cart.token);
    cart = r.json;
    r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: a.variantId,
      quantity: 1,
    });
    cart = r.json;
    r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, { variant_id: b.variantId });
    cart = r.json;
    expect(cart.lines).toMatchObject([
      {
        variant_id: a.variantId,
        product_id: a.productId,
        quantity: 3,
        unit_price: 1250,
        subtotal: 3750,
        total: 3750,
        available: true,
      },
      { variant_id: b.variantId, quantity: 1, unit_price: 399, subtotal: 399 },
    ]);
    expect(cart).toMatchObject({
      subtotal: 4149,
      total: 4149,
      discount_total: 0,
      email: 'shopper@example.com',
    });
    expect(await holdsOf(cart.id)).toEqual(
      expect.arrayContaining([
        { variantId: a.variantId, qty: 3 },
        { variantId: b.variantId, qty: 1 },
      ]),
    );

    r = await call(store, 'PATCH', `/v1/carts/current/lines/${a.variantId}`, cart.token, { quantity: 1 });
    expect(r.status, r.text).toBe(200);
    cart = r.json;
    expect(cart.subtotal).toBe(1649);
    expect((await holdsOf(cart.id)).find((h) => h.variantId === a.variantId)?.qty).toBe(1);

    r = await call(store, 'DELETE', `/v1/carts/current/lines/${b.variantId}`, cart.token);
    expect(r.status, r.text).toBe(200);
    cart = r.json;
    expect(cart.lines.map((l: { variant_id: string }) => l.variant_id)).toEqual([a.variantId]);
    expect(await holdsOf(cart.id)).toEqual([{ variantId: a.variantId, qty: 1 }]);

    r = await call(store, 'PATCH', `/v1/carts/current/lines/${a.variantId}`, cart.token, { quantity: 0 });
    expect(r.json.lines).toEqual([]);
    expect(r.json.total).toBe(0);
    expect(await holdsOf(cart.id)).toEqual([]);

    const missing = await call(store, 'PATCH', `/v1/carts/current/lines/${b.variantId}`, r.json.token, {
      quantity: 2,
    });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'CART_LINE_NOT_FOUND', param: 'variant_id' });
  });

  it('creates a cart with lines, merging repeated variants, and accepts the token in the body', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 500 });
    const cart = await newCart(store, {
      lines: [
        { variant_id: a.variantId, quantity: 1 },
        { variant_id: a.variantId, quantity: 2 },
      ],
    });
    expect(cart.lines).toMatchObject([{ variant_id: a.variantId, quantity: 3, subtotal: 1500 }]);
    expect(await holdsOf(cart.id)).toEqual([{ variantId: a.variantId, qty: 3 }]);
    const r = await call(store, 'PUT', '/v1/carts/current/email', undefined, {
      email: 'x@example.com',
      cart_token: cart.token,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.email).toBe('x@example.com');
  });

  it('takes the token from the body of a DELETE, and starts a cart from a bodiless POST', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id);
    const cart = await newCart(store, { lines: [{ variant_id: a.variantId, quantity: 1 }] });
    const r = await call(store, 'DELETE', `/v1/carts/current/lines/${a.variantId}`, undefined, {
      cart_token: cart.token,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.lines).toEqual([]);
    // A bodiless POST starts an empty cart too.
    const empty = await t.request('POST', '/v1/carts', { key: store.pk });
    expect(empty.status).toBe(201);
    expect(empty.json.lines).toEqual([]);
  });

  it('re-prices from the catalog on every call', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 1000 });
    const cart = await newCart(store, { lines: [{ variant_id: a.variantId, quantity: 2 }] });
    expect(cart.total).toBe(2000);
    // Through the API: the catalog's change feed is what tells the cart routes' variant cache.
    const patched = await t.request('PATCH', `/v1/variants/${a.variantId}`, {
      key: store.sk,
      body: { price: 1500 },
    });
    expect(patched.status, patched.text).toBe(200);
    const r = await call(store, 'GET', '/v1/carts/current', cart.token);
    expect(r.json.lines[0].unit_price).toBe(1500);
    expect(r.json.total).toBe(3000);
  });

  it('flags a line that went off sale and drops one whose variant was deleted', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 1000 });
    const b = await makeVariant(store.id, { price: 200 });
    const c = await makeVariant(store.id, { price: 30 });
    const cart = await newCart(store, {
      lines: [
        { variant_id: a.variantId, quantity: 1 },
        { variant_id: b.variantId, quantity: 1 },
        { variant_id: c.variantId, quantity: 1 },
      ],
    });
    const draft = await t.request('PATCH', `/v1/products/${a.productId}`, {
      key: store.sk,
      body: { status: 'draft', version: await productVersion(store.sk, a.productId) },
    });
    expect(draft.status, draft.text).toBe(200);
    const deleted = await t.request('DELETE', `/v1/products/${b.productId}`, { key: store.sk });
    expect(deleted.status, deleted.text).toBe(200);
    const r = await call(store, 'GET', '/v1/carts/current', cart.token);
    expect(r.status, r.text).toBe(200);
    expect(r.json.lines).toMatchObject([
      { variant_id: a.variantId, available: false, total: 0 },
      { variant_id: c.variantId, available: true, total: 30 },
    ]);
    expect(r.json.total).toBe(30);
    expect(r.json.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'VARIANT_UNAVAILABLE', variant_id: a.variantId }),
        expect.objectContaining({ code: 'VARIANT_NOT_FOUND', variant_id: b.variantId }),
      ]),
    );
    // The new token no longer carries the deleted variant.
    const again = await call(store, 'GET', '/v1/carts/current', r.json.token);
    expect(again.json.problems).toEqual([expect.objectContaining({ code: 'VARIANT_UNAVAILABLE' })]);
  });

  it('refuses unknown, foreign and unavailable variants', async () => {
    const store = await t.createStore();
    const other = await t.createStore();
    const foreign = await makeVariant(other.id);
    const draft = await makeVariant(store.id, { status: 'draft' });
    const cart = await newCart(store);
    for (const id of [newId('variant'), foreign.variantId]) {
      const r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
        variant_id: id,
        quantity: 1,
      });
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'VARIANT_NOT_FOUND', param: 'variant_id' });
    }
    const r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: draft.variantId,
      quantity: 1,
    });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('VARIANT_UNAVAILABLE');
    const c = await t.request('POST', '/v1/carts', {
      key: store.pk,
      body: { lines: [{ variant_id: foreign.variantId, quantity: 1 }] },
    });
    expect(c.json.error).toMatchObject({ code: 'VARIANT_NOT_FOUND', param: 'lines.0.variant_id' });
    const bad = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: 'prod_x',
      quantity: 1,
    });
    expect(bad.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'variant_id' });
  });

  it('never takes a price, total or unknown field from the client', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 1000 });
    const cart = await newCart(store);
    const r = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: a.variantId,
      quantity: 1,
      unit_price: 1,
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'unit_price' });
    const c = await t.request('POST', '/v1/carts', {
      key: store.pk,
      body: { lines: [{ variant_id: a.variantId, quantity: 1, price: 1 }] },
    });
    expect(c.status).toBe(400);
    expect(c.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'lines.0.price' });
    const t2 = await t.request('POST', '/v1/carts', { key: store.pk, body: { total: 0 } });
    expect(t2.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'total' });
    const q = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: a.variantId,
      quantity: 10_000,
    });
    expect(q.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'quantity' });
    const addr = await call(store, 'PUT', '/v1/carts/current/shipping-address', cart.token, {
      country: 'US',
      shipping: 0,
    });
    expect(addr.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'shipping' });
  });

  it('bounds a cart at 100 lines and 9999 per line', async () => {
    const store = await t.createStore();
    const lines = Array.from({ length: 101 }, () => ({ variant_id: newId('variant'), quantity: 1 }));
    const r = await t.request('POST', '/v1/carts', { key: store.pk, body: { lines } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('CART_TOO_MANY_LINES');
    const a = await makeVariant(store.id, { stock: 20_000 });
    const cart = await newCart(store, { lines: [{ variant_id: a.variantId, quantity: 9999 }] });
    const more = await call(store, 'POST', '/v1/carts/current/lines', cart.token, {
      variant_id: a.variantId,
      quantity: 1,
    });
    expect(more.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'quantity' });
  });

  it('answers every bad token with a precise 400', async () => {
    const store = await t.createStore();
    const cart = await newCart(store);
    const code = async (token: string | undefined) => {
      const r = await call(store, 'GET', '/v1/carts/current', token);
      expect(r.status).toBe(400);
      return r.json.error.code;
    };
    expect(await code(undefined)).toBe('CART_TOKEN_MISSING');
    expect(await code('garbage')).toBe('CART_TOKEN_MALFORMED');
    expect(await code('x'.repeat(8193))).toBe('CART_TOKEN_TOO_LARGE');
    const [h, p, s] = cart.token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.l = [[newId('variant'), 5]];
    expect(await code(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`)).toBe(
      'CART_TOKEN_INVALID_SIGNATURE',
    );
    const body = await t.request('POST', '/v1/carts/current/lines', {
      key: store.pk,
      body: { variant_id: newId('variant'), quantity: 1, cart_token: 'x'.repeat(9000) },
    });
    expect(body.json.error.code).toBe('CART_TOKEN_TOO_LARGE');
  });

  it('expires tokens after CART_TTL_SECONDS, and every call extends the cart', async () => {
    const store = await t.createStore();
    const cart = await newCart(store);
    clock.advance(3000 * 1000);
    const r = await call(store, 'GET', '/v1/carts/current', cart.token);
    expect(r.status).toBe(200);
    clock.advance(1000 * 1000);
    const old = await call(store, 'GET', '/v1/carts/current', cart.token);
    expect(old.status).toBe(400);
    expect(old.json.error.code).toBe('CART_TOKEN_EXPIRED');
    const renewed = await call(store, 'GET', '/v1/carts/current', r.json.token);
    expect(renewed.status).toBe(200);
  });

  it('keeps stores apart: a token or a variant of another store is refused', async () => {
    const a = await t.createStore();
    const b = await t.createStore();
    const va = await makeVariant(a.id);
    const cartA = await newCart(a, { lines: [{ variant_id: va.variantId, quantity: 1 }] });
    const r = await call(b, 'GET', '/v1/carts/current', cartA.token);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('CART_TOKEN_WRONG_STORE');
    const w = await call(b, 'POST', '/v1/carts/current/lines', cartA.token, {
      variant_id: va.variantId,
      quantity: 1,
    });
    expect(w.json.error.code).toBe('CART_TOKEN_WRONG_STORE');
    const cartB = await newCart(b);
    const x = await call(b, 'POST', '/v1/carts/current/lines', cartB.token, {
      variant_id: va.variantId,
      quantity: 1,
    });
    expect(x.json.error.code).toBe('VARIANT_NOT_FOUND');
    // A secret key works too; no key does not.
    const sk = await t.request('GET', '/v1/carts/current', {
      key: a.sk,
      headers: { 'x-cart-token': cartA.token },
    });
    expect(sk.status).toBe(200);
    const none = await t.request('GET', '/v1/carts/current', { headers: { 'x-cart-token': cartA.token } });
    expect(none.status).toBe(401);
  });

  it('holds stock: two carts cannot take the last unit', async () => {
    const store = await t.createStore();
    const last = await makeVariant(store.id, { stock: 1 });
    const one = await newCart(store);
    const two = await newCart(store);
    const first = await call(store, 'POST', '/v1/carts/current/lines', one.token, {
      variant_id: last.variantId,
      quantity: 1,
    });
    expect(first.status, first.text).toBe(200);
    const second = await call(store, 'POST', '/v1/carts/current/lines', two.token, {
      variant_id: last.variantId,
      quantity: 1,
    });
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('INSUFFICIENT_STOCK');
    const more = await call(store, 'PATCH', `/v1/carts/current/lines/${last.variantId}`, first.json.token, {
      quantity: 2,
    });
    expect(more.json.error.code).toBe('INSUFFICIENT_STOCK');
    // The first cart lets go: the unit is free for the second.
    const freed = await call(store, 'DELETE', `/v1/carts/current/lines/${last.variantId}`, first.json.token);
    expect(freed.status).toBe(200);
    const retry = await call(store, 'POST', '/v1/carts/current/lines', two.token, {
      variant_id: last.variantId,
      quantity: 1,
    });
    expect(retry.status, retry.text).toBe(200);
    const none = await makeVariant(store.id, { stock: null });
    const r = await call(store, 'POST', '/v1/carts/current/lines', two.token, {
      variant_id: none.variantId,
      quantity: 1,
    });
    expect(r.json.error.code).toBe('INSUFFICIENT_STOCK');
  });

  it('holds stock under concurrency: of five carts racing for three units, the units go once', async () => {
    const store = await t.createStore();
    const hot = await makeVariant(store.id, { stock: 3 });
    const carts = await Promise.all(Array.from({ length: 5 }, () => newCart(store)));
    const results = await Promise.all(
      carts.map((c) =>
        call(store, 'POST', '/v1/carts/current/lines', c.token, { variant_id: hot.variantId, quantity: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(
      results.filter((r) => r.status === 409).every((r) => r.json.error.code === 'INSUFFICIENT_STOCK'),
    ).toBe(true);
    const held = await db.select().from(inventoryHold).where(eq(inventoryHold.variantId, hot.variantId));
    expect(held.reduce((a, h) => a + h.qty, 0)).toBe(3);
  });

  it('holds for the store hold TTL: an expired hold frees the unit', async () => {
    const store = await t.createStore({ settings: { hold_ttl_seconds: 60 } });
    const last = await makeVariant(store.id, { stock: 1 });
    const one = await newCart(store, { lines: [{ variant_id: last.variantId, quantity: 1 }] });
    const [hold] = await db.select().from(inventoryHold).where(eq(inventoryHold.cartId, one.id));
    expect(hold!.expiresAt.getTime() - clock.now().getTime()).toBe(60_000);
    clock.advance(61_000);
    const two = await newCart(store, { lines: [{ variant_id: last.variantId, quantity: 1 }] });
    expect(two.lines[0].quantity).toBe(1);
  });

  it('applies coupons and reports why one does not apply', async () => {
    const store = await t.createStore();
    const a = await makeVariant(store.id, { price: 2000 });
    await db.insert(coupon).values([
      { id: newId('coupon'), storeId: store.id, code: 'TENOFF', kind: 'percent', value: 10 },
      {
        id: newId('coupon'),
        storeId: store.id,
        code: 'BIGSPEND',
        kind: 'fixed',
        value: 500,
        minSubtotal: 10_000,
      },
    ]);
    let cart = await newCart(store, { lines: [{ variant_id: a.variantId, quantity: 1 }] });
    const unknown = await call(store, 'PUT', '/v1/carts/current/coupon', cart.token, { code: 'NOPE' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'COUPON_NOT_FOUND', param: 'code' });
    let r = await call(store, 'PUT', '/v1/carts/current/coupon', cart.token, { code: 'tenoff' });
    expect(r.status, r.text).toBe(200);
    cart = r.json;
    expect(cart).toMatchObject({
      subtotal: 2000,
      discount_total: 200,
      total: 1800,
      coupon: { code: 'TENOFF', applied: true },
    });
    expect(cart.lines[0].discount).toBe(200);
    r = await call(store, 'PUT', '/v1/carts/current/coupon', cart.token, { code: 'BIGSPEND' });
    expect(r.json).toMatchObject({
      total: 2000,
      coupon: { code: 'BIGSPEND', applied: false, reason: 'min_subtotal' },
    });
    r = await call(store, 'DELETE', '/v1/carts/current/coupon', r.json.token);
    expect(r.json).toMatchObject({ total: 2000, coupon: null });
    // A coupon deleted after it was applied is dropped with a problem, not an error.
    const applied = await call(store, 'PUT', '/v1/carts/current/coupon', r.json.token, { code: 'TENOFF' });
    await db.delete(coupon).where(and(eq(coupon.storeId, store.id), eq(coupon.code, 'TENOFF')));
    const after = await call(store, 'GET', '/v1/carts/current', applied.json.token);
    expect(after.json).toMatchObject({
      coupon: null,
      total: 2000,
      problems: [expect.objectContaining({ code: 'COUPON_NOT_FOUND' })],
    });
  });

  it('prices shipping and tax from the addresses and the chosen rate', async () => {
    const store = await t.createStore();
    await db
      .insert(taxRate)
      .values({ id: newId('taxRate'), storeId: store.id, country: 'FR', rate: 2000, name: 'TVA' });
    const rateId = newId('shippingRate');
    await db.insert(shippingRate).values([
      { id: rateId, storeId: store.id, name: 'Colissimo', countries: ['FR'], kind: 'flat', amount: 700 },
      {
        id: newId('shippingRate'),
        storeId: store.id,
        name: 'World',
        countries: ['*'],
        kind: 'flat',
        amount: 2500,
      },
    ]);
    const a = await makeVariant(store.id, { price: 1000 });
    let cart = await newCart(store, { lines: [{ variant_id: a.variantId, quantity: 2 }] });
    const early = await call(store, 'PUT', '/v1/carts/current/shipping-rate', cart.token, {
      shipping_rate_id: rateId,
    });
    expect(early.json.error).toMatchObject({ code: 'SHIPPING_RATE_NOT_FOUND', param: 'shipping_rate_id' });

    let r = await call(store, 'PUT', '/v1/carts/current/shipping-address', cart.token, {
      name: 'Ana',
      line1: '1 rue de Rivoli',
      city: 'Paris',
      postal_code: '75001',
      country: 'fr',
    });
    expect(r.status, r.text).toBe(200);
    cart = r.json;
    expect(cart.shipping_address).toMatchObject({ country: 'FR', city: 'Paris' });
    expect(cart.shipping_options).toEqual([{ id: rateId, name: 'Colissimo', amount: 700 }]);
    expect(cart).toMatchObject({ subtotal: 2000, tax_total: 400, total: 2400, shipping: null });

    const unknown = await call(store, 'PUT', '/v1/carts/current/shipping-rate', cart.token, {
      shipping_rate_id: 'shr_nope',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('SHIPPING_RATE_NOT_FOUND');
    r = await call(store, 'PUT', '/v1/carts/current/shipping-rate', cart.token, { shipping_rate_id: rateId });
    expect(r.status, r.text).toBe(200);
    cart = r.json;
    expect(cart).toMatchObject({ shipping_total: 700, total: 3100, shipping: { id: rateId, amount: 700 } });

    r = await call(store, 'PUT', '/v1/carts/current/billing-address', cart.token, {
      country: 'DE',
      city: 'Berlin',
    });
    expect(r.json.billing_address).toEqual({ country: 'DE', city: 'Berlin' });
    expect(r.json.total).toBe(3100);
    // Moving the destination where the chosen rate does not go drops the choice, with a problem.
    r = await call(store, 'PUT', '/v1/carts/current/shipping-address', r.json.token, { country: 'US' });
    expect(r.json).toMatchObject({ shipping: null, tax_total: 0, total: 2000 });
    expect(r.json.problems).toEqual([expect.objectContaining({ code: 'SHIPPING_RATE_NOT_FOUND' })]);
    expect(r.json.shipping_options.map((o: { name: string }) => o.name)).toEqual(['World']);
  });

  it('refuses another currency than the store sells in', async () => {
    const store = await t.createStore({ currency: 'EUR' });
    const r = await t.request('POST', '/v1/carts', { key: store.pk, body: { currency: 'USD' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'CURRENCY_MISMATCH', param: 'currency' });
    const ok = await newCart(store, { currency: 'EUR' });
    expect(ok.currency).toBe('EUR');
  });

  it('shares the database signing key between processes, and rotates configured keys', async () => {
    const store = await t.createStore();
    const cart = await newCart(store);
    const base = {
      LOG_LEVEL: 'silent',
      CROWDSTART_ROOT_TOKEN: ROOT_TOKEN,
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    };
    const appFor = (env: Record<string, string>) =>
      createApp({
        config: loadConfig({ ...base, ...env }),
        database: t.database,
        logger: silentLogger,
        clock,
      });
    const get = (app: ReturnType<typeof appFor>, token: string) =>
      app.app.request('/v1/carts/current', {
        headers: { authorization: `Bearer ${store.pk}`, 'x-cart-token': token },
      });

    // Another process on the same database with zero config verifies this process's carts.
    const sibling = appFor({});
    expect((await get(sibling, cart.token)).status).toBe(200);

    const oldKey = `old:${'o'.repeat(40)}`;
    const before = appFor({ CART_SIGNING_KEYS: oldKey });
    const res = await before.app.request('/v1/carts', {
      method: 'POST',
      headers: { authorization: `Bearer ${store.pk}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const oldToken = ((await res.json()) as { token: string }).token;
    const after = appFor({ CART_SIGNING_KEYS: `new:${'n'.repeat(40)},${oldKey}` });
    const verified = await get(after, oldToken);
    expect(verified.status).toBe(200);
    const newToken = ((await verified.json()) as { token: string }).token;
    expect(JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid).toBe('new');
    // The database key is not in the configured ring, and the old process does not know the new key.
    expect(((await (await get(after, cart.token)).json()) as any).error.code).toBe(
      'CART_TOKEN_INVALID_SIGNATURE',
    );
    expect(((await (await get(before, newToken)).json()) as any).error.code).toBe(
      'CART_TOKEN_INVALID_SIGNATURE',
    );
    for (const a of [sibling, before, after]) await a.close();
  });

  it('documents the cart routes in the OpenAPI document', async () => {
    const { routes } = createCartModule({ ...t.deps, auth: t.deps.auth.any });
    const doc = routes.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'carts', version: '1' } });
    expect(Object.keys(doc.paths ?? {})).toEqual(
      expect.arrayContaining(['/v1/carts', '/v1/carts/current', '/v1/carts/current/lines/{variant_id}']),
    );
    const add = doc.paths?.['/v1/carts/current/lines']?.post;
    expect(add?.parameters).toEqual([expect.objectContaining({ in: 'header', name: 'x-cart-token' })]);
  });
});
