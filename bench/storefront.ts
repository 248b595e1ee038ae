// The storefront, measured (not a test): product-page HTML latency at 50 connections against the bare node:http
// ceiling for the same body, the first-load JS of a product page (gzipped), and Lighthouse scores of the home,
// product and cart pages. Usage: npm run bench:storefront -- [--duration 10] [--connections 50] [--products 1000]
//   [--skip-lighthouse]. Runs the compiled server (npm run build first if dist/ is missing) on an embedded database.
import { execSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_FLAGS, CHROMIUM as DEFAULT_CHROMIUM } from '../test/support/chromium-flags.ts';
import { load } from './lib/load.ts';
import { MAIN, ROOT, startApi, startCeiling } from './lib/proc.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    products: { type: 'string', default: '1000' },
    'skip-lighthouse': { type: 'boolean', default: false },
  },
});
const log = (m: string) => process.stderr.write(`[bench:storefront] ${m}\n`);
const CHROMIUM = process.env.CHROME_PATH ?? DEFAULT_CHROMIUM;

if (!existsSync(path.join(ROOT, MAIN))) {
  log('building dist/ (npm run build)');
  execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
}
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cs-storefront-bench-'));
// `npm start` as a user gets it (EMBEDDED_DB=auto: PostgreSQL where it can run). Run as root, the embedded
// cluster belongs to the `postgres` user, which must reach its directory (mkdtemp makes it 0700).
chmodSync(dataDir, 0o755);
const port = 3950;
const server = await startApi(
  { CROWDSTART_DATA_DIR: dataDir, SEED_PRODUCTS: values.products },
  port,
  'start',
);
log(`embedded database: ${existsSync(path.join(dataDir, 'pg', 'PG_VERSION')) ? 'PostgreSQL' : 'PGlite'}`);

try {
  const home = await (await fetch(`${server.url}/`)).text();
  const paths = [...new Set([...home.matchAll(/href="(\/products\/[^"]+)"/g)].map((m) => m[1]!))];
  log(`${paths.length} product pages from the home page`);
  const product = await (await fetch(`${server.url}${paths[0]}`)).text();

  // First-load JS: the page's module script and every chunk it imports.
  const seen = new Map<string, number>();
  const queue = [...product.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => m[1]!);
  while (queue.length) {
    const src = queue.shift()!;
    if (seen.has(src)) continue;
    const js = await (await fetch(`${server.url}${src}`)).text();
    seen.set(src, gzipSync(js).length);
    for (const m of js.matchAll(/from\s*"\.\/([^"]+)"|import\s*"\.\/([^"]+)"/g))
      queue.push(`/assets/${m[1] ?? m[2]}`);
  }
  const jsGzip = [...seen.values()].reduce((a, b) => a + b, 0);

  const opts = { connections: Number(values.connections), durationSec: Number(values.duration) };
  const pages = await load({ url: server.url, paths, ...opts });
  const ceiling = await startCeiling(port + 1, Buffer.byteLength(product));
  const ceil = await load({ url: ceiling.url, paths: ['/'], ...opts });
  await ceiling.stop();

  const rows = [
    '| measure | value |',
    '|---|---|',
    `| product page HTML | ${Buffer.byteLength(product)} B (${gzipSync(product).length} B gzipped) |`,
    `| product page first-load JS, gzipped | ${jsGzip} B (${[...seen].map(([s, n]) => `${s} ${n} B`).join(', ')}) |`,
    `| product pages, ${opts.connections} connections, ${opts.durationSec} s | ${pages.rps} req/s, p50 ${pages.p50} ms, p99 ${pages.p99} ms, errors ${pages.errors + pages.non2xx} |`,
    `| ceiling: bare node:http, same body | ${ceil.rps} req/s, p50 ${ceil.p50} ms, p99 ${ceil.p99} ms (storefront at ${Math.round((pages.rps / ceil.rps) * 100)}%) |`,
  ];

  if (!values['skip-lighthouse'] && existsSync(CHROMIUM)) {
    const { default: lighthouse } = await import('lighthouse');
    const chromeLauncher = await import('chrome-launcher');
    const chrome = await chromeLauncher.launch({
      chromePath: CHROMIUM,
      chromeFlags: [...CHROMIUM_FLAGS],
    });
    try {
      for (const [name, p] of [
        ['home', '/'],
        ['product', paths[0]!],
        ['cart', '/cart'],
      ] as const) {
        const r = await lighthouse(`${server.url}${p}`, {
          port: chrome.port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
        });
        const c = r!.lhr.categories;
        const score = (k: string) => Math.round((c[k]?.score ?? 0) * 100);
        const lcp = r!.lhr.audits['largest-contentful-paint']?.numericValue ?? 0;
        rows.push(
          `| Lighthouse ${name} (${p}) | performance ${score('performance')}, accessibility ${score('accessibility')}, best practices ${score('best-practices')}, SEO ${score('seo')}, LCP ${Math.round(lcp)} ms |`,
        );
      }
    } finally {
      chrome.kill();
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
