import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/shared/clock.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';
import { stoppableDatabase } from '../support/outage.ts';

/**
 * Faults answered as faults: with the database gone, requests that need it answer 503 with Retry-After,
 * and storefront reads the in-process caches can answer (product by slug, with a key resolved before)
 * keep answering 200. Revoking a key on one app reaches another app on the same database within a second.
 */
const down = await stoppableDatabase();
afterAll(() => down.close());
const clock = fixedClock(new Date());
const t = await testApp({ database: down.database, clock });
const other = await testApp({ database: down.database });

// With Redis, revocations are pushed; the database poll is slowed so only the push can arrive in time.
const redisPair = process.env.REDIS_URL
  ? await Promise.all([
      testApp({ database: down.database, env: { REDIS_URL: process.env.REDIS_URL, CACHE_POLL_MS: '60000' } }),
      testApp({ database: down.database, env: { REDIS_URL: process.env.REDIS_URL, CACHE_POLL_MS: '60000' } }),
    ])
  : null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined>, deadlineMs: number): Promise<T | undefined> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(20);
  }
}

async function revokeAcross(a: typeof t, b: typeof t) {
  const store = await a.createStore({ name: 'Revocation' });
  // The other app has resolved (and cached) the key just before the revocation.
  expect((await b.request('GET', '/v1/store', { key: store.sk })).status).toBe(200);
  const keys = await a.request('GET', `/v1/stores/${store.id}/keys`, { key: ROOT_TOKEN });
  const secret = keys.json.data.find((k: { kind: string }) => k.kind === 'secret');
  const rev = await a.request('POST', `/v1/stores/${store.id}/keys/${secret.id}/revoke`, { key: ROOT_TOKEN });
  expect(rev.status).toBe(200);
  expect((await a.request('GET', '/v1/store', { key: store.sk })).json.error.code).toBe('INVALID_API_KEY');
  const refused = await until(async () => {
    const r = await b.request('GET', '/v1/store', { key: store.sk });
    return r.status === 401 ? r : undefined;
  }, 1000);
  expect(refused?.json.error.code).toBe('INVALID_API_KEY');
}

describe('API keys across processes', () => {
  it('a key revoked on one app is refused by another app on the same database within a second (poll)', () =>
    revokeAcross(t, other));

  it.runIf(redisPair)('the same through Redis pub/sub', () => revokeAcross(redisPair![0], redisPair![1]));
});

describe('database unreachable', () => {
  it('cached storefront reads answer 200; reads that need the database answer 503 with Retry-After', async () => {
    const store = await t.createStore({ name: 'Outage' });
    const created = await t.request('POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Outage lamp',
        slug: 'outage-lamp',
        status: 'active',
        options: [{ name: 'Size', values: ['One'] }],
        variants: [{ sku: 'OUTAGE-1', price: 2500, option_values: { Size: 'One' } }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const warm = await t.request('GET', '/v1/products/outage-lamp', { key: store.pk });
    expect(warm.status, warm.text).toBe(200);
    // Past any short key TTL in real time, and past the key cache's freshness on the app's clock.
    await sleep(2200);
    clock.advance(61_000);

    await down.stop();

    const cached = await t.request('GET', '/v1/products/outage-lamp', { key: store.pk });
    expect(cached.status, cached.text).toBe(200);
    expect(cached.json.id).toBe(created.json.id);
    expect(cached.headers.get('etag')).toBe(warm.headers.get('etag'));

    const list = await t.request('GET', '/v1/products?limit=5', { key: store.sk });
    expect(list.status, list.text).toBe(503);
    expect(list.json.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(list.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);

    const cart = await t.request('POST', '/v1/carts', {
      key: store.pk,
      body: { lines: [{ variant_id: created.json.variants[0].id, quantity: 1 }] },
    });
    expect(cart.status, cart.text).toBe(503);
    expect(cart.json.error.code).toBe('SERVICE_UNAVAILABLE');

    // A key never seen before cannot be checked: 503, not 401 and not 500.
    const unknown = await other.request('GET', '/v1/products/outage-lamp', {
      key: 'pk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(unknown.status, unknown.text).toBe(503);
    expect(unknown.json.error.code).toBe('SERVICE_UNAVAILABLE');
  });
});
