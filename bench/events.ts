// Event delivery on PostgreSQL: one API process, two workers, a local webhook receiver. Usage:
//   npm run build && npm run bench:events -- [--duration 10] [--connections 50] [--burst 10000]
// 1. checkout throughput without any webhook endpoint, then with one endpoint subscribed to every event type
//    (the cost of webhooks on the money path), and the delay from each order.paid's commit to its arrival;
// 2. a burst of committed events (inserted in one transaction) drained to the receiver by two workers:
//    deliveries per second from commit to 2xx.
// Needs BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh database is dropped after.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CARD, call } from './lib/api.ts';
import { ADMIN_URL, databaseUrl, serverEnv } from './lib/db.ts';
import { percentile } from './lib/latency.ts';
import { load } from './lib/load.ts';
import { cli, type Server, startApi, startWorker } from './lib/proc.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    burst: { type: 'string', default: '10000' },
    /** Only the burst (no checkout runs): events are copies of a small synthetic order.paid. */
    'burst-only': { type: 'boolean', default: false },
  },
});
const durationSec = Number(values.duration);
const connections = Number(values.connections);
const burst = Number(values.burst);
const log = (m: string) => process.stderr.write(`[bench:events] ${m}\n`);

// The receiver: answers 204 at once and records when each webhook-id first arrived.
const arrivals = new Map<string, { at: number; type: string; created: number }>();
let deliveries = 0;
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    deliveries++;
    const id = String(req.headers['webhook-id']);
    if (!arrivals.has(id)) {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      arrivals.set(id, { at: Date.now(), type: e.type, created: Date.parse(e.created) });
    }
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

const dbName = `cs_bench_events_${Date.now()}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${dbName}`);
const dbUrl = databaseUrl(dbName);
const procs: Server[] = [];
try {
  const env = {
    ...serverEnv(dbUrl),
    CROWDSTART_ROOT_TOKEN: 'bench_root_token_0123456789abcdef',
    WEBHOOK_ALLOW_PRIVATE: 'loopback',
    RECONCILE_AFTER_SECONDS: '3600',
  };
  await cli(['migrate'], env);
  const api = await startApi(env, 3990);
  procs.push(api);
  const base = api.url;
  for (let i = 0; i < 2; i++) procs.push(await startWorker(env));
  const root = env.CROWDSTART_ROOT_TOKEN;
  const store = await call(base, 'POST', '/v1/stores', root, { name: 'Bench', currency: 'USD' });
  const pk = (await call(base, 'POST', `/v1/stores/${store.id}/keys`, root, { kind: 'publishable' })).key;
  const sk = (await call(base, 'POST', `/v1/stores/${store.id}/keys`, root, { kind: 'secret' })).key;
  const variants: string[] = [];
  for (let i = 0; i < 50; i++) {
    const p = await call(base, 'POST', '/v1/products', sk, {
      title: `Bench thing ${i}`,
      status: 'active',
      options: [{ name: 'Size', values: ['M'] }],
      variants: [{ sku: `EV-${i}-${randomUUID().slice(0, 6)}`, price: 2500, option_values: { Size: 'M' } }],
    });
    variants.push(p.variants[0].id);
    await call(base, 'PUT', `/v1/inventory/${p.variants[0].id}`, sk, { on_hand: 10_000_000 });
  }
  async function carts(n: number) {
    const out: string[] = [];
    for (let i = 0; i < n; i += 50) {
      out.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, n - i) }, (_, j) =>
            call(base, 'POST', '/v1/carts', pk, {
              email: 'bench@example.com',
              lines: [{ variant_id: variants[(i + j) % variants.length]!, quantity: 1 }],
            }).then((c) => c.token as string),
          ),
        )),
      );
    }
    return out;
  }
  async function checkoutRun(label: string) {
    const tokens = await carts(Math.max(2000, durationSec * 400));
    const statuses = new Map<number, number>();
    const r = await load({
      url: base,
      method: 'POST',
      paths: ['/v1/checkout'],
      headers: { authorization: `Bearer ${pk}`, 'content-type': 'application/json' },
      headersFor: () => ({ 'idempotency-key': randomUUID() }),
      body: (n) => JSON.stringify({ cart_token: tokens[n % tokens.length], payment: { card: CARD } }),
      statuses,
      connections,
      durationSec,
    });
    log(`${label}: ${r.rps.toFixed(0)} checkouts/s, p99 ${r.p99} ms, ${statuses.get(201) ?? 0} paid`);
    return { ...r, paid: statuses.get(201) ?? 0 };
  }

  const burstOnly = values['burst-only'];
  const skipped = { rps: Number.NaN, p99: Number.NaN, paid: 0 };
  const without = burstOnly ? skipped : await checkoutRun('checkout, no webhook endpoint');
  await call(base, 'POST', '/v1/webhook_endpoints', sk, { url: receiverUrl, enabled_events: ['*'] });
  const started = Date.now();
  const withHooks = burstOnly ? skipped : await checkoutRun('checkout, one endpoint for every event');
  // Wait for the stream to drain, then read the commit → arrival delay of every order.paid sent meanwhile.
  const want = withHooks.paid;
  for (let i = 0; i < 600; i++) {
    const paid = [...arrivals.values()].filter((a) => a.type === 'order.paid' && a.created >= started).length;
    if (paid >= want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const delays = [...arrivals.values()]
    .filter((a) => a.type === 'order.paid' && a.created >= started)
    .map((a) => a.at - a.created)
    .sort((a, b) => a - b);

  // Burst: `burst` events committed at once (copies of a real order.paid), then drained by both workers.
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const sample = await pool.query(`select data from event where type = 'order.paid' limit 1`);
  const data = sample.rows[0]?.data ?? {
    object: { id: 'ord_bench', object: 'order', status: 'paid', currency: 'usd', total: 2500, lines: [] },
  };
  const before = deliveries;
  const t0 = Date.now();
  await pool.query(
    `insert into event (id, store_id, livemode, type, api_version, data, created_at)
     select 'evt_bench' || lpad(g::text, 8, '0'), $1, false, 'order.paid', '2026-11-01', $2::jsonb, now()
       from generate_series(1, $3) g`,
    [store.id, JSON.stringify(data), burst],
  );
  const committed = Date.now();
  while (deliveries - before < burst && Date.now() - committed < 300_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainedMs = Date.now() - committed;
  await pool.end();

  const drop = 1 - withHooks.rps / without.rps;
  const lines = [
    `| measure | value |`,
    `|---|---|`,
    `| checkout without webhooks (${connections} connections, ${durationSec} s) | ${without.rps.toFixed(0)} /s, p99 ${without.p99} ms |`,
    `| checkout with one endpoint for every event | ${withHooks.rps.toFixed(0)} /s, p99 ${withHooks.p99} ms (${(drop * 100).toFixed(1)}% ${drop >= 0 ? 'lower' : 'higher'}) |`,
    `| order.paid commit → receiver, during that run | p50 ${percentile(delays, 50)} ms, p99 ${percentile(delays, 99)} ms, max ${Math.max(...delays)} ms (${delays.length} events) |`,
    `| burst of ${burst} committed events, two workers | ${(burst / (drainedMs / 1000)).toFixed(0)} deliveries/s (${deliveries - before} in ${drainedMs} ms, insert ${committed - t0} ms) |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const p of procs) await p.stop();
  receiver.close();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
