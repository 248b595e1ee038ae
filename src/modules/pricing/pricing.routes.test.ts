import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/support/harness.ts';

const t = await testApp();
const a = await t.createStore({ name: 'Store A' });
const b = await t.createStore({ name: 'Store B' });

describe('coupons admin', () => {
  it('creates, reads, looks up by code (any case), lists, updates and deletes', async () => {
    const c = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'Summer10', kind: 'percent', value: 10, min_subtotal: 5000, usage_limit: 100 },
    });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({
      object: 'coupon',
      code: 'Summer10',
      kind: 'percent',
      value: 10,
      min_subtotal: 5000,
      usage_limit: 100,
      used_count: 0,
      active: true,
      starts_at: null,
      ends_at: null,
      version: 1,
    });
    expect(c.json.id).toMatch(/^cpn_[0-9a-z]{26}$/);

    const one = await t.request('GET', `/v1/coupons/${c.json.id}`, { key: a.sk });
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBe('"1"');
    const byCode = await t.request('GET', '/v1/coupons/code/SUMMER10', { key: a.sk });
    expect(byCode.status).toBe(200);
    expect(byCode.json.id).toBe(c.json.id);

    const upd = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { value: 15, ends_at: '2031-01-01T00:00:00Z', version: 1 },
    });
    expect(upd.status).toBe(200);
    expect(upd.json).toMatchObject({
      value: 15,
      ends_at: '2031-01-01T00:00:00.000Z',
      version: 2,
      code: 'Summer10',
    });

    const stale = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { value: 20, version: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('VERSION_CONFLICT');
    const staleHeader = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { value: 20 },
      headers: { 'if-match': '"1"' },
    });
    expect(staleHeader.json.error.code).toBe('VERSION_CONFLICT');
    const okHeader = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { active: false },
      headers: { 'if-match': '"2"' },
    });
    expect(okHeader.status).toBe(200);
    expect(okHeader.json).toMatchObject({ active: false, value: 15, version: 3 });

    const del = await t.request('DELETE', `/v1/coupons/${c.json.id}`, { key: a.sk });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ id: c.json.id, object: 'coupon', deleted: true });
    const gone = await t.request('GET', `/v1/coupons/${c.json.id}`, { key: a.sk });
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('COUPON_NOT_FOUND');
    const delAgain = await t.request('DELETE', `/v1/coupons/${c.json.id}`, { key: a.sk });
    expect(delAgain.status).toBe(404);
  });

  it('refuses a second coupon with the same code in another case, but another store may use it', async () => {
    const first = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'WELCOME', kind: 'fixed', value: 500 },
    });
    expect(first.status).toBe(201);
    const dup = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'welcome', kind: 'fixed', value: 100 },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toMatchObject({ code: 'COUPON_CODE_TAKEN', param: 'code' });
    const other = await t.request('POST', '/v1/coupons', {
      key: b.sk,
      body: { code: 'welcome', kind: 'fixed', value: 100 },
    });
    expect(other.status).toBe(201);
    const second = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'HELLO', kind: 'fixed', value: 100 },
    });
    const rename = await t.request('PATCH', `/v1/coupons/${second.json.id}`, {
      key: a.sk,
      body: { code: 'Welcome' },
    });
    expect(rename.status).toBe(409);
    expect(rename.json.error.code).toBe('COUPON_CODE_TAKEN');
  });

  it('validates kinds, values, dates and unknown fields, naming the parameter', async () => {
    const cases: [object, string][] = [
      [{ code: 'P0', kind: 'percent', value: 0 }, 'value'],
      [{ code: 'P101', kind: 'percent', value: 101 }, 'value'],
      [{ code: 'F0', kind: 'fixed', value: 0 }, 'value'],
      [{ code: 'FS', kind: 'free_shipping', value: 5 }, 'value'],
      [{ code: 'F1', kind: 'fixed', value: 1.5 }, 'value'],
      [{ code: 'bad code!', kind: 'fixed', value: 1 }, 'code'],
      [
        {
          code: 'D',
          kind: 'fixed',
          value: 1,
          starts_at: '2030-02-01T00:00:00Z',
          ends_at: '2030-01-01T00:00:00Z',
        },
        'ends_at',
      ],
      [{ code: 'D2', kind: 'fixed', value: 1, starts_at: 'tomorrow' }, 'starts_at'],
      [{ code: 'X', kind: 'bogus', value: 1 }, 'kind'],
      [{ code: 'U', kind: 'fixed', value: 1, usage_limit: 0 }, 'usage_limit'],
      [{ code: 'N', kind: 'fixed', value: 1, nope: true }, 'nope'],
    ];
    for (const [body, param] of cases) {
      const r = await t.request('POST', '/v1/coupons', { key: a.sk, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error, JSON.stringify(body)).toMatchObject({ code: 'VALIDATION_FAILED', param });
    }
    const c = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'PCT', kind: 'percent', value: 50 },
    });
    const toFixed = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { kind: 'free_shipping' },
    });
    expect(toFixed.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'value' });
    const badId = await t.request('GET', '/v1/coupons/nope', { key: a.sk });
    expect(badId.status).toBe(400);
    const badIfMatch = await t.request('PATCH', `/v1/coupons/${c.json.id}`, {
      key: a.sk,
      body: { active: true },
      headers: { 'if-match': 'yesterday' },
    });
    expect(badIfMatch.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'If-Match' });
  });

  it('paginates newest first with a cursor', async () => {
    const s = await t.createStore();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.request('POST', '/v1/coupons', {
        key: s.sk,
        body: { code: `PAGE${i}`, kind: 'fixed', value: 100 },
      });
      made.push(r.json.id);
    }
    const p1 = await t.request('GET', '/v1/coupons?limit=2', { key: s.sk });
    expect(p1.json).toMatchObject({ object: 'list', has_more: true });
    expect(p1.json.data.map((c: { id: string }) => c.id)).toEqual([made[4], made[3]]);
    const p2 = await t.request('GET', `/v1/coupons?limit=2&cursor=${p1.json.next_cursor}`, { key: s.sk });
    expect(p2.json.data.map((c: { id: string }) => c.id)).toEqual([made[2], made[1]]);
    const p3 = await t.request('GET', `/v1/coupons?limit=2&cursor=${p2.json.next_cursor}`, { key: s.sk });
    expect(p3.json).toMatchObject({ has_more: false, next_cursor: null });
    expect(p3.json.data.map((c: { id: string }) => c.id)).toEqual([made[0]]);
    const wrongList = await t.request('GET', `/v1/tax-rates?cursor=${p1.json.next_cursor}`, { key: s.sk });
    expect(wrongList.json.error.code).toBe('INVALID_CURSOR');
  });
});

