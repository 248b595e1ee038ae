import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, e2eDatabase, e2eStore, type Proc, startCrowdstart } from './processes.ts';

/**
 * DESIGN §1 promise 4 over real processes: the gateway captures, then the API process dies before it
 * marks the order paid. After restart the reconciliation job asks the gateway and marks it paid, once.
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL!;
let db: Awaited<ReturnType<typeof e2eDatabase>>;
const procs: Proc[] = [];

beforeAll(async () => {
  db = await e2eDatabase(ADMIN_URL);
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await db?.drop();
});

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('crash between gateway capture and "order paid"', () => {
  it('is reconciled after restart: paid exactly once, stock committed once', {
    timeout: 180_000,
  }, async () => {
    const env = {
      DATABASE_URL: db.url,
      RECONCILE_AFTER_SECONDS: '0',
      WORKER_POLL_MS: '200',
      IDEMPOTENCY_LOCK_SECONDS: '3',
    };
    const doomed = await startCrowdstart('serve', { ...env, CROWDSTART_FAULT: 'crash_after_authorize' });
    procs.push(doomed);
    const store = await e2eStore(doomed.url);
    const sku = `CRASH-${randomUUID().slice(0, 6)}`;
    const p = await api(doomed.url, 'POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Crash kit',
        status: 'active',
        options: [{ name: 'Size', values: ['One'] }],
        variants: [{ sku, price: 4200, option_values: { Size: 'One' } }],
      },
    });
    expect(p.status, p.text).toBe(201);
    const variantId = p.json.variants[0].id;
    expect(
      (await api(doomed.url, 'PUT', `/v1/inventory/${variantId}`, { key: store.sk, body: { on_hand: 5 } }))
        .status,
    ).toBe(200);
    const c = await api(doomed.url, 'POST', '/v1/carts', {
      key: store.pk,
      body: { email: 'crash@example.com', lines: [{ variant_id: variantId, quantity: 2 }] },
    });
    expect(c.status, c.text).toBe(201);

    const idemKey = `crash-${randomUUID()}`;
    const attempt = await api(doomed.url, 'POST', '/v1/checkout', {
      key: store.pk,
      headers: { 'idempotency-key': idemKey },
      body: {
        cart_token: c.json.token,
        payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' } },
      },
    }).catch((e: Error) => ({ status: 0, error: e }));
    expect(attempt.status).toBe(0); // the process died mid-request
    if (doomed.child.exitCode === null && doomed.child.signalCode === null) {
      await new Promise((r) => doomed.child.once('exit', r));
    }
    expect(doomed.child.signalCode).toBe('SIGKILL');

    const pending = await db.pool.query(`select id, status from "order" where checkout_key = $1`, [idemKey]);
    expect(pending.rows).toHaveLength(1);
    expect(pending.rows[0].status).toBe('pending');
    const orderId = pending.rows[0].id as string;
    const charged = await db.pool.query(
      'select count(*)::int as n from test_gateway_payment where order_id = $1 and amount_captured = 8400',
      [orderId],
    );
    expect(charged.rows[0].n).toBe(1);

    // Restart: two workers race to reconcile; an API process serves the retry.
    procs.push(await startCrowdstart('worker', env), await startCrowdstart('worker', env));
    const status = await waitFor(async () => {
      const r = await db.pool.query('select status from "order" where id = $1', [orderId]);
      return r.rows[0].status === 'paid' ? 'paid' : undefined;
    }, 30_000);
    expect(status).toBe('paid');
    await new Promise((r) => setTimeout(r, 1500)); // let any duplicate attempt surface

    const paidEvents = await db.pool.query(
      `select count(*)::int as n from event where type = 'order.paid' and data->'object'->>'id' = $1`,
      [orderId],
    );
    expect(paidEvents.rows[0].n).toBe(1);
    const level = await db.pool.query(
      'select on_hand, committed from inventory_level where variant_id = $1',
      [variantId],
    );
    expect(level.rows[0]).toEqual({ on_hand: 3, committed: 0 });
    const commits = await db.pool.query(
      `select count(*)::int as n from inventory_movement where variant_id = $1 and reason = 'commit'`,
      [variantId],
    );
    expect(commits.rows[0].n).toBe(1);

    const api2 = await startCrowdstart('serve', env);
    procs.push(api2);
    // The dead request's claim on the key blocks retries (409) until its lock lapses; then the retry resumes.
    const retry = await waitFor(async () => {
      const r = await api(api2.url, 'POST', '/v1/checkout', {
        key: store.pk,
        headers: { 'idempotency-key': idemKey },
        body: {
          cart_token: c.json.token,
          payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' } },
        },
      });
      if (r.status === 409) {
        expect(r.json.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
        return undefined;
      }
      return r;
    }, 20_000);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.json.order.id).toBe(orderId);
    const orders = await db.pool.query('select count(*)::int as n from "order" where checkout_key = $1', [
      idemKey,
    ]);
    expect(orders.rows[0].n).toBe(1);
  });
});
