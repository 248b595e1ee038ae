// Prints the SDK bundles' sizes and fails when the storefront SDK (crowdstart.js, as a storefront imports it)
// is above its budget, minified and gzipped.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 12 * 1024;
const dist = new URL('../packages/sdk/dist/', import.meta.url);
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
let over = false;
for (const [file, budget] of [
  ['crowdstart.js', BUDGET],
  ['shop.js', null],
] as const) {
  const min = readFileSync(new URL(file, dist));
  const gz = gzipSync(min, { level: 9 }).length;
  const verdict =
    budget === null ? '' : gz <= budget ? ` (budget ${kb(budget)}: ok)` : ` (budget ${kb(budget)}: OVER)`;
  process.stdout.write(`${file}: ${kb(min.length)} minified, ${kb(gz)} gzipped${verdict}\n`);
  if (budget !== null && gz > budget) over = true;
}
if (over) process.exit(1);
