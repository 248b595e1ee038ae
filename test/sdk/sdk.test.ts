import { afterAll, describe, expect, it } from 'vitest';
import { retryDelay } from '../../packages/sdk/src/http.ts';
import { CrowdstartError, createClient, memoryStorage } from '../../packages/sdk/src/index.ts';
import { listen } from '../../src/server.ts';
import { CARDS } from '../support/commerce.ts';
import { testApp } from '../support/harness.ts';
import { createProduct, eventually, frontFetch } from './support.ts';

const t = await testApp();
const { port, server } = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.close(() => r())));
const baseUrl = `http://127.0.0.1:${port}`;
const store = await t.createStore({ name: 'SDK store' });
const mug = await createProduct(t, store.sk, { title: 'Stoneware Mug', price: 1800, tags: ['kitchen'] });
const lamp = await createProduct(t, store.sk, { title: 'Brass Desk Lamp', price: 6400, onHand: 3 });
const card = (number: string) => ({ card: { number, exp_month: 12, exp_year: 2099, cvc: '123' } });

const client = (o: { fetch?: typeof fetch; storage?: ReturnType<typeof memoryStorage> } = {}) =>
  createClient({
    key: store.pk,
    baseUrl,
    storage: o.storage ?? memoryStorage(),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });

async function ordersOfStore(): Promise<string[]> {
  const r = await t.request('GET', '/v1/orders?limit=100', { key: store.sk });
  return r.json.data.map((o: { id: string }) => o.id);
}

describe('catalog', () => {
  it('lists products, reads one by id and by slug, and lists a collection by slug', async () => {
    const shop = client();
    const list = await eventually(
      () => shop.products.list({ limit: 100 }),
      (l) => l.data.length === 2,
    );
    expect(list.object).toBe('list');
    expect(list.data.map((p) => p.id).sort()).toEqual([mug.productId, lamp.productId].sort());
    const byId = await shop.products.get(mug.productId);
    expect(byId.title).toBe('Stoneware Mug');
    expect(byId.variants[0]?.price).toBe(1800);
    expect((await shop.products.get(lamp.slug)).id).toBe(lamp.productId);

    const c = await t.request('POST', '/v1/collections', {
      key: store.sk,
      body: { title: 'Desk', slug: 'desk', product_ids: [lamp.productId] },
    });
    expect(c.status).toBe(201);
    const desk = await eventually(
      () => shop.products.list({ collection: 'desk' }),
      (l) => l.data.length === 1,
    );
    expect(desk.data[0]?.id).toBe(lamp.productId);
    expect((await shop.collections.get('desk')).id).toBe(c.json.id);
    expect((await shop.collections.list()).data.map((x) => x.slug)).toContain('desk');
  });

  it('answers an unknown product with a typed 404 carrying the request id the API sent', async () => {
    const e = await client()
      .products.get('no-such-product')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrowdstartError);
    const err = e as CrowdstartError;
    expect(err.status).toBe(404);
    expect(err.code).toMatch(/NOT_FOUND/);
    expect(err.requestId).toMatch(/\S{8,}/);
  });

  it('searches with typo tolerance and facets', async () => {
    const shop = client();
    const r = await eventually(
      () => shop.search.query({ q: 'stonewar mug', limit: 5 }),
      (x) => x.data.length > 0,
    );
    expect(r.data[0]?.id).toBe(mug.productId);
    const none = await shop.search.query({ q: 'lamp', price_max: 1000 });
    expect(none.data).toEqual([]);
  });
});

