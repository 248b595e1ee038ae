import { describe, expect, it } from 'vitest';
import { ROOT_TOKEN, testApp } from '../../../test/support/harness.ts';
import { fixedClock } from '../../shared/clock.ts';
import { idempotencyKey } from './idempotency.tables.ts';

const clock = fixedClock(new Date('2026-01-01T00:00:00Z'));
const t = await testApp({ clock });

async function createStoreWithKey(key: string, name = 'Idem store') {
  return t.request('POST', '/v1/stores', {
    key: ROOT_TOKEN,
    body: { name, currency: 'USD' },
    headers: { 'idempotency-key': key },
  });
}

describe('Idempotency-Key', () => {
  it('replays the stored response for the same key and request', async () => {
    const first = await createStoreWithKey('k-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await createStoreWithKey('k-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    const stores = await t.deps.stores.listStores();
    expect(stores.filter((s) => s.name === 'Idem store')).toHaveLength(1);
  });

  it('refuses the same key with a different request (422)', async () => {
    await createStoreWithKey('k-2', 'A');
    const r = await createStoreWithKey('k-2', 'B');
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', param: 'Idempotency-Key' });
  });

  it('answers 409 while the first request is in flight, and lets a retry take over a dead claim', async () => {
    await t.database.db.insert(idempotencyKey).values({
      scope: (await import('node:crypto')).createHash('sha256').update(ROOT_TOKEN).digest('hex').slice(0, 40),
      key: 'k-3',
      requestHash: 'whatever',
      state: 'in_flight',
      lockedUntil: new Date(clock.now().getTime() + 60_000),
      expiresAt: new Date(clock.now().getTime() + 86_400_000),
    });
    const r = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'x' },
      headers: { 'idempotency-key': 'k-3' },
    });
    expect(r.status).toBe(422); // different request hash wins over in-flight
    const s = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'inflight' },
      headers: { 'idempotency-key': 'k-4' },
    });
    expect(s.status).toBe(201);
    // simulate a second in-flight claim with a matching hash by marking k-4 in flight again
    const { eq } = await import('drizzle-orm');
    await t.database.db
      .update(idempotencyKey)
      .set({ state: 'in_flight', lockedUntil: new Date(clock.now().getTime() + 60_000) })
      .where(eq(idempotencyKey.key, 'k-4'));
    const busy = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'inflight' },
      headers: { 'idempotency-key': 'k-4' },
    });
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    clock.advance(61_000);
    const takeover = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'inflight' },
      headers: { 'idempotency-key': 'k-4' },
    });
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get('idempotent-replayed')).toBeNull();
  });

  it('scopes keys per API key and expires them after 24 h', async () => {
    const a = await t.createStore({ name: 'scope A' });
    const b = await t.createStore({ name: 'scope B' });
    const body = { name: 'renamed' };
    const ra = await t.request('PATCH', '/v1/store', { key: a.sk, body });
    expect(ra.status).toBe(200);
    // same key under two API keys: independent
    const r1 = await t.request('POST', `/v1/stores/${a.id}/keys`, {
      key: ROOT_TOKEN,
      body: { kind: 'secret' },
      headers: { 'idempotency-key': 'shared' },
    });
    const r2 = await t.request('POST', `/v1/stores/${b.id}/keys`, {
      key: ROOT_TOKEN,
      body: { kind: 'secret' },
      headers: { 'idempotency-key': 'shared' },
    });
    expect(r1.status).toBe(201);
    expect(r2.status).toBe(422); // same root token scope, different request
    clock.advance(24 * 3600 * 1000 + 1000);
    const r3 = await t.request('POST', `/v1/stores/${b.id}/keys`, {
      key: ROOT_TOKEN,
      body: { kind: 'secret' },
      headers: { 'idempotency-key': 'shared' },
    });
    expect(r3.status).toBe(201);
  });

  it('does not store failures that never ran (401) and validates the header', async () => {
    const bad = await t.request('POST', '/v1/stores', {
      key: 'wrong-token-000000000000',
      body: { name: 'x' },
      headers: { 'idempotency-key': 'k-5' },
    });
    expect(bad.status).toBe(401);
    const rows = await t.database.db.select().from(idempotencyKey);
    expect(rows.find((r) => r.key === 'k-5')).toBeUndefined();
    const long = await t.request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: 'x' },
      headers: { 'idempotency-key': 'x'.repeat(256) },
    });
    expect(long.status).toBe(400);
    expect(long.json.error.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });

  it('covers PUT, PATCH and DELETE too: a replay answers the stored response, a different request 422', async () => {
    const store = (await t.request('POST', '/v1/stores', { key: ROOT_TOKEN, body: { name: 'Idem' } })).json;
    const sk = (
      await t.request('POST', `/v1/stores/${store.id}/keys`, { key: ROOT_TOKEN, body: { kind: 'secret' } })
    ).json.key as string;
    const first = await t.request('PATCH', '/v1/store', {
      key: sk,
      body: { name: 'Renamed once' },
      headers: { 'idempotency-key': 'patch-1' },
    });
    expect(first.status).toBe(200);
    const replay = await t.request('PATCH', '/v1/store', {
      key: sk,
      body: { name: 'Renamed once' },
      headers: { 'idempotency-key': 'patch-1' },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    const reused = await t.request('PATCH', '/v1/store', {
      key: sk,
      body: { name: 'Renamed twice' },
      headers: { 'idempotency-key': 'patch-1' },
    });
    expect([reused.status, reused.json.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const badDelete = await t.request('DELETE', '/v1/coupons/cpn_00000000000000000000000000', {
      key: sk,
      headers: { 'idempotency-key': '' },
    });
    expect([badDelete.status, badDelete.json.error.code]).toEqual([400, 'IDEMPOTENCY_KEY_INVALID']);
  });
});
