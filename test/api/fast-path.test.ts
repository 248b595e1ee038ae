import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { testApp } from '../support/harness.ts';

/** The cached product read answered before the router must be indistinguishable from the routed one. */
const t = await testApp({ env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '6' } });
const { port, server } = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.close(() => r())));
const base = `http://127.0.0.1:${port}`;
const store = await t.createStore();
const created = await t.request('POST', '/v1/products', {
  key: store.sk,
  body: {
    title: 'Fast Lamp',
    status: 'active',
    options: [{ name: 'Color', values: ['Red'] }],
    variants: [{ sku: 'FAST-1', price: 1000, option_values: { Color: 'Red' } }],
  },
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${store.pk}`, ...headers } });

describe('catalog fast path', () => {
  it('answers like the router: same body, validators, cache, CORS and trace headers', async () => {
    expect(created.status).toBe(201);
    const routed = await get('/v1/products/fast-lamp'); // fills the key and product caches
    const routedBody = await routed.text();
    const hitsBefore =
      (await t.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === 'product')?.value ?? 0;
    const fast = await get('/v1/products/fast-lamp', { 'x-request-id': 'fast-1' });
    const fastBody = await fast.text();
    expect(fast.status).toBe(200);
    expect(fastBody).toBe(routedBody);
    for (const h of [
      'etag',
      'cache-control',
      'content-type',
      'vary',
      'access-control-allow-origin',
      'access-control-expose-headers',
      'ratelimit-policy',
    ]) {
      expect(fast.headers.get(h), h).toBe(routed.headers.get(h));
    }
    // The IETF rate-limit headers on both; the fast path took one more token.
    const remaining = (r: Response) => /^"default";r=(\d+);t=(\d+)$/.exec(r.headers.get('ratelimit') ?? '');
    expect(routed.headers.get('ratelimit-policy')).toBe('"default";q=6;w=6');
    expect(remaining(routed), 'routed RateLimit').not.toBeNull();
    expect(remaining(fast), 'fast RateLimit').not.toBeNull();
    expect(Number(remaining(fast)![1])).toBeLessThan(Number(remaining(routed)![1]));
    expect(fast.headers.get('x-request-id')).toBe('fast-1');
    expect(fast.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    const hitsAfter =
      (await t.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === 'product')?.value ?? 0;
    expect(hitsAfter).toBe(hitsBefore + 1);

    const notModified = await get('/v1/products/fast-lamp', { 'if-none-match': fast.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
  });

  it('leaves everything else to the router: unknown keys, secret keys, misses, and the rate limit', async () => {
    const bad = await fetch(`${base}/v1/products/fast-lamp`, {
      headers: { authorization: 'Bearer pk_test_nope' },
    });
    expect(bad.status).toBe(401);
    const missing = await get('/v1/products/no-such-thing');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('PRODUCT_NOT_FOUND');
    const secret = await fetch(`${base}/v1/products/fast-lamp`, {
      headers: { authorization: `Bearer ${store.sk}` },
    });
    expect(secret.headers.get('cache-control')).toBe('private, no-store');
    let limited: Response | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await get('/v1/products/fast-lamp');
      if (r.status === 429) limited = r;
    }
    expect(limited?.headers.get('retry-after')).toBeTruthy();
    expect(limited?.headers.get('ratelimit-policy')).toBe('"default";q=6;w=6');
    expect(limited?.headers.get('ratelimit')).toMatch(/^"default";r=0;t=[1-9]\d*$/);
    expect((await limited!.json()).error.code).toBe('RATE_LIMITED');
  });
});

/** A second process on the same database, with the default rate limit, counting what reaches its router. */
const pages = await testApp({ database: t.database });
let routedCount = 0;
const fetchThroughRouter = pages.app.fetch;
pages.app.fetch = ((...args: Parameters<typeof fetchThroughRouter>) => {
  routedCount++;
  return fetchThroughRouter(...args);
}) as typeof fetchThroughRouter;
const pagesHttp = await listen(pages, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => pagesHttp.server.close(() => r())));

describe('catalog fast path for list pages and repeated searches', async () => {
  const s = await pages.createStore();
  const read = (path: string, headers: Record<string, string> = {}, key = s.pk) =>
    fetch(`http://127.0.0.1:${pagesHttp.port}${path}`, {
      headers: { authorization: `Bearer ${key}`, ...headers },
    });
  const counted = async (kind: string) =>
    (await pages.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
  /** Requests logged per route label (the access log and the duration histogram share it). */
  const logged = async (route: string) =>
    (await pages.deps.metrics.httpDuration.get()).values
      .filter((v) => v.metricName?.endsWith('_count') && v.labels.route === route)
      .reduce((sum, v) => sum + v.value, 0);
  /** The same request twice: through the router, then before it; both answers. */
  async function routedThenFast(path: string, kind: 'list' | 'search', route: string) {
    const routed = await read(path);
    const routedBody = await routed.text();
    expect(routed.status, routedBody).toBe(200);
    const [hits, before, routes] = [await counted(kind), routedCount, await logged(route)];
    const fast = await read(path, { 'x-request-id': `fast-${kind}` });
    const fastBody = await fast.text();
    expect(routedCount, `${path} was answered before the router`).toBe(before);
    expect(await counted(kind)).toBe(hits + 1);
    expect(await logged(route)).toBe(routes + 1);
    expect(fast.status).toBe(200);
    expect(fastBody).toBe(routedBody);
    const names = (r: Response) => [...r.headers.keys()].filter((h) => h !== 'date').sort();
    expect(names(fast)).toEqual(names(routed));
    for (const h of names(routed)) {
      if (h === 'x-request-id' || h === 'traceparent' || h === 'ratelimit') continue;
      expect(fast.headers.get(h), h).toBe(routed.headers.get(h));
    }
    expect(fast.headers.get('x-request-id')).toBe(`fast-${kind}`);
    expect(fast.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect(fast.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
    return { routed, fast, body: fastBody };
  }
  const lamp = await pages.request('POST', '/v1/products', {
    key: s.sk,
    body: { title: 'Walnut Lamp', status: 'active', variants: [{ sku: 'WAL-1', price: 1000 }] },
  });
  const stand = await pages.request('POST', '/v1/products', {
    key: s.sk,
    body: { title: 'Walnut Stand', status: 'active', variants: [{ sku: 'WAL-2', price: 2000 }] },
  });
  await pages.catalog.pollChanges();
  const variantOf = (p: typeof lamp) => p.json.variants[0].id as string;
  const setStock = async (p: typeof lamp, onHand: number) => {
    const r = await pages.request('PUT', `/v1/inventory/${variantOf(p)}`, {
      key: s.sk,
      body: { on_hand: onHand },
    });
    expect(r.status, r.text).toBe(200);
  };

  it('answers a list page like the router: body, validators, cache, CORS and trace headers, 304', async () => {
    expect([lamp.status, stand.status]).toEqual([201, 201]);
    const { fast, body } = await routedThenFast('/v1/products?limit=1', 'list', '/v1/products');
    const page = JSON.parse(body);
    expect(page.has_more).toBe(true);
    expect(fast.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const before = routedCount;
    const notModified = await read('/v1/products?limit=1', { 'if-none-match': fast.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    // The next page, by its cursor, the same way.
    await routedThenFast(`/v1/products?limit=1&cursor=${page.next_cursor}`, 'list', '/v1/products');
    expect(routedCount - before).toBe(1);
  });

  it('answers a repeated search like the router (no 304: the search route has none)', async () => {
    const { fast, body } = await routedThenFast(
      '/v1/products/search?q=walnut',
      'search',
      '/v1/products/search',
    );
    expect(JSON.parse(body).data).toHaveLength(2);
    const again = await read('/v1/products/search?q=walnut', { 'if-none-match': fast.headers.get('etag')! });
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(body);
  });

  it('leaves to the router what it has not answered: other spellings, bad queries, secret keys', async () => {
    const before = routedCount;
    const unknown = await read('/v1/products?limit=1&colour=red');
    expect(unknown.status).toBe(400);
    expect((await read('/v1/products?limit=1&colour=red')).status).toBe(400);
    const bad = await read('/v1/products?limit=1&cursor=nope');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('INVALID_CURSOR');
    expect((await read('/v1/products?status=draft')).status).toBe(403);
    const secret = await read('/v1/products?limit=1', {}, s.sk);
    expect(secret.status).toBe(200);
    expect(secret.headers.get('cache-control')).toBe('private, no-store');
    expect(routedCount - before).toBe(5);
  });

  it('never serves a page a product change or a stock change across zero retired', async () => {
    await read('/v1/products'); // remembered
    await read('/v1/products/search?q=walnut&in_stock=true');
    const titles = async () =>
      (await (await read('/v1/products')).json()).data.map((p: { title: string }) => p.title);
    expect(await titles()).toEqual(['Walnut Lamp', 'Walnut Stand']);
    const renamed = await pages.request('PATCH', `/v1/products/${lamp.json.id}`, {
      key: s.sk,
      body: { version: lamp.json.version, title: 'Oak Lamp' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(await titles()).toEqual(['Oak Lamp', 'Walnut Stand']);
    const inStock = async () =>
      (await (await read('/v1/products/search?q=walnut&in_stock=true')).json()).data.map(
        (p: { id: string }) => p.id,
      );
    await setStock(stand, 2);
    expect(await inStock()).toEqual([stand.json.id]);
    // With Redis the change also comes back as a message, which may retire the page once more; the router
    // then remembers it again, and from there on it is answered before the router.
    await expect
      .poll(async () => {
        // How many of these reads the router answered: 0 once the page is answered before it.
        const routedBefore = routedCount;
        expect(await inStock()).toEqual([stand.json.id]);
        return routedCount - routedBefore;
      })
      .toBe(0);
    await setStock(stand, 0);
    expect(await inStock()).toEqual([]);
    expect(await inStock()).toEqual([]);
    await setStock(stand, 1);
    expect(await inStock()).toEqual([stand.json.id]);
    // A change another process committed retires this process's pages once it is polled.
    const other = await t.request('PATCH', `/v1/products/${stand.json.id}`, {
      key: s.sk,
      body: { version: stand.json.version, title: 'Walnut Shelf' },
    });
    expect(other.status, other.text).toBe(200);
    await pages.catalog.pollChanges();
    expect(await titles()).toEqual(['Oak Lamp', 'Walnut Shelf']);
  });
});

describe.runIf(process.env.REDIS_URL)('catalog fast path with the shared (Redis) rate limiter', () => {
  it('answers cached reads before the router, and leaves the 429 to it', async () => {
    const shared = await testApp({
      env: { REDIS_URL: process.env.REDIS_URL!, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '4' },
    });
    // Counts the requests that reach the router, to tell them from those the fast path answered.
    let routedCount = 0;
    const fetchThroughRouter = shared.app.fetch;
    shared.app.fetch = ((...args: Parameters<typeof fetchThroughRouter>) => {
      routedCount++;
      return fetchThroughRouter(...args);
    }) as typeof fetchThroughRouter;
    const http = await listen(shared, { port: 0, host: '127.0.0.1' });
    try {
      const s = await shared.createStore();
      const p = await shared.request('POST', '/v1/products', {
        key: s.sk,
        body: { title: 'Shared Lamp', status: 'active', variants: [{ sku: 'SHARED-1', price: 1000 }] },
      });
      expect(p.status).toBe(201);
      const read = () =>
        fetch(`http://127.0.0.1:${http.port}/v1/products/shared-lamp`, {
          headers: { authorization: `Bearer ${s.pk}` },
        });
      const hits = async () =>
        (await shared.deps.metrics.cacheHits.get()).values.find((v) => v.labels.kind === 'product')?.value ??
        0;
      const routed = await read();
      const before = await hits();
      const routedBefore = routedCount;
      const fast = await read();
      expect(fast.status).toBe(200);
      expect(await fast.text()).toBe(await routed.text());
      expect(await hits()).toBe(before + 1);
      expect(routedCount, 'the cached read never reached the router').toBe(routedBefore);
      expect(fast.headers.get('ratelimit-policy')).toBe('"default";q=4;w=4');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await read()).status);
      expect(statuses).toContain(429);
      expect(routedCount, 'the 429 came from the router').toBeGreaterThan(routedBefore);
    } finally {
      await new Promise<void>((r) => http.server.close(() => r()));
    }
  });

  it('answers remembered list pages before the router, and forgets them on a change from another process', async () => {
    const env = { REDIS_URL: process.env.REDIS_URL!, CACHE_POLL_MS: '60000' };
    const one = await testApp({ database: t.database, env });
    const two = await testApp({ database: t.database, env });
    let routedCount = 0;
    const fetchThroughRouter = two.app.fetch;
    two.app.fetch = ((...args: Parameters<typeof fetchThroughRouter>) => {
      routedCount++;
      return fetchThroughRouter(...args);
    }) as typeof fetchThroughRouter;
    const http = await listen(two, { port: 0, host: '127.0.0.1' });
    try {
      const s = await one.createStore();
      const p = await one.request('POST', '/v1/products', {
        key: s.sk,
        body: { title: 'Redis Lamp', status: 'active', variants: [{ sku: 'REDIS-1', price: 1000 }] },
      });
      expect(p.status).toBe(201);
      await two.catalog.pollChanges();
      const titles = async () => {
        const r = await fetch(`http://127.0.0.1:${http.port}/v1/products`, {
          headers: { authorization: `Bearer ${s.pk}` },
        });
        expect(r.status).toBe(200);
        return (await r.json()).data.map((x: { title: string }) => x.title);
      };
      expect(await titles()).toEqual(['Redis Lamp']);
      const before = routedCount;
      expect(await titles()).toEqual(['Redis Lamp']);
      expect(routedCount, 'the remembered page never reached the router').toBe(before);
      const renamed = await one.request('PATCH', `/v1/products/${p.json.id}`, {
        key: s.sk,
        body: { version: p.json.version, title: 'Renamed Lamp' },
      });
      expect(renamed.status).toBe(200);
      // The change reaches the other process by Redis (it polls only once a minute here).
      const deadline = Date.now() + 5000;
      let seen = await titles();
      while (seen[0] !== 'Renamed Lamp' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        seen = await titles();
      }
      expect(seen).toEqual(['Renamed Lamp']);
    } finally {
      await new Promise<void>((r) => http.server.close(() => r()));
    }
  });
});
