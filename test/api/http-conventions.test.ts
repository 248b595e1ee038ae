import { describe, expect, it } from 'vitest';
import { testApp } from '../support/harness.ts';

/** HTTP conventions: If-Match takes the ETag a GET returned; IETF RateLimit headers; a protected /metrics. */
const METRICS_TOKEN = 'metrics_token_0123456789abcdef';
const t = await testApp({ env: { METRICS_TOKEN, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '500' } });
const open = await testApp();
const store = await t.createStore({ name: 'Conventions' });

async function product(slug: string) {
  const r = await t.request('POST', '/v1/products', {
    key: store.sk,
    body: {
      title: `Lamp ${slug}`,
      slug,
      status: 'active',
      options: [{ name: 'Size', values: ['One'] }],
      variants: [{ sku: `SKU-${slug}`, price: 1000, option_values: { Size: 'One' } }],
    },
  });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: string; version: number; variants: { id: string }[] };
}

describe('If-Match', () => {
  it('accepts the ETag a GET returned; a stale ETag is 409 VERSION_CONFLICT', async () => {
    const p = await product('etag-lamp');
    const got = await t.request('GET', `/v1/products/${p.id}`, { key: store.sk });
    const etag = got.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const patched = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': etag },
      body: { title: 'Renamed lamp' },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.version).toBe(p.version + 1);

    const stale = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': etag },
      body: { title: 'Lost update' },
    });
    expect(stale.status, stale.text).toBe(409);
    expect(stale.json.error.code).toBe('VERSION_CONFLICT');

    // A list with the current ETag matches; a weak ETag never does (strong comparison).
    const now = (await t.request('GET', `/v1/products/${p.id}`, { key: store.sk })).headers.get('etag')!;
    const weak = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': `W/${now}` },
      body: { title: 'Weak' },
    });
    expect(weak.json.error?.code).toBe('VERSION_CONFLICT');
    const listed = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': `${etag}, ${now}` },
      body: { title: 'Listed' },
    });
    expect(listed.status, listed.text).toBe(200);

    // The version number keeps working, and * means "any current version".
    const byVersion = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': `"${listed.json.version}"` },
      body: { title: 'By version' },
    });
    expect(byVersion.status, byVersion.text).toBe(200);
    const any = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': '*' },
      body: { title: 'Any' },
    });
    expect(any.status, any.text).toBe(200);
    const bad = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': 'not-a-tag' },
      body: { title: 'Bad' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'If-Match' });
  });

  it("takes the product's ETag for variant updates and deletes", async () => {
    const p = await product('etag-variant');
    const etag = (await t.request('GET', `/v1/products/${p.id}`, { key: store.sk })).headers.get('etag')!;
    const v = await t.request('PATCH', `/v1/variants/${p.variants[0]!.id}`, {
      key: store.sk,
      headers: { 'if-match': etag },
      body: { price: 1200 },
    });
    expect(v.status, v.text).toBe(200);
    const del = await t.request('DELETE', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': etag },
    });
    expect(del.status).toBe(409);
    const fresh = (await t.request('GET', `/v1/products/${p.id}`, { key: store.sk })).headers.get('etag')!;
    const ok = await t.request('DELETE', `/v1/products/${p.id}`, {
      key: store.sk,
      headers: { 'if-match': fresh },
    });
    expect(ok.status, ok.text).toBe(200);
  });
});

describe('RateLimit headers', () => {
  it('successful and refused responses carry RateLimit-Policy and RateLimit', async () => {
    const a = await t.request('GET', '/v1/products?limit=1', { key: store.sk });
    const b = await t.request('GET', '/v1/products?limit=1', { key: store.sk });
    expect(a.status).toBe(200);
    expect(a.headers.get('ratelimit-policy')).toBe('"default";q=500;w=500');
    const r = (x: typeof a) =>
      Number(/^"default";r=(\d+);t=\d+$/.exec(x.headers.get('ratelimit') ?? '')?.[1]);
    expect(r(a)).toBeGreaterThan(400);
    // The bucket refills one token a second, so two slow requests may report the same figure; five may not.
    let last = b;
    for (let i = 0; i < 4; i++) last = await t.request('GET', '/v1/products?limit=1', { key: store.sk });
    expect(r(b)).toBeLessThanOrEqual(r(a));
    expect(r(last)).toBeLessThan(r(a));
    const notFound = await t.request('GET', '/v1/products/prod_00000000000000000000000000', {
      key: store.sk,
    });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('ratelimit-policy')).toBe('"default";q=500;w=500');
  });
});

describe('/metrics', () => {
  it('needs the bearer METRICS_TOKEN when it is set', async () => {
    const none = await t.request('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('AUTH_REQUIRED');
    const wrong = await t.request('GET', '/metrics', {
      headers: { authorization: 'Bearer wrong_token_0123456789abcd' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('INVALID_METRICS_TOKEN');
    const ok = await t.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('http_request_duration_seconds');
  });

  it('stays open without METRICS_TOKEN', async () => {
    const ok = await open.request('GET', '/metrics');
    expect(ok.status).toBe(200);
  });
});