describe('cart', () => {
  it('adds, updates and removes lines, keeping the token in the storage it was given', async () => {
    const storage = memoryStorage();
    const shop = client({ storage });
    expect(await shop.cart.get()).toBeNull();
    let cart = await shop.cart.add(mug.variantId, 2);
    expect(cart.lines).toMatchObject([{ variant_id: mug.variantId, quantity: 2, unit_price: 1800 }]);
    expect(cart.subtotal).toBe(3600);
    expect(storage.getItem('crowdstart:cart')).toBe(cart.token);

    cart = await shop.cart.add(lamp.variantId);
    cart = await shop.cart.add(mug.variantId, 1);
    expect(cart.lines.map((l) => [l.variant_id, l.quantity])).toEqual([
      [mug.variantId, 3],
      [lamp.variantId, 1],
    ]);
    cart = await shop.cart.update(lamp.variantId, 2);
    expect(cart.subtotal).toBe(3 * 1800 + 2 * 6400);
    cart = await shop.cart.remove(mug.variantId);
    expect(cart.lines.map((l) => l.variant_id)).toEqual([lamp.variantId]);
    expect(storage.getItem('crowdstart:cart')).toBe(cart.token);

    // Another client on the same storage (a new page) finds the same cart.
    const again = await client({ storage }).cart.get();
    expect(again?.id).toBe(cart.id);
    expect(again?.lines.map((l) => [l.variant_id, l.quantity])).toEqual([[lamp.variantId, 2]]);

    const tooMany = await shop.cart.update(lamp.variantId, 50).catch((x: unknown) => x);
    expect(tooMany).toBeInstanceOf(CrowdstartError);
    expect((tooMany as CrowdstartError).status).toBe(409);
    expect((tooMany as CrowdstartError).code).toBe('INSUFFICIENT_STOCK');

    shop.cart.clear();
    expect(storage.getItem('crowdstart:cart')).toBeNull();
    expect(await shop.cart.get()).toBeNull();
  });

  it('forgets a token the API refuses and starts a new cart on the next add', async () => {
    const storage = memoryStorage();
    storage.setItem('crowdstart:cart', 'not.a.token');
    const shop = client({ storage });
    expect(await shop.cart.get()).toBeNull();
    storage.setItem('crowdstart:cart', 'not.a.token');
    const cart = await shop.cart.add(mug.variantId, 1);
    expect(cart.lines).toHaveLength(1);
    expect(storage.getItem('crowdstart:cart')).toBe(cart.token);
  });
});

