import { type BuildOptions, build } from 'esbuild';

const src = new URL('../packages/sdk/src/', import.meta.url).pathname;
const common: BuildOptions = {
  bundle: true,
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
};

/** The SDK as a storefront imports it: one ESM file. */
export const SDK_BUNDLE: BuildOptions = {
  ...common,
  entryPoints: [`${src}index.ts`],
  format: 'esm',
  platform: 'neutral',
};

/** The staff (admin) client, a separate entry so that storefronts do not carry it: `@crowdstart/sdk/admin`. */
export const ADMIN_BUNDLE: BuildOptions = {
  ...common,
  entryPoints: [`${src}admin.ts`],
  format: 'esm',
  platform: 'neutral',
};

/** The drop-in script: one classic script (IIFE) that mounts the cart drawer. */
export const SHOP_BUNDLE: BuildOptions = {
  ...common,
  entryPoints: [`${src}shop/shop.ts`],
  format: 'iife',
  platform: 'browser',
};

/** shop.js built in memory, for tests that serve it without touching dist/. */
export async function shopScript(): Promise<string> {
  const out = await build({ ...SHOP_BUNDLE, write: false });
  return out.outputFiles?.[0]?.text ?? '';
}
