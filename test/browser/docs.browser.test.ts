import { mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { CHROMIUM_MISSING, chromiumPresent, inCi, launchChromium } from '../support/chromium.ts';
import { testApp } from '../support/harness.ts';

/**
 * The API reference at /docs in a real browser (Debian's chromium, never a downloaded one). Skipped only on a
 * machine without chromium outside CI; with CI=true a missing chromium fails the suite.
 */
const SCREENSHOTS = 'test/browser/screenshots';

describe.skipIf(!chromiumPresent && !inCi)('API reference at /docs', () => {
  it('renders the sidebar of operations, finds checkout, links each operation, and loads nothing remote', async () => {
    expect(chromiumPresent, CHROMIUM_MISSING).toBe(true);
    const t = await testApp();
    const { port, server } = await listen(t, { port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    afterAll(async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const requested: string[] = [];
    const failures: string[] = [];
    // Requests that got an answer: the page's CSP blocks the renderer's remote logo before it is sent.
    page.on('requestfinished', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => failures.push(e.message));

    const res = await page.goto(`${base}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'self'/);
    const sidebar = page.locator('.menu-content');
    const checkoutEntry = sidebar.locator('label', { hasText: 'Turn a cart into an order' }).first();
    await checkoutEntry.waitFor({ state: 'attached', timeout: 30_000 });
    // Tags and their operations are listed (one entry per operation).
    const entries = await sidebar.locator('li[data-item-id*="/operation/"]').count();
    expect(entries).toBeGreaterThanOrEqual(60);
    // Opening a tag in the sidebar shows its operations.
    await sidebar
      .locator('label', { hasText: /^Checkout$/ })
      .first()
      .click();
    await checkoutEntry.waitFor({ state: 'visible', timeout: 10_000 });

    // The guides of info.description are rendered Markdown (headings and tables), not raw text.
    await expect(page.locator('h2', { hasText: 'Idempotency and retries' }).count()).resolves.toBeGreaterThan(
      0,
    );
    await expect(page.locator('td', { hasText: '4000000000000002' }).count()).resolves.toBeGreaterThan(0);

    // Search finds checkout.
    const search = page.locator('input[placeholder^="Search"]');
    await search.fill('checkout');
    const results = page.locator('[data-role="search:results"] li');
    await results.first().waitFor({ timeout: 10_000 });
    const found = (await results.allTextContents()).join('\n');
    expect(found).toMatch(/Turn a cart into an order/);

    // Every operation has a permalink that opens on it.
    await page.goto(`${base}/docs#tag/Checkout/operation/createCheckout`);
    const op = page.locator('[id="tag/Checkout/operation/createCheckout"]');
    await op.waitFor({ timeout: 30_000 });
    await expect(op.locator('h2').first().textContent()).resolves.toMatch(/Turn a cart into an order/);
    // Request schema, response samples and code samples are rendered for it.
    await expect(op.getByText('cart_token').first().isVisible()).resolves.toBe(true);
    await expect(op.getByText('Idempotency-Key').first().isVisible()).resolves.toBe(true);
    await expect(page.getByText('curl -X POST').first().count()).resolves.toBe(1);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}/docs-checkout.png` });
    await page.goto(`${base}/docs`);
    await sidebar.locator('label').first().waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}/docs.png` });

    expect(failures.join('\n')).toBe('');
    const remote = requested.filter((u) => !u.startsWith(base) && !/^(blob|data):/.test(u));
    expect(remote.join('\n')).toBe('');
  });
});