describe('checkout', () => {
  it('pays for the cart, forgets it, and reads the order back with its secret', async () => {
    const storage = memoryStorage();
    const shop = client({ storage });
    await shop.cart.add(mug.variantId, 1);
    await shop.cart.setEmail('ada@example.com');
    const r = await shop.checkout.complete({ payment: card(CARDS.success) });
    expect(r.order).toMatchObject({ status: 'paid', total: 1800, email: 'ada@example.com' });
    expect(storage.getItem('crowdstart:cart')).toBeNull();
    const order = await shop.orders.getPublic(r.order.id, r.order_secret);
    expect(order.id).toBe(r.order.id);
    const wrong = await shop.orders.getPublic(r.order.id, 'wrong-secret').catch((x: unknown) => x);
    expect(wrong).toBeInstanceOf(CrowdstartError);
    expect((wrong as CrowdstartError).status).toBeGreaterThanOrEqual(400);
  });

  it('a declined card is a typed 402 PAYMENT_DECLINED; the cart stays, and the next attempt has a new key', async () => {
    const { fetch, sent } = frontFetch({});
    const storage = memoryStorage();
    const shop = client({ storage, fetch });
    const cart = await shop.cart.add(mug.variantId, 1);
    await shop.cart.setEmail('grace@example.com');
    const e = await shop.checkout.complete({ payment: card(CARDS.declined) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrowdstartError);
    const err = e as CrowdstartError;
    expect([err.status, err.code, err.type]).toEqual([402, 'PAYMENT_DECLINED', 'payment_error']);
    expect(err.body.decline_code).toBe('card_declined');
    expect(err.message).toBe('The card was declined.');
    expect(err.requestId).toMatch(/\S{8,}/);
    expect(storage.getItem('crowdstart:cart')).not.toBeNull();
    expect((await shop.cart.get())?.id).toBe(cart.id);

    const paid = await shop.checkout.complete({ payment: card(CARDS.success) });
    expect(paid.order.status).toBe('paid');
    const keys = sent
      .filter((s) => s.url.endsWith('/v1/checkout'))
      .map((s) => s.headers.get('idempotency-key'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('retries a checkout whose answer was lost with the same key: one order', async () => {
    const before = (await ordersOfStore()).length;
    const { fetch, sent } = frontFetch({
      loseResponse: (s) =>
        s.url.endsWith('/v1/checkout') && sent.filter((x) => x.url.endsWith('/v1/checkout')).length === 1,
    });
    const shop = client({ fetch });
    await shop.cart.add(lamp.variantId, 1);
    await shop.cart.setEmail('lin@example.com');
    const r = await shop.checkout.complete({ payment: card(CARDS.success) });
    const attempts = sent.filter((s) => s.url.endsWith('/v1/checkout'));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]?.headers.get('idempotency-key')).toBeTruthy();
    expect(attempts[1]?.headers.get('idempotency-key')).toBe(attempts[0]?.headers.get('idempotency-key'));
    expect(attempts[1]?.body).toBe(attempts[0]?.body);
    expect(r.order.status).toBe('paid');
    const after = await ordersOfStore();
    expect(after.length).toBe(before + 1);
    expect(after).toContain(r.order.id);
  });

  it('retries a 502 on checkout with the same key, and keeps the key for a new call after an unknown outcome', async () => {
    const before = (await ordersOfStore()).length;
    // The first send gets a 502 from a proxy; its retry reaches the server but the answer is lost: retries are
    // exhausted and the outcome is unknown.
    let lose = true;
    const checkouts = () => sent.filter((x) => x.url.endsWith('/v1/checkout')).length;
    const { fetch, sent } = frontFetch({
      intercept: (s) =>
        s.url.endsWith('/v1/checkout') && checkouts() === 1 ? new Response('{}', { status: 502 }) : undefined,
      loseResponse: (s) => lose && s.url.endsWith('/v1/checkout'),
    });
    const shop = createClient({ key: store.pk, baseUrl, storage: memoryStorage(), fetch, maxRetries: 1 });
    await shop.cart.add(mug.variantId, 1);
    await shop.cart.setEmail('kay@example.com');
    const e = await shop.checkout.complete({ payment: card(CARDS.success) }).catch((x: unknown) => x);
    expect((e as CrowdstartError).code).toBe('NETWORK_ERROR');
    lose = false;
    // The shopper presses "Pay" again: same attempt, same key, and the server replays the order it made.
    const r = await shop.checkout.complete({ payment: card(CARDS.success) });
    const keys = new Set(
      sent.filter((s) => s.url.endsWith('/v1/checkout')).map((s) => s.headers.get('idempotency-key')),
    );
    expect(sent.filter((s) => s.url.endsWith('/v1/checkout'))).toHaveLength(3);
    expect(keys.size).toBe(1);
    expect((await ordersOfStore()).length).toBe(before + 1);
    expect(r.order.status).toBe('paid');
  });
});

describe('retries', () => {
  it('retries a read after 429 (Retry-After) and 503, then answers', async () => {
    const { fetch, sent } = frontFetch({
      intercept: (_s, n) =>
        n === 1
          ? new Response(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }), {
              status: 429,
              headers: { 'Retry-After': '0', 'Content-Type': 'application/json' },
            })
          : n === 2
            ? new Response('upstream down', { status: 503 })
            : undefined,
    });
    const p = await client({ fetch }).products.get(mug.productId);
    expect(p.id).toBe(mug.productId);
    expect(sent).toHaveLength(3);
  });

  it('gives up after maxRetries with the last error, typed', async () => {
    const { fetch, sent } = frontFetch({
      intercept: () =>
        new Response(JSON.stringify({ error: { code: 'DATABASE_UNAVAILABLE', message: 'down' } }), {
          status: 503,
          headers: { 'Retry-After': '0', 'X-Request-Id': 'req_test_1' },
        }),
    });
    const e = await createClient({ key: store.pk, baseUrl, fetch, storage: memoryStorage(), maxRetries: 3 })
      .products.list()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrowdstartError);
    expect([(e as CrowdstartError).status, (e as CrowdstartError).code]).toEqual([
      503,
      'DATABASE_UNAVAILABLE',
    ]);
    expect((e as CrowdstartError).requestId).toBe('req_test_1');
    expect(sent).toHaveLength(4);
  });

  it('never retries a 5xx or a network error on a mutation without an Idempotency-Key, but does retry its 429', async () => {
    const five = frontFetch({ intercept: () => new Response('{}', { status: 500 }) });
    const e = await client({ fetch: five.fetch })
      .cart.add(mug.variantId, 1)
      .catch((x: unknown) => x);
    expect((e as CrowdstartError).status).toBe(500);
    expect(five.sent).toHaveLength(1);

    const lost = frontFetch({ loseResponse: () => true });
    const n = await client({ fetch: lost.fetch })
      .cart.add(mug.variantId, 1)
      .catch((x: unknown) => x);
    expect((n as CrowdstartError).code).toBe('NETWORK_ERROR');
    expect((n as CrowdstartError).status).toBe(0);
    expect(lost.sent).toHaveLength(1);

    const limited = frontFetch({
      intercept: (_s, i) =>
        i === 1 ? new Response('{}', { status: 429, headers: { 'Retry-After': '0' } }) : undefined,
    });
    const cart = await client({ fetch: limited.fetch }).cart.add(mug.variantId, 1);
    expect(cart.lines).toHaveLength(1);
    expect(limited.sent).toHaveLength(2);
  });

  it('waits the Retry-After seconds when given, else an exponential, jittered, capped delay', () => {
    expect(retryDelay(0, '3')).toBe(3000);
    expect(retryDelay(5, '0')).toBe(0);
    for (let attempt = 0; attempt < 8; attempt++) {
      const d = retryDelay(attempt, null);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(8000, 250 * 2 ** attempt));
    }
  });
});

