// The merchant side at scale, on PostgreSQL. Usage:
//   npm run build && npm run bench:merchant -- [--reuse] [--db cs_bench_merchant] [--products 100000]
//     [--orders 1000000] [--events 10000000] [--requests 200] [--budget 20]
// 1. Seeds a fresh database with set-based SQL: the demo catalog (`crowdstart seed`), customers, orders with
//    lines and payments over a year, 90+ days of funnel events, a month of API events and zero-result searches;
//    then the daily rollups of the last 91 days (the worker's `rollupDay`). With --reuse an already seeded
//    database of that name is kept (its sizes are in the database's comment) and only migrated.
// 2. Measures the merchant's reads through the HTTP API with the store's secret key: p50/p95/p99 over
//    --requests requests at 1 and 10 connections (a query stops early after --budget seconds), next to a bare
//    node:http server (the ceiling) in the same run.
// Needs BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/shared/db.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { ADMIN_URL, databaseUrl, serverEnv } from './lib/db.ts';
import { percentile } from './lib/latency.ts';
import { cli, type Server, startApi, startCeiling } from './lib/proc.ts';

const { values } = parseArgs({
  options: {
    reuse: { type: 'boolean', default: false },
    db: { type: 'string', default: 'cs_bench_merchant' },
    products: { type: 'string', default: '100000' },
    orders: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '10000000' },
    requests: { type: 'string', default: '200' },
    budget: { type: 'string', default: '20' },
  },
});
const sizes = {
  products: Number(values.products),
  orders: Number(values.orders),
  events: Number(values.events),
  customers: Math.round(Number(values.orders) / 20),
  apiEvents: Math.round(Number(values.orders) / 2),
  searchMisses: Math.round(Number(values.events) / 50),
};
const requests = Number(values.requests);
const budgetMs = Number(values.budget) * 1000;
const dbName = values.db!;
if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error('--db: lower-case letters, digits and _ only');
const dbUrl = databaseUrl(dbName);
const log = (m: string) => process.stderr.write(`[bench:merchant] ${m}\n`);
const DAY_MS = 86_400_000;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** SQL for `len` Crockford base32 characters of the bigint expression `n`, as src/shared/ids.ts writes them. */
const b32 = (n: string, len: number) =>
  Array.from(
    { length: len },
    (_, i) => `substr('${ALPHABET}', (((${n}) >> ${5 * (len - 1 - i)}) & 31)::int + 1, 1)`,
  ).join(' || ');
/** A time-sortable id of the app's shape: prefix, 10 characters of milliseconds, 16 of a sequence number. */
const idSql = (prefix: string, ms: string, seq: string) =>
  `'${prefix}_' || ${b32(ms, 10)} || '000000' || ${b32(seq, 10)}`;
/** A spread of 0..mod-1 from an integer, the same on every run. */
const hash = (g: string, mod: number, salt = 0) =>
  `(((${g})::bigint * 2654435761 + ${salt}) % 4294967296 % ${mod})`;

interface SeedInfo {
  sizes: typeof sizes;
  storeId: string;
  sk: string;
  seededAt: string;
  seconds: Record<string, number>;
}

