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
    entryPoints: Object.fromEntries(ISLANDS.map((n) => [n, path.join(dir, `${n}.ts`)])),
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