describe('tax rates admin', () => {
  it('creates, normalises case, refuses duplicates of a place, filters, updates and deletes', async () => {
    const s = await t.createStore();
    const us = await t.request('POST', '/v1/tax-rates', {
      key: s.sk,
      body: { country: 'us', rate: 500, name: 'US' },
    });
    expect(us.status).toBe(201);
    expect(us.json).toMatchObject({
      object: 'tax_rate',
      country: 'US',
      region: null,
      rate: 500,
      applies_to_shipping: false,
    });
    const ca = await t.request('POST', '/v1/tax-rates', {
      key: s.sk,
      body: { country: 'US', region: 'ca', rate: 725, name: 'California', applies_to_shipping: true },
    });
    expect(ca.json).toMatchObject({ region: 'CA', applies_to_shipping: true });
    const dup = await t.request('POST', '/v1/tax-rates', {
      key: s.sk,
      body: { country: 'US', rate: 600, name: 'again' },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe('TAX_RATE_EXISTS');
    const fr = await t.request('POST', '/v1/tax-rates', {
      key: s.sk,
      body: { country: 'FR', rate: 2000, name: 'TVA' },
    });
    expect(fr.status).toBe(201);

    const onlyUs = await t.request('GET', '/v1/tax-rates?country=us', { key: s.sk });
    expect(onlyUs.json.data.map((r: { id: string }) => r.id).sort()).toEqual([us.json.id, ca.json.id].sort());
    const all = await t.request('GET', '/v1/tax-rates', { key: s.sk });
    expect(all.json.data).toHaveLength(3);

    const upd = await t.request('PATCH', `/v1/tax-rates/${fr.json.id}`, {
      key: s.sk,
      body: { rate: 550, name: 'TVA réduite' },
    });
    expect(upd.json).toMatchObject({ rate: 550, name: 'TVA réduite', country: 'FR', version: 2 });
    const clash = await t.request('PATCH', `/v1/tax-rates/${ca.json.id}`, {
      key: s.sk,
      body: { region: null },
    });
    expect(clash.json.error.code).toBe('TAX_RATE_EXISTS');

    for (const body of [
      { country: 'USA', rate: 1, name: 'x' },
      { country: 'US', rate: 10_001, name: 'x' },
      { country: 'US', rate: 1 },
    ]) {
      const r = await t.request('POST', '/v1/tax-rates', { key: s.sk, body });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
    }

    expect((await t.request('DELETE', `/v1/tax-rates/${fr.json.id}`, { key: s.sk })).status).toBe(200);
    const gone = await t.request('GET', `/v1/tax-rates/${fr.json.id}`, { key: s.sk });
    expect(gone.json.error.code).toBe('TAX_RATE_NOT_FOUND');
  });
});

describe('shipping rates admin', () => {
  it('creates flat and weight rates, sorts bands, validates, updates and deletes', async () => {
    const s = await t.createStore();
    const flat = await t.request('POST', '/v1/shipping-rates', {
      key: s.sk,
      body: { name: 'Standard', countries: ['fr', 'BE'], amount: 500, free_above: 10_000 },
    });
    expect(flat.status).toBe(201);
    expect(flat.json).toMatchObject({
      object: 'shipping_rate',
      countries: ['FR', 'BE'],
      kind: 'flat',
      amount: 500,
      free_above: 10_000,
      weight_bands: [],
    });
    const weight = await t.request('POST', '/v1/shipping-rates', {
      key: s.sk,
      body: {
        name: 'World',
        countries: ['*'],
        kind: 'weight',
        weight_bands: [
          { up_to_grams: 5000, amount: 3000 },
          { up_to_grams: 1000, amount: 1500 },
        ],
      },
    });
    expect(weight.json.weight_bands).toEqual([
      { up_to_grams: 1000, amount: 1500 },
      { up_to_grams: 5000, amount: 3000 },
    ]);

    const bad: [object, string][] = [
      [{ name: 'W', countries: ['*'], kind: 'weight' }, 'weight_bands'],
      [{ name: 'W', countries: ['*', 'FR'] }, 'countries'],
      [{ name: 'W', countries: [] }, 'countries'],
      [{ name: 'W', countries: ['FRA'] }, 'countries.0'],
      [
        {
          name: 'W',
          countries: ['FR'],
          kind: 'weight',
          weight_bands: [
            { up_to_grams: 10, amount: 1 },
            { up_to_grams: 10, amount: 2 },
          ],
        },
        'weight_bands',
      ],
      [{ name: 'W', countries: ['FR'], amount: -1 }, 'amount'],
    ];
    for (const [body, param] of bad) {
      const r = await t.request('POST', '/v1/shipping-rates', { key: s.sk, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error, JSON.stringify(body)).toMatchObject({ code: 'VALIDATION_FAILED', param });
    }

    const upd = await t.request('PATCH', `/v1/shipping-rates/${flat.json.id}`, {
      key: s.sk,
      body: { amount: 700, free_above: null },
    });
    expect(upd.json).toMatchObject({ amount: 700, free_above: null, countries: ['FR', 'BE'], version: 2 });
    const toWeight = await t.request('PATCH', `/v1/shipping-rates/${flat.json.id}`, {
      key: s.sk,
      body: { kind: 'weight' },
    });
    expect(toWeight.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'weight_bands' });

    const list = await t.request('GET', '/v1/shipping-rates', { key: s.sk });
    expect(list.json.data.map((r: { id: string }) => r.id)).toEqual([weight.json.id, flat.json.id]);
    expect((await t.request('DELETE', `/v1/shipping-rates/${weight.json.id}`, { key: s.sk })).status).toBe(
      200,
    );
    const gone = await t.request('GET', `/v1/shipping-rates/${weight.json.id}`, { key: s.sk });
    expect(gone.json.error.code).toBe('SHIPPING_RATE_NOT_FOUND');
  });
});

describe('isolation and auth', () => {
  it("never lets a key of one store read or write another store's pricing objects", async () => {
    const cpn = await t.request('POST', '/v1/coupons', {
      key: a.sk,
      body: { code: 'ONLYA', kind: 'fixed', value: 100 },
    });
    const txr = await t.request('POST', '/v1/tax-rates', {
      key: a.sk,
      body: { country: 'DE', rate: 1900, name: 'MwSt' },
    });
    const shr = await t.request('POST', '/v1/shipping-rates', {
      key: a.sk,
      body: { name: 'DE', countries: ['DE'], amount: 400 },
    });
    const objects: [string, string, string][] = [
      ['coupons', cpn.json.id, 'COUPON_NOT_FOUND'],
      ['tax-rates', txr.json.id, 'TAX_RATE_NOT_FOUND'],
      ['shipping-rates', shr.json.id, 'SHIPPING_RATE_NOT_FOUND'],
    ];
    for (const [path, id, code] of objects) {
      const get = await t.request('GET', `/v1/${path}/${id}`, { key: b.sk });
      expect(get.status).toBe(404);
      expect(get.json.error.code).toBe(code);
      const patch = await t.request('PATCH', `/v1/${path}/${id}`, { key: b.sk, body: { name: 'hijack' } });
      // coupons have no name: a 400 also proves nothing was written
      expect([400, 404]).toContain(patch.status);
      const del = await t.request('DELETE', `/v1/${path}/${id}`, { key: b.sk });
      expect(del.status).toBe(404);
      const list = await t.request('GET', `/v1/${path}`, { key: b.sk });
      expect(list.json.data.map((x: { id: string }) => x.id)).not.toContain(id);
      const still = await t.request('GET', `/v1/${path}/${id}`, { key: a.sk });
      expect(still.status).toBe(200);
      expect(still.json.version).toBe(1);
    }
    const patchCoupon = await t.request('PATCH', `/v1/coupons/${cpn.json.id}`, {
      key: b.sk,
      body: { value: 1 },
    });
    expect(patchCoupon.status).toBe(404);
    const byCode = await t.request('GET', '/v1/coupons/code/ONLYA', { key: b.sk });
    expect(byCode.status).toBe(404);
  });

  it('needs a secret key', async () => {
    for (const path of ['/v1/coupons', '/v1/tax-rates', '/v1/shipping-rates']) {
      const pk = await t.request('GET', path, { key: a.pk });
      expect(pk.status).toBe(403);
      expect(pk.json.error.code).toBe('SECRET_KEY_REQUIRED');
      const none = await t.request('GET', path);
      expect(none.status).toBe(401);
    }
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await t.request('GET', '/v1/openapi.json');
    for (const p of [
      '/v1/coupons',
      '/v1/coupons/{id}',
      '/v1/coupons/code/{code}',
      '/v1/tax-rates/{id}',
      '/v1/shipping-rates',
    ]) {
      expect(Object.keys(doc.json.paths)).toContain(p);
    }
  });
});
