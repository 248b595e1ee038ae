import path from 'node:path';
import { build } from 'esbuild';
import type { SiteFile } from './site.ts';

const ISLANDS = ['common', 'product', 'cart', 'checkout', 'order', 'search', 'account'];
const dir = path.join(import.meta.dirname, 'islands');

/**
 * Bundles the islands for the browser (ES modules with shared chunks, minified) into memory:
 * `/assets/<island>.js` and its chunks.
 */
export async function buildIslands(): Promise<Map<string, SiteFile>> {
  const out = await build({
    entryPoints: Object.fromEntries(ISLANDS.map((n) => [n, path.join(dir, n)])),
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: 'es2020',
    outdir: '/assets',
    chunkNames: 'chunk-[hash]',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, SiteFile>();
  for (const f of out.outputFiles) {
    files.set(`/assets/${path.basename(f.path)}`, { type: 'text/javascript; charset=utf-8', body: f.text });
  }
  return files;
}

const SDK = path.join(import.meta.dirname, '../packages/sdk');

/**
 * The SDK's two browser builds (`/sdk/crowdstart.js`, ESM, and the drop-in `/shop.js`, IIFE), built in memory
 * with the same settings as `npm run build:sdk`: for a checkout where packages/sdk/dist was never built.
 */
export async function buildSdkBundles(): Promise<Map<string, SiteFile>> {
  const common = {
    bundle: true,
    minify: true,
    target: 'es2020',
    legalComments: 'none',
    write: false,
  } as const;
  const [esm, iife] = await Promise.all([
    build({ ...common, entryPoints: [path.join(SDK, 'src/index')], format: 'esm', platform: 'neutral' }),
    build({
      ...common,
      entryPoints: [path.join(SDK, 'src/shop/shop')],
      format: 'iife',
      platform: 'browser',
    }),
  ]);
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['/sdk/crowdstart.js', { type: js, body: esm.outputFiles[0]!.text }],
    ['/shop.js', { type: js, body: iife.outputFiles[0]!.text }],
  ]);
}