const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount === 1;
let info: SeedInfo | undefined;
if (exists && values.reuse) {
  const c = await admin.query('select shobj_description(oid, $2) as d from pg_database where datname = $1', [
    dbName,
    'pg_database',
  ]);
  info = c.rows[0]?.d ? (JSON.parse(c.rows[0].d) as SeedInfo) : undefined;
  if (!info) log(`database ${dbName} has no seed record: seeding it again`);
}
const env = serverEnv(dbUrl);
if (!info) {
  if (exists) await admin.query(`drop database ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  await cli(['migrate'], env);
  info = await seed();
  await admin.query(`comment on database ${dbName} is '${JSON.stringify(info).replaceAll("'", "''")}'`);
} else {
  const t0 = Date.now();
  await cli(['migrate'], env);
  log(`reusing ${dbName} (seeded ${info.seededAt}); migrated in ${Date.now() - t0} ms`);
}
await admin.end();

async function seed(): Promise<SeedInfo> {
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>) => {
    const t0 = Date.now();
    const r = await f();
    seconds[name] = Math.round((Date.now() - t0) / 100) / 10;
    log(`seeded ${name} in ${seconds[name]} s`);
    return r;
  };
  const out = await timed('products', () =>
    cli(['seed', '--products', String(sizes.products)], { ...env, SEED_HISTORY_DAYS: '0' }),
  );
  const sk = /secret key:\s+(\S+)/.exec(out)?.[1];
  if (!sk) throw new Error(`seed printed no secret key:\n${out}`);
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const q = (text: string, params: unknown[] = []) => c.query(text, params);
  try {
    const storeId = (await q('select id from store limit 1')).rows[0].id as string;
    // Bulk load: no WAL flush per commit, no foreign-key triggers, big sorts for the index builds.
    await q('set synchronous_commit = off');
    await q("set session_replication_role = 'replica'");
    await q("set maintenance_work_mem = '1GB'");
    await q("set work_mem = '256MB'");
    const tables = ['customer', 'order', 'order_line', 'payment', 'analytics_event', 'event', 'search_miss'];
    // Secondary indexes are dropped for the load and built again after (much faster than row by row).
    const defs = (
      await q(
        `select i.indexname, i.indexdef from pg_indexes i
          where i.schemaname = 'public' and i.tablename = any($1)
            and not exists (select 1 from pg_constraint k where k.conname = i.indexname)`,
        [tables],
      )
    ).rows as { indexname: string; indexdef: string }[];
    for (const d of defs) await q(`drop index "${d.indexname}"`);
    const now = Date.now();
    const yearMs = 365 * DAY_MS;

    await timed('customers', () =>
      q(
        `insert into customer (id, store_id, email, password_hash, name, email_verified_at, created_at, updated_at)
         select ${idSql('cus', `${now - yearMs}::bigint + k * 1000`, 'k')}, $1, 'shopper' || k || '@example.com',
                'bench-no-password', 'Shopper ' || k, now(), now(), now()
           from generate_series(0, $2 - 1) k`,
        [storeId, sizes.customers],
      ),
    );
    await timed('orders', async () => {
      await q(
        `create temp table tv as
         select (row_number() over (order by v.id) - 1)::int as rn, v.id, v.product_id, v.sku, v.title, v.price,
                p.title as ptitle
           from variant v join product p on p.id = v.product_id
          where p.store_id = $1 and p.status = 'active'`,
        [storeId],
      );
      await q('create unique index on tv (rn)');
      const nv = (await q('select count(*)::int as n from tv')).rows[0].n as number;
      // Orders over the last year, oldest first (so their ids sort like their creation times); 1–3 lines each.
      await q(
        `create temp table tor as
         select g, ${now}::bigint - (($1::bigint - g) * ${yearMs}::bigint / $1::bigint) as ms,
                1 + ${hash('g', 3, 7)} as nlines, ${hash('g', 100)} as h, ${hash('g', 200000, 11)} as shopper
           from generate_series(1, $1) g`,
        [sizes.orders],
      );
      await q(
        `create temp table tol as
         select o.g, o.ms, pos, v.id as variant_id, v.product_id, v.sku, v.title, v.ptitle, v.price,
                1 + ${hash('o.g + pos', 2, 3)} as qty
           from tor o cross join generate_series(0, 2) pos
           join tv v on v.rn = ${hash('o.g * 3 + pos', nv, 5)}
          where pos < o.nlines`,
      );
      await q(
        `insert into order_line (order_id, position, store_id, variant_id, product_id, sku, product_title, title,
                                 unit_price, qty, subtotal, total)
         select ${idSql('ord', 'ms', 'g')}, pos, $1, variant_id, product_id, sku, ptitle, title, price, qty,
                price * qty, price * qty
           from tol`,
        [storeId],
      );
      // Mostly completed; the newest are more often still paid or pending. 1 in 20 carries a customer account.
      await q(
        `insert into "order" (id, store_id, livemode, status, payment_status, fulfillment_status, currency, email,
                              shipping_address, subtotal, total, customer_id, secret_hash, gateway, reserved_until,
                              reconcile_after, created_at, updated_at, paid_at, fulfilled_at, completed_at,
                              cancelled_at)
         select ${idSql('ord', 'o.ms', 'o.g')}, $1, false, s.status,
                case s.status when 'pending' then 'pending' when 'cancelled' then 'voided' else 'paid' end,
                case when s.status in ('fulfilled', 'completed') then 'fulfilled' else 'unfulfilled' end,
                'USD', 'shopper' || o.shopper || '@example.com',
                jsonb_build_object('name', 'Shopper ' || o.shopper, 'line1', o.shopper || ' Main St',
                                   'city', 'Springfield', 'postal_code', '12345', 'country', 'US'),
                t.total, t.total,
                case when o.shopper < $2 and o.shopper % 4 = 0
                     then ${idSql('cus', `${now - yearMs}::bigint + o.shopper * 1000`, 'o.shopper')} end,
                'bench', 'test', s.at, s.at, s.at, s.at,
                case when s.status not in ('pending', 'cancelled') then s.at + interval '1 minute' end,
                case when s.status in ('fulfilled', 'completed') then s.at + interval '1 day' end,
                case when s.status = 'completed' then s.at + interval '5 days' end,
                case when s.status = 'cancelled' then s.at + interval '1 hour' end
           from tor o
           join (select g, sum(price * qty) as total from tol group by g) t on t.g = o.g
           cross join lateral (
             select to_timestamp(o.ms / 1000.0) as at,
                    case when o.h < 5 then 'cancelled'
                         when o.ms > ${now - 2 * DAY_MS} and o.h < 20 then 'pending'
                         when o.ms > ${now - 7 * DAY_MS} and o.h < 60 then 'paid'
                         when o.ms > ${now - 30 * DAY_MS} and o.h < 60 then 'fulfilled'
                         when o.h < 8 then 'fulfilled'
                         else 'completed' end as status) s`,
        [storeId, sizes.customers],
      );
      await q(
        `insert into payment (id, store_id, order_id, livemode, gateway, reference, currency, status,
                              amount_authorized, amount_captured, created_at, updated_at)
         select 'pay_' || substr(id, 5), store_id, id, false, 'test', 'test_' || substr(id, 5), currency,
                case status when 'cancelled' then 'voided' else 'captured' end,
                total, case status when 'cancelled' then 0 else total end, created_at, created_at
           from "order" where store_id = $1 and status <> 'pending' and secret_hash = 'bench'`,
        [storeId],
      );
    });
    await timed('analytics events', async () => {
      // Sessions of 8 events a minute apart over the last 91 days; how deep a session goes in the funnel
      // (view → add → checkout → order) is spread like a shop's: 35% add, 8% start a checkout, 3% order.
      const sessions = Math.ceil(sizes.events / 8);
      const np = (await q('select count(*)::int as n from product where store_id = $1', [storeId])).rows[0]
        .n as number;
      await q(
        `create temp table tp as select (row_number() over (order by id) - 1)::int as rn, id from product
          where store_id = $1`,
        [storeId],
      );
      await q('create unique index on tp (rn)');
      await q(
        `insert into analytics_event (id, store_id, livemode, session_id, type, occurred_at, received_at,
                                      product_id, order_id, quantity, value, currency, path)
         select ${idSql('aev', 'e.ms', 'e.g')}, $1, false, 'ses_' || e.k, e.type,
                to_timestamp(e.ms / 1000.0), to_timestamp(e.ms / 1000.0),
                case when e.type in ('product_viewed', 'product_added') then p.id end,
                case when e.type = 'order_completed' then 'ord_bench' || e.k end,
                case when e.type = 'product_added' then 1 end,
                case when e.type = 'order_completed' then 4900 end,
                case when e.type = 'order_completed' then 'USD' end,
                '/' || e.type
           from (
             select g, k, j, ${now}::bigint - (($2::bigint - k) * ${91 * DAY_MS}::bigint / $2::bigint) + j * 60000 as ms,
                    case when j = 0 then 'page_viewed'
                         when j < 4 then 'product_viewed'
                         when j = 4 and d < 35 then 'product_added'
                         when j = 5 and d < 15 then 'cart_viewed'
                         when j = 6 and d < 8 then 'checkout_started'
                         when j = 7 and d < 3 then 'order_completed'
                         when j >= 4 and d < 35 then 'product_viewed'
                         else 'page_viewed' end as type,
                    -- a few products draw most of the traffic
                    floor(${np}::float8 * power(${hash('k', 1000000, 13)}::float8 / 1000000, 3))::int as prn
               from (select g, g / 8 as k, g % 8 as j, ${hash('g / 8', 100, 17)} as d
                       from generate_series(0, $3 - 1) g) s
           ) e join tp p on p.rn = e.prn`,
        [storeId, sessions, sizes.events],
      );
    });
    await timed('api events', () =>
      q(
        `insert into event (id, store_id, livemode, type, api_version, data, created_at, dispatched_at)
         select ${idSql('evt', 'ms', 'g')}, $1, false, t.type, '2026-11-01',
                jsonb_build_object('object', jsonb_build_object('id', 'ord_bench' || g, 'object', 'order')),
                to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0)
           from (select g, ${now}::bigint - (($2::bigint - g) * ${30 * DAY_MS}::bigint / $2::bigint) as ms
                   from generate_series(1, $2) g) s
           cross join lateral (select (array['order.created', 'order.paid', 'order.fulfilled', 'inventory.low',
                                             'product.updated'])[1 + ${hash('g', 5, 19)}] as type) t`,
        [storeId, sizes.apiEvents],
      ),
    );
    await timed('search misses', () =>
      q(
        `insert into search_miss (store_id, livemode, term, occurred_at)
         select $1, false, 'missing thing ' || floor(5000 * power(${hash('g', 1000000, 23)}::float8 / 1000000, 2))::int,
                to_timestamp((${now}::bigint - (($2::bigint - g) * ${90 * DAY_MS}::bigint / $2::bigint)) / 1000.0)
           from generate_series(1, $2) g`,
        [storeId, sizes.searchMisses],
      ),
    );
    await timed('indexes', async () => {
      for (const d of defs) await q(d.indexdef);
    });
    await timed('analyze', () => q(`analyze ${tables.map((t) => `"${t}"`).join(', ')}`));
    await q("set session_replication_role = 'origin'");
    await timed('rollups', async () => {
      const database = await openDatabase({ url: dbUrl, poolSize: 2 });
      const built = createApp({ config: loadConfig(env), database, logger: silentLogger });
      try {
        const days = Array.from({ length: 92 }, (_, i) =>
          new Date(now - (91 - i) * DAY_MS).toISOString().slice(0, 10),
        );
        // Two days at a time: one per core.
        for (let i = 0; i < days.length; i += 2) {
          await Promise.all(days.slice(i, i + 2).map((d) => built.reports.rollups.rollupDay(storeId, d)));
        }
      } finally {
        await database.close();
      }
    });
    return { sizes, storeId, sk, seededAt: new Date(now).toISOString(), seconds };
  } finally {
    await c.end();
  }
}

