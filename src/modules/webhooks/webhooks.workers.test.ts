import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { count } from '../../../test/support/commerce.ts';
import { DB_KIND, freshDatabase, testApp } from '../../../test/support/harness.ts';
import { startReceiver } from '../../../test/support/receiver.ts';

/**
 * Two delivery workers (two apps, as two processes would be) on one database: every delivery goes out once,
 * and no attempt is ever in flight twice at the same time.
 */
describe(`two delivery workers on one ${DB_KIND} database`, () => {
  it('share the deliveries without sending one twice, and keep each endpoint to a few at a time', async () => {
    const database = await freshDatabase();
    afterAll(() => database.close());
    const env = { WEBHOOK_ALLOW_PRIVATE: 'loopback' };
    const a = await testApp({ env, database });
    const b = await testApp({ env, database });

    const inFlight = new Set<string>();
    const perPath = new Map<string, number>();
    let overlaps = 0;
    let maxPerEndpoint = 0;
    const receiver = await startReceiver((req, res) => {
      const key = `${req.path} ${req.headers['webhook-id']}`;
      if (inFlight.has(key)) overlaps++;
      inFlight.add(key);
      const n = (perPath.get(req.path) ?? 0) + 1;
      perPath.set(req.path, n);
      maxPerEndpoint = Math.max(maxPerEndpoint, n);
      setTimeout(() => {
        inFlight.delete(key);
        perPath.set(req.path, (perPath.get(req.path) ?? 1) - 1);
        res.writeHead(200);
        res.end('ok');
      }, 20);
      return 'handled';
    });
    afterAll(() => receiver.close());

    const store = await a.createStore();
    const endpoints: string[] = [];
    for (const path of ['one', 'two', 'three']) {
      const r = await a.request('POST', '/v1/webhook_endpoints', {
        key: store.sk,
        body: { url: `${receiver.url}/${path}`, enabled_events: ['*'] },
      });
      expect(r.status).toBe(201);
      endpoints.push(r.json.id);
    }
    const perEndpoint = 20;
    for (const id of endpoints) {
      for (let i = 0; i < perEndpoint; i++) {
        const r = await a.request('POST', `/v1/webhook_endpoints/${id}/test`, { key: store.sk });
        expect(r.status).toBe(200);
      }
    }
    const total = endpoints.length * perEndpoint;

    const [byA, byB] = await Promise.all([a.webhooks.deliverAll(200), b.webhooks.deliverAll(200)]);

    expect(byA + byB).toBe(total);
    expect(overlaps).toBe(0);
    expect(receiver.received).toHaveLength(total);
    expect(new Set(receiver.received.map((r) => `${r.path} ${r.headers['webhook-id']}`)).size).toBe(total);
    expect(await count(a, sql`select count(*) as n from webhook_attempt`)).toBe(total);
    expect(
      await count(
        a,
        sql`select count(*) as n from webhook_delivery where state = 'succeeded' and attempts = 1`,
      ),
    ).toBe(total);
    // At most 4 per endpoint per claim; two claims racing may each take 4 before either commits its leases.
    expect(maxPerEndpoint).toBeLessThanOrEqual(8);
  });
});
