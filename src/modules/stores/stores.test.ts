import { describe, expect, it } from 'vitest';
import { ROOT_TOKEN, testApp } from '../../../test/support/harness.ts';

const t = await testApp();

describe('stores and keys', () => {
  it('creates a store and keys with the root token, and keys authenticate', async () => {
    const store = await t.createStore({ name: 'Acme' });
    expect(store.pk).toMatch(/^pk_test_[A-Za-z0-9]{32}$/);
    expect(store.sk).toMatch(/^sk_test_[A-Za-z0-9]{32}$/);
    const me = await t.request('GET', '/v1/store', { key: store.sk });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: store.id, object: 'store', name: 'Acme', currency: 'USD' });
  });

  it('refuses a publishable key on secret routes and a wrong root token', async () => {
    const store = await t.createStore();
    const r = await t.request('GET', '/v1/store', { key: store.pk });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('SECRET_KEY_REQUIRED');
    const bad = await t.request('POST', '/v1/stores', { key: 'x'.repeat(30), body: { name: 'n' } });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('INVALID_ROOT_TOKEN');
  });

  it('never stores the key itself and lists only hints', async () => {
    const store = await t.createStore();
    const keys = await t.request('GET', `/v1/stores/${store.id}/keys`, { key: ROOT_TOKEN });
    expect(keys.status).toBe(200);
    expect(keys.json.data).toHaveLength(2);
    expect(JSON.stringify(keys.json)).not.toContain(store.sk);
    expect(keys.json.data[0].key).toBeUndefined();
  });

  it('revoked keys stop working', async () => {
    const store = await t.createStore();
    const keys = await t.request('GET', `/v1/stores/${store.id}/keys`, { key: ROOT_TOKEN });
    const secret = keys.json.data.find((k: { kind: string }) => k.kind === 'secret');
    const rev = await t.request('POST', `/v1/stores/${store.id}/keys/${secret.id}/revoke`, {
      key: ROOT_TOKEN,
    });
    expect(rev.status).toBe(200);
    expect(rev.json.revoked_at).not.toBeNull();
    const r = await t.request('GET', '/v1/store', { key: store.sk });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('INVALID_API_KEY');
  });

  it('validates input and names the parameter', async () => {
    const r = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'x', currency: 'XXX' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'currency' });
    const lower = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'x', currency: 'usd' },
    });
    expect(lower.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'currency' });
    // Callers outside HTTP (the CLI) meet the same rule in the service.
    for (const currency of ['XYZ', 'usd']) {
      await expect(t.deps.stores.createStore({ name: 'x', currency })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { param: 'currency' },
        message: lower.json.error.message,
      });
    }
    const u = await t.request('POST', '/v1/stores', { key: ROOT_TOKEN, body: { name: 'x', nope: 1 } });
    expect(u.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'nope' });
    const m = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(m.status).toBe(400);
    expect(m.json.error.code).toBe('MALFORMED_JSON');
    expect(m.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await t.request('GET', '/healthz')).status).toBe(200);
    const ready = await t.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toMatchObject({ database: 'ok', migrations: 'ok' });
    const doc = await t.request('GET', '/v1/openapi.json');
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toContain('/v1/stores');
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.text).toContain('http_request_duration_seconds');
  });
});