// ------------------------------------------------------------------------------------------- measure

/** `requests` GETs of `path` (or of each path in turn) over `connections` keep-alive connections. */
async function measure(
  origin: string,
  paths: string[],
  connections: number,
  headers: Record<string, string>,
) {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const times: number[] = [];
  let failed = '';
  let next = 0;
  const deadline = Date.now() + budgetMs;
  const worker = async () => {
    while (next < requests && Date.now() < deadline) {
      const path = paths[next++ % paths.length]!;
      const t0 = performance.now();
      const r = await pool.request({ method: 'GET', path, headers });
      const body = await r.body.text();
      times.push(performance.now() - t0);
      if (r.statusCode !== 200 && !failed) failed = `${r.statusCode} ${path}: ${body.slice(0, 200)}`;
    }
  };
  // One warm-up request per connection: connection set-up and cold caches are not what is measured.
  await Promise.all(
    Array.from({ length: connections }, () =>
      pool.request({ method: 'GET', path: paths[0]!, headers }).then((r) => r.body.text()),
    ),
  );
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  if (failed) throw new Error(failed);
  const s = times.sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
}

const cell = (m: Awaited<ReturnType<typeof measure>>) =>
  m.n === 0 ? 'none within the budget' : `${m.p50} / ${m.p95} / ${m.p99} (${m.n})`;

