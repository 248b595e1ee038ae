import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, e2eDatabase, e2eStore, type Proc, startCrowdstart } from './processes.ts';

/**
 * A database connection that drops mid-request (failover, restart, pg_terminate_backend) is a fault to
 * answer, never a reason to exit: API and worker processes under load survive repeated terminations of
 * every backend of their database, answer nothing but 2xx/4xx/503 meanwhile, and serve 200 afterwards.
 */
const ADMIN_URL = process.env.TEST_DATABASE_URL!;
let db: Awaited<ReturnType<typeof e2eDatabase>>;
const procs: Proc[] = [];

beforeAll(async () => {
  db = await e2eDatabase(ADMIN_URL);
  db.pool.on('error', () => undefined); // the test's own idle connections are terminated too
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await db?.drop();
});

const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

describe('database connections terminated under load', () => {
  it('keeps API and worker processes alive; faults answer 503, then 200 again', {
    timeout: 120_000,
  }, async () => {
    const env = { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '8', WORKER_POLL_MS: '20' };
    const server = await startCrowdstart('serve', env);
    procs.push(server);
    const worker = await startCrowdstart('worker', env);
    procs.push(worker);
    const store = await e2eStore(server.url);
    const p = await api(server.url, 'POST', '/v1/products', {
      key: store.sk,
      body: {
        title: 'Failover kit',
        status: 'active',
        options: [{ name: 'Size', values: ['One'] }],
        variants: [{ sku: 'FAILOVER-1', price: 1500, option_values: { Size: 'One' } }],
      },
    });
    expect(p.status, p.text).toBe(201);
    const variantId = p.json.variants[0].id as string;
    expect(
      (await api(server.url, 'PUT', `/v1/inventory/${variantId}`, { key: store.sk, body: { on_hand: 1e6 } }))
        .status,
    ).toBe(200);

    const statuses = new Map<number, number>();
    const transportErrors: string[] = [];
    let stop = false;
    const requests = [
      () =>
        api(server.url, 'POST', '/v1/carts', {
          key: store.pk,
          body: { lines: [{ variant_id: variantId, quantity: 1 }] },
        }),
      () => api(server.url, 'GET', '/v1/products?limit=20', { key: store.sk }),
      () => api(server.url, 'GET', `/v1/inventory/${variantId}`, { key: store.sk }),
    ];
    const loops = Array.from({ length: 24 }, async (_, i) => {
      while (!stop) {
        try {
          const r = await requests[i % requests.length]!();
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 503) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
        } catch (e) {
          transportErrors.push(String((e as Error).cause ?? e));
          if (!alive(server)) return;
        }
      }
    });

    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const dbName = new URL(db.url).pathname.slice(1);
    let terminated = 0;
    try {
      await new Promise((r) => setTimeout(r, 500));
      for (let round = 0; round < 8; round++) {
        const r = await admin.query(
          'select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [dbName],
        );
        terminated += r.rows.filter((x) => x.ok).length;
        await new Promise((res) => setTimeout(res, 300));
      }
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      stop = true;
      await Promise.all(loops);
      await admin.end();
    }

    const summary = JSON.stringify({ terminated, statuses: Object.fromEntries(statuses), transportErrors });
    expect(alive(server), `${summary}\n${server.output().slice(-3000)}`).toBe(true);
    expect(
      alive(worker),
      `${summary} exit ${worker.child.exitCode} ${worker.child.signalCode}\n${worker.output().slice(-3000)}`,
    ).toBe(true);
    expect(terminated, summary).toBeGreaterThan(8);
    expect(transportErrors, summary).toEqual([]);
    const unexpected = [...statuses.keys()].filter((s) => !(s < 300 || (s >= 400 && s < 500) || s === 503));
    expect(unexpected, summary).toEqual([]);
    expect(statuses.get(200) ?? 0, summary).toBeGreaterThan(0);
    console.info(`db failover: ${summary}`);

    // Afterwards both processes work normally again.
    const after = await api(server.url, 'GET', '/v1/products?limit=5', { key: store.sk });
    expect(after.status, after.text).toBe(200);
    const cart = await api(server.url, 'POST', '/v1/carts', {
      key: store.pk,
      body: { lines: [{ variant_id: variantId, quantity: 1 }] },
    });
    expect(cart.status, cart.text).toBe(201);
    expect(alive(worker)).toBe(true);
  });
});
