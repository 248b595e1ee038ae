import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDataDirs, runCli, tempDataDir } from '../../../test/support/cli.ts';

afterAll(removeTempDataDirs);

const GOOD = [
  'Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty',
  'tee,Tee,Size,S,TEE-S,10.00,3',
  'tee,,,M,TEE-M,11.50,4',
].join('\n');
const BAD = [
  'Handle,Title,Variant SKU,Variant Price',
  'cup,"Cup',
  'large",CUP-1,zz',
  'bowl,Bowl,BOWL-1,4',
].join('\n');

describe('crowdstart import products / export products', () => {
  const dir = tempDataDir();
  const env = { CROWDSTART_DATA_DIR: dir, SEED_PRODUCTS: '0' };

  it('imports a file with progress, prints bad rows by line and exits 1, and exports back', async () => {
    expect((await runCli(['seed'], env)).code).toBe(0);
    const good = path.join(dir, 'good.csv');
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(good, GOOD);
    writeFileSync(bad, BAD);

    const ok = await runCli(['import', 'products', good], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout.trim())).toMatchObject({ products_created: 1, variants_created: 2 });
    expect(ok.stderr).toMatch(/Importing rows \[#+\] 2\/2 100%/);

    const failed = await runCli(['import', 'products', bad], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('line 2: Variant Price: "zz" is not a price in USD (e.g. 19.99).\n');
    expect(failed.stderr).toMatch(/import failed \(1 problem\(s\)\); nothing was imported\n$/);

    const out = path.join(dir, 'out.csv');
    const exported = await runCli(['export', 'products', out], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout.trim())).toMatchObject({ products: 1 });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^tee,Tee,.*,Size,S,.*,TEE-S,0,shopify,3,deny,10\.00,/);
    expect(lines[2]).toMatch(/^tee,,.*,M,.*,TEE-M,0,shopify,4,deny,11\.50,/);

    const missing = await runCli(['import', 'products', path.join(dir, 'nope.csv')], env);
    expect([missing.code, missing.stderr.trim()]).toEqual([
      1,
      `cannot read ${path.join(dir, 'nope.csv')}: no such file`,
    ]);
  }, 300_000);
});
