// Builds packages/sdk/dist: crowdstart.js (the SDK, ESM, minified), shop.js (the drop-in script, IIFE), admin.js
// (the staff client) and the
// declaration files the package's `types` point at.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { ADMIN_BUNDLE, SDK_BUNDLE, SHOP_BUNDLE } from './sdk-build.lib.ts';

const root = new URL('../packages/sdk/', import.meta.url).pathname;
rmSync(`${root}dist`, { recursive: true, force: true });
await build({ ...SDK_BUNDLE, outfile: `${root}dist/crowdstart.js` });
await build({ ...SHOP_BUNDLE, outfile: `${root}dist/shop.js` });
await build({ ...ADMIN_BUNDLE, outfile: `${root}dist/admin.js` });
execFileSync(
  'node_modules/.bin/tsc',
  [
    ...['--declaration', '--emitDeclarationOnly', '--allowImportingTsExtensions'],
    ...[
      '--target',
      'es2022',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--strict',
      '--skipLibCheck',
    ],
    ...[
      '--lib',
      'es2022,dom',
      '--types',
      'node',
      '--outDir',
      `${root}dist`,
      `${root}src/index.ts`,
      `${root}src/admin.ts`,
    ],
  ],
  { stdio: 'inherit' },
);
// Published declarations import siblings as `.js`, the way a consumer's resolver finds them.
for (const f of readdirSync(`${root}dist`).filter((n) => n.endsWith('.d.ts'))) {
  const text = readFileSync(`${root}dist/${f}`, 'utf8');
  writeFileSync(`${root}dist/${f}`, text.replace(/(from '\.\/[\w-]+)\.ts'/g, "$1.js'"));
}
copyFileSync(`${root}src/api.d.ts`, `${root}dist/api.d.ts`);
process.stdout.write('packages/sdk/dist built\n');