const procs: Server[] = [];
try {
  const api = await startApi(env, 3991);
  procs.push(api);
  const ceiling = await startCeiling(3992, 20_000);
  procs.push(ceiling);
  const base = api.url;
  const auth = { authorization: `Bearer ${info.sk}` };
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  const pick = async (text: string, params: unknown[] = []) => (await c.query(text, params)).rows;
  const emails = Array.from({ length: 20 }, (_, i) => `shopper${(i * 9973) % 200000}@example.com`);
  const orderIds = (
    await pick(`select id from "order" where store_id = $1 order by id limit 50 offset 1000`, [info.storeId])
  ).map((r) => r.id as string);
  const mid = (
    await pick(`select id from "order" where store_id = $1 order by id limit 1 offset $2`, [
      info.storeId,
      Math.floor(info.sizes.orders / 2),
    ])
  )[0]!.id as string;
  await c.end();
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  const day = (msAgo: number) => iso(msAgo).slice(0, 10);
  const midCursor = Buffer.from(JSON.stringify({ l: 'orders', v: [mid] })).toString('base64url');
  const cases: { name: string; paths: string[]; goal?: number }[] = [
    { name: 'ceiling (bare node:http, 20 kB)', paths: ['/'] },
    { name: 'orders: newest 20', paths: ['/v1/orders?limit=20'], goal: 50 },
    { name: 'orders: status=pending', paths: ['/v1/orders?limit=20&status=pending'], goal: 50 },
    { name: 'orders: status=cancelled', paths: ['/v1/orders?limit=20&status=cancelled'], goal: 50 },
    {
      name: 'orders: created in a month 6 months ago',
      paths: [`/v1/orders?limit=20&created_from=${iso(210 * DAY_MS)}&created_to=${iso(180 * DAY_MS)}`],
      goal: 50,
    },
    {
      name: 'orders: status=paid, last 7 days',
      paths: [`/v1/orders?limit=20&status=paid&created_from=${iso(7 * DAY_MS)}`],
      goal: 50,
    },
    {
      name: 'orders: status=cancelled, a month 6 months ago',
      paths: [
        `/v1/orders?limit=20&status=cancelled&created_from=${iso(210 * DAY_MS)}&created_to=${iso(180 * DAY_MS)}`,
      ],
      goal: 50,
    },
    {
      name: 'orders: email (exact, 20 shoppers)',
      paths: emails.map((e) => `/v1/orders?limit=20&email=${encodeURIComponent(e)}`),
      goal: 50,
    },
    {
      name: 'orders: page in the middle (cursor)',
      paths: [`/v1/orders?limit=20&cursor=${midCursor}`],
      goal: 50,
    },
    {
      name: 'order by number (GET /v1/orders/{id}, 50 orders)',
      paths: orderIds.map((id) => `/v1/orders/${id}`),
      goal: 50,
    },
    {
      name: 'report: funnel, 90 days',
      paths: [`/v1/reports/funnel?from=${day(89 * DAY_MS)}&to=${day(0)}`],
      goal: 100,
    },
    { name: 'report: sales, 90 days', paths: [`/v1/reports/sales?from=${day(89 * DAY_MS)}&to=${day(0)}`] },
    {
      name: 'report: top products, 90 days',
      paths: [`/v1/reports/top_products?from=${day(89 * DAY_MS)}&to=${day(0)}&limit=10`],
    },
    {
      name: 'report: search terms, 90 days',
      paths: [`/v1/reports/search_terms?from=${day(89 * DAY_MS)}&to=${day(0)}&limit=10`],
    },
    { name: 'report: overview (today, 30 days)', paths: ['/v1/reports/overview'] },
    { name: 'products: list (secret key)', paths: ['/v1/products?limit=20'] },
    {
      name: 'products: search',
      paths: ['mug', 'linen shirt', 'candle', 'wool'].map(
        (t) => `/v1/products/search?q=${encodeURIComponent(t)}&limit=20`,
      ),
    },
    { name: 'events: newest 20', paths: ['/v1/events?limit=20'] },
    { name: 'events: type=order.paid', paths: ['/v1/events?limit=20&type=order.paid'] },
  ];
  const results: string[] = [];
  const load1 = loadavg()[0]!.toFixed(2);
  for (const k of cases) {
    const origin = k.paths[0] === '/' ? ceiling.url : base;
    const one = await measure(origin, k.paths, 1, auth);
    const ten = await measure(origin, k.paths, 10, auth);
    const met =
      k.goal === undefined
        ? ''
        : one.p99 <= k.goal && ten.p99 <= k.goal
          ? `≤ ${k.goal} ms: met`
          : `≤ ${k.goal} ms: **not met**`;
    const row = `| ${k.name} | ${cell(one)} | ${cell(ten)} | ${met} |`;
    log(row);
    results.push(row);
  }
  const seeded = info.seconds;
  const out = [
    `Seed (${info.seededAt}): ${info.sizes.products} products, ${info.sizes.customers} customers, ${info.sizes.orders} orders, ` +
      `${info.sizes.events} analytics events, ${info.sizes.apiEvents} API events, ${info.sizes.searchMisses} zero-result searches; ` +
      `seconds: ${Object.entries(seeded)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    `Load average at the start of the measures: ${load1}; at the end: ${loadavg()[0]!.toFixed(2)}.`,
    '',
    '| query | 1 connection p50 / p95 / p99 ms (n) | 10 connections p50 / p95 / p99 ms (n) | goal |',
    '|---|---|---|---|',
    ...results,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  for (const p of procs) await p.stop();
}
