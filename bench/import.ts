// Product CSV import on PostgreSQL, through the API and the worker. Usage:
//   npm run bench:import -- [--products 10000]
// Generates a Shopify product CSV (2–3 variants a product), posts it to POST /v1/bulk/imports (text/csv), lets
// the worker run the job, and samples GET /v1/bulk/jobs/{id} while it runs. Beside it, the ceiling: the demo
// seed writing the same number of products with the same multi-row inserts and no checks, events or progress.
// Needs BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); fresh databases are dropped after.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { seedDemoStore } from '../src/modules/catalog/index.ts';
import { createStoresService } from '../src/modules/stores/index.ts';
import { openDatabase, runMigrations } from '../src/shared/db.ts';
import { ids } from '../src/shared/ids.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { adminQuery, databaseUrl } from './lib/db.ts';

const { values } = parseArgs({ options: { products: { type: 'string', default: '10000' } } });
const products = Number(values.products);
const log = (m: string) => process.stderr.write(`[bench:import] ${m}\n`);

async function freshDatabase() {
  const name = `cs_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const database = await openDatabase({ url: databaseUrl(name), poolSize: 10 });
  await runMigrations(database);
  return {
    database,
    async drop() {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

function shopifyCsv(n: number): { csv: string; rows: number } {
  const header =
    'Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,' +
    'Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,' +
    'Variant Price,Variant Compare At Price,Image Src,Status';
  const lines = [header];
  const sizes = ['S', 'M', 'L'];
  for (let i = 0; i < n; i++) {
    const handle = `bench-product-${i}`;
    const count = 2 + (i % 2);
    for (let v = 0; v < count; v++) {
      const first = v === 0;
      lines.push(
        [
          handle,
          first ? `Bench Product ${i}` : '',
          first ? `"<p>Product ${i}, line one.</p>\n<p>Line two.</p>"` : '',
          first ? 'Acme' : '',
          first ? 'Shirts' : '',
          first ? '"bench, cotton"' : '',
          first ? 'TRUE' : '',
          first ? 'Size' : '',
          sizes[v],
          first ? 'Color' : '',
          'Blue',
          `B-${i}-${v}`,
          '200',
          'shopify',
          String((i + v) % 50),
          'deny',
          `${10 + (i % 90)}.${String(v * 25).padStart(2, '0')}`,
          '',
          first ? `https://img.example.com/${handle}.jpg` : '',
          first ? 'active' : '',
        ].join(','),
      );
    }
  }
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1 };
}

async function importRun() {
  const { database, drop } = await freshDatabase();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'postgres://unused',
    WORKER_POLL_MS: '100',
  });
  const built = createApp({ config, database, logger: silentLogger });
  try {
    await built.start({ worker: false });
    const stores = createStoresService({ db: database.db, ids });
    const store = await stores.createStore({ name: 'Bench', currency: 'USD' });
    const sk = (await stores.createKey({ storeId: store.id, kind: 'secret', mode: 'test', name: 'bench' }))
      .plaintext;
    const { csv, rows } = shopifyCsv(products);
    log(`${products} products, ${rows} rows, ${(csv.length / 1e6).toFixed(1)} MB of CSV`);
    const headers = { authorization: `Bearer ${sk}` };
    const t0 = performance.now();
    const posted = await built.app.request('/v1/bulk/imports', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/csv' },
      body: csv,
    });
    const job = (await posted.json()) as { id: string };
    const tPosted = performance.now();
    built.worker.start();
    const samples: string[] = [];
    let status = 'queued';
    let tRunning = 0;
    while (status === 'queued' || status === 'running') {
      await new Promise((r) => setTimeout(r, 250));
      const r = await built.app.request(`/v1/bulk/jobs/${job.id}`, { headers });
      const j = (await r.json()) as {
        status: string;
        progress: { done: number; total: number };
        errors: unknown[];
      };
      status = j.status;
      if (status === 'running' && !tRunning) tRunning = performance.now();
      samples.push(
        `${((performance.now() - t0) / 1000).toFixed(2)}s ${j.status} ${j.progress.done}/${j.progress.total}`,
      );
      if (status === 'failed') throw new Error(`import failed: ${JSON.stringify(j.errors).slice(0, 500)}`);
    }
    const total = (performance.now() - t0) / 1000;
    return { total, upload: (tPosted - t0) / 1000, samples };
  } finally {
    await built.close();
    await drop();
  }
}

async function ceilingRun() {
  const { database, drop } = await freshDatabase();
  try {
    const t0 = performance.now();
    await seedDemoStore({ db: database.db, stores: createStoresService({ db: database.db, ids }), products });
    return (performance.now() - t0) / 1000;
  } finally {
    await drop();
  }
}

const load0 = loadavg()[0]!.toFixed(2);
const ceiling = await ceilingRun();
const run = await importRun();
const load1 = loadavg()[0]!.toFixed(2);
const rate = products / run.total;
const out = [
  `products: ${products}`,
  `import (POST text/csv → worker → succeeded): ${run.total.toFixed(2)} s = ${rate.toFixed(0)} products/s (upload and enqueue ${run.upload.toFixed(2)} s)`,
  `ceiling (demo seed, same count, bare multi-row inserts): ${ceiling.toFixed(2)} s = ${(products / ceiling).toFixed(0)} products/s`,
  `load average: ${load0} before, ${load1} after`,
  'progress samples (time since POST, status, done/total rows):',
  ...run.samples.map((s) => `  ${s}`),
];
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
