import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../../../test/support/commerce.ts';
import { DB_KIND, freshDatabase, type TestApp, testApp } from '../../../test/support/harness.ts';
import { type Receiver, startReceiver } from '../../../test/support/receiver.ts';
import type { Database } from '../../shared/db.ts';

/**
 * Two delivery workers (two apps, as two processes would be) on one database: every delivery goes out once,
 * and no attempt is ever in flight twice at the same time.
 */
describe(`two delivery workers on one ${DB_KIND} database`, () => {
  let database: Database;
  let a: TestApp;
  let b: TestApp;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    database = await freshDatabase();
    const env = { WEBHOOK_ALLOW_PRIVATE: 'loopback', WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '4' };
    a = await testApp({ env, database });
    b = await testApp({ env, database });
  });
  // Registered before testApp's own hooks; after-hooks run in reverse, so this runs once both apps are closed.
  afterAll(async () => {
    await receiver?.close();
    await database.close();
  });

  it('share the deliveries without sending one twice, and keep each endpoint to a few at a time', async () => {
    const inFlight = new Set<string>();
    const perPath = new Map<string, number>();
    let overlaps = 0;
    let maxPerEndpoint = 0;
    receiver = await startReceiver((req, res) => {
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

    // Claimed at least once each; more when a slow lane gave back what it could not send within its lease.
    expect(byA + byB).toBeGreaterThanOrEqual(total);
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
    // Claims lock the endpoint, so two workers together keep to the cap of 4 per endpoint.
    expect(maxPerEndpoint).toBeLessThanOrEqual(4);
  });
});
