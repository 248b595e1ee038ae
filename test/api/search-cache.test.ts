import { describe, expect, it } from 'vitest';
import { testApp } from '../support/harness.ts';

const t = await testApp();
const store = await t.createStore();

describe('storefront search results cache', () => {
  it('serves repeated searches from memory and forgets them when the catalog changes', async () => {
    const created = await t.request('POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Walnut Serving Board',
        status: 'active',
        options: [{ name: 'Size', values: ['L'] }],
        variants: [{ sku: 'WSB-1', price: 4500, option_values: { Size: 'L' } }],
      },
    });
    expect(created.status).toBe(201);
    const first = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(first.status).toBe(200);
    expect(first.json.data.map((p: { id: string }) => p.id)).toEqual([created.json.id]);
    const again = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));

    const renamed = await t.request('PATCH', `/v1/products/${created.json.id}`, {
      key: store.sk,
      body: { version: created.json.version, title: 'Maple Serving Board' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const stale = await t.request('GET', '/v1/products/search?q=walnut', { key: store.pk });
    expect(stale.json.data).toEqual([]);
    const fresh = await t.request('GET', '/v1/products/search?q=maple', { key: store.pk });
    expect(fresh.json.data.map((p: { id: string }) => p.id)).toEqual([created.json.id]);
  });
});
