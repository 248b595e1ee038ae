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
});
