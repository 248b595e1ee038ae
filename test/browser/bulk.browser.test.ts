import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { CHROMIUM_MISSING, chromiumPresent, inCi, launchChromium } from '../support/chromium.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';

/** The dashboard's Import & export page in Debian's chromium: an upload with a bad row, a good one, an export. */
const ARTIFACTS = 'test-artifacts/bulk';
const CSV = (price: string) =>
  `Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\ntee,Tee,Size,S,TEE-S,${price},3\ntee,,,M,TEE-M,11.00,4\n`;

describe.skipIf(!chromiumPresent && !inCi)('dashboard Import & export page', () => {
  const t = testApp();
  let browser: Browser;

  it('shows bad rows by line, imports a good file, and offers an export for download', async () => {
    expect(chromiumPresent, CHROMIUM_MISSING).toBe(true);
    const app = await t;
    const api = await listen(app, { port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${api.port}`;
    browser = await launchChromium();
    afterAll(async () => {
      await browser.close();
      await new Promise<void>((r) => api.server.close(() => r()));
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    const store = await app.createStore({ name: 'Bulk Goods' });
    const link = await app.request('POST', `/v1/stores/${store.id}/owner_link`, {
      key: ROOT_TOKEN,
      body: { email: 'owner@example.com' },
    });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const u = new URL(link.json.url);
    await page.goto(`${base}${u.pathname}${u.search}`);
    await page.getByLabel('Your name').fill('Olive Owner');
    await page.getByLabel('Choose a password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.locator('#role').waitFor();
    await page.getByRole('link', { name: 'Import & export' }).click();

    const upload = async (name: string, body: string) => {
      await page
        .getByLabel('CSV file')
        .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(body) });
      await page.getByRole('button', { name: 'Import products' }).click();
      await page.locator('#bulk tbody tr', { hasText: name }).waitFor();
      await app.bulk.runDue();
    };
    await upload('bad.csv', CSV('ten'));
    await page
      .locator('#bulk tbody tr', { hasText: 'bad.csv' })
      .getByText('failed')
      .waitFor({ timeout: 15_000 });
    expect(await page.locator('#bulk tbody tr', { hasText: 'bad.csv' }).textContent()).toContain(
      'line 2: Variant Price: "ten" is not a price in USD',
    );
    await upload('good.csv', CSV('10.00'));
    await page
      .locator('#bulk tbody tr', { hasText: 'good.csv' })
      .getByText('succeeded')
      .waitFor({ timeout: 15_000 });
    expect(await page.locator('#bulk tbody tr', { hasText: 'good.csv' }).textContent()).toContain('2/2');

    await page.getByRole('button', { name: 'Export products' }).click();
    await page.locator('#bulk tbody tr', { hasText: 'Product export' }).waitFor();
    await app.bulk.runDue();
    await page.getByRole('link', { name: 'Download products.csv' }).waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download products.csv' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('products.csv');
    await page.screenshot({ path: `${ARTIFACTS}/bulk.png`, fullPage: true });
  }, 120_000);
});