describe('abort', () => {
  it('an aborted signal stops the call, and stops the wait between retries', async () => {
    const before = new AbortController();
    before.abort();
    const e = await client()
      .products.list({ signal: before.signal })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CrowdstartError);
    expect((e as CrowdstartError).code).toBe('ABORTED');

    const during = new AbortController();
    const { fetch, sent } = frontFetch({
      intercept: () => {
        queueMicrotask(() => during.abort());
        return new Response('{}', { status: 503, headers: { 'Retry-After': '3600' } });
      },
    });
    const w = await client({ fetch })
      .products.get(mug.productId, { signal: during.signal })
      .catch((x: unknown) => x);
    expect((w as CrowdstartError).code).toBe('ABORTED');
    expect(sent).toHaveLength(1);
  });
});

describe('funnel events', () => {
  it('batches events into one request of the contract shape, the key in the body', async () => {
    const { fetch, sent } = frontFetch({});
    const shop = client({ fetch });
    shop.track('product_viewed', { product_id: mug.productId });
    shop.track('product_added', { variant_id: mug.variantId, quantity: 2 });
    await shop.track.flush();
    const batches = sent.filter((s) => s.url === `${baseUrl}/v1/analytics/events`);
    expect(batches).toHaveLength(1);
    const body = JSON.parse(batches[0]?.body ?? '{}');
    expect(body.key).toBe(store.pk);
    expect(body.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.events).toMatchObject([
      { type: 'product_viewed', product_id: mug.productId },
      { type: 'product_added', variant_id: mug.variantId, quantity: 2 },
    ]);
    expect(Number.isNaN(Date.parse(body.events[0].occurred_at))).toBe(false);
  });
});

describe('CORS for the SDK in a browser on another origin', () => {
  it('lets a preflight send every header the SDK sends, on checkout, search and the customer and events routes', async () => {
    for (const path of ['/v1/checkout', '/v1/products/search', '/v1/customers/me', '/v1/analytics/events']) {
      const r = await fetch(`${baseUrl}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://shop.example.com',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key, customer-token',
        },
      });
      expect(r.status, path).toBe(204);
      expect(r.headers.get('access-control-allow-origin'), path).toBe('*');
      const allowed = (r.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const h of [
        'authorization',
        'content-type',
        'idempotency-key',
        'customer-token',
        'x-cart-token',
      ]) {
        expect(allowed, `${path} ${h}`).toContain(h);
      }
    }
  });
});
