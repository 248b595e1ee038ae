import { describe, expect, it } from 'vitest';
import { seedDemoHistory } from '../../src/cli/demo-history.ts';
import { createProduct } from '../sdk/support.ts';
import { testApp } from '../support/harness.ts';

describe('demo history (npm start)', () => {
  const t = testApp();

  it('places orders and funnel events over past days through the API, rolls them up, and runs once', async () => {
    const app = await t;
    const store = await app.createStore({ name: 'Demo' });
    for (const title of ['Mug', 'Bowl', 'Plate'])
      await createProduct(app, store.sk, { title, price: 1500, onHand: 500 });
    const run = () =>
      seedDemoHistory({
        config: app.deps.config,
        database: app.database,
        keys: { publishable: store.pk, secret: store.sk },
        days: 4,
        seed: 3,
      });
    const first = await run();
    expect(first.skipped).toBe(false);
    expect(first.sessions).toBeGreaterThan(20);
    expect(first.orders).toBeGreaterThan(0);

    const orders = await app.request('GET', '/v1/orders?limit=100', { key: store.sk });
    expect(orders.json.data).toHaveLength(first.orders);
    const days = new Set(orders.json.data.map((o: { created_at: string }) => o.created_at.slice(0, 10)));
    expect(days.size).toBeGreaterThan(1);
    // Newest first by id is newest first by date too.
    const dates = orders.json.data.map((o: { created_at: string }) => o.created_at);
    expect([...dates].sort().reverse()).toEqual(dates);

    const funnel = await app.request('GET', '/v1/reports/funnel', { key: store.sk });
    expect(funnel.json.total[0]).toMatchObject({ step: 'product_viewed', sessions: first.sessions });
    expect(funnel.json.total[3]).toMatchObject({ step: 'order_completed', sessions: first.orders });
    const sales = await app.request('GET', '/v1/reports/sales', { key: store.sk });
    expect(sales.json.totals[0].orders).toBe(first.orders);

    expect(await run()).toEqual({ orders: 0, sessions: 0, skipped: true });
    expect((await app.request('GET', '/v1/orders?limit=100', { key: store.sk })).json.data).toHaveLength(
      first.orders,
    );
  });
});
