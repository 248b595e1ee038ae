import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopScript } from '../../scripts/sdk-build.lib.ts';
import { listen } from '../../src/server.ts';
import { createProduct } from '../sdk/support.ts';
import { CHROMIUM_MISSING, chromiumPresent, inCi, launchChromium } from '../support/chromium.ts';
import { CARDS } from '../support/commerce.ts';
import { testApp } from '../support/harness.ts';

/**
 * shop.js on a plain HTML page of another origin than the API, in Debian's chromium (never a downloaded one).
 * Skipped only on a machine without chromium outside CI; with CI=true a missing chromium fails the suite.
 */
const ARTIFACTS = 'test-artifacts/shop';

describe.skipIf(!chromiumPresent && !inCi)('shop.js on a plain page', () => {
  let browser: Browser;
  let pageUrl = '';
  let apiBase = '';
  let sk = '';
  let mugVariant = '';
  const t = testApp();
  const errors: string[] = [];

  beforeAll(async () => {
    expect(chromiumPresent, CHROMIUM_MISSING).toBe(true);
    const app = await t;
    const api = await listen(app, { port: 0, host: '127.0.0.1' });
    apiBase = `http://127.0.0.1:${api.port}`;
    const store = await app.createStore({ name: 'Corner shop' });
    sk = store.sk;
    for (const [name, amount] of [
      ['Standard', 500],
      ['Express', 1500],
    ] as const) {
      const r = await app.request('POST', '/v1/shipping-rates', {
        key: sk,
        body: { name, countries: ['*'], amount, weight_bands: [], free_above: null },
      });
      expect(r.status).toBe(201);
    }
    mugVariant = (await createProduct(app, sk, { title: 'Stoneware Mug', price: 1800 })).variantId;
    const script = await shopScript();
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Corner shop</title>
<style>body{font-family:Georgia,serif;max-width:720px;margin:40px auto;padding:0 20px}.card{border:1px solid #ccc;padding:16px;margin:12px 0}</style>
</head><body><h1>Corner shop</h1><p><a href="#" data-crowdstart-cart>View cart</a></p>
<div class="card"><h2>Stoneware Mug</h2><p>$18.00</p><button data-crowdstart-add="${mugVariant}">Add to cart</button>
<span data-crowdstart-add="${mugVariant}" data-quantity="2">Add two</span></div>
<script src="/shop.js" data-key="${store.pk}" data-api="${apiBase}"></script></body></html>`;
    const site = createServer((req, res) => {
      if (req.url === '/shop.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    afterAll(async () => {
      await browser.close();
      await new Promise<void>((r) => site.close(() => r()));
      await new Promise<void>((r) => api.server.close(() => r()));
    });
  });

  async function openPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pageUrl);
    await page.locator('#crowdstart-shop .fab').waitFor();
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png` });

  async function addAndFillAddress(page: Page) {
    await page.getByRole('button', { name: 'Add to cart' }).click();
    const drawer = page.getByRole('dialog', { name: 'Your cart' });
    await drawer.waitFor();
    await expect(drawer.locator('[data-line]').count()).resolves.toBe(1);
    return drawer;
  }

  it('adds an item, opens the drawer, checks out with a success card, and confirms the order', async () => {
    const page = await openPage();
    await shot(page, '01-page');
    const drawer = await addAndFillAddress(page);
    await expect(page.getByLabel('Quantity of Stoneware Mug').inputValue()).resolves.toBe('1');
    await shot(page, '02-added');

    await page.getByRole('button', { name: 'One more Stoneware Mug' }).click();
    await expect.poll(() => page.getByLabel('Quantity of Stoneware Mug').inputValue()).toBe('2');
    await expect(drawer.locator('[data-total]').textContent()).resolves.toBe('$36.00');
    await expect(page.locator('#crowdstart-shop .fab').getAttribute('aria-label')).resolves.toBe(
      'Open cart, 2 items',
    );

    // Escape closes the drawer and gives focus back to the element that opened it.
    await page.keyboard.press('Escape');
    await expect(drawer.isHidden()).resolves.toBe(true);
    await page.getByText('View cart').click();
    await drawer.waitFor();

    await page.getByRole('button', { name: 'Checkout' }).click();
    const form = page.getByRole('dialog', { name: 'Checkout' });
    await form.waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Address', { exact: true }).fill('12 St James Square');
    await page.getByLabel('City').fill('London');
    await page.getByLabel('Postal code').fill('SW1Y 4JH');
    await page.getByLabel('Country code').fill('GB');
    await shot(page, '03-address');
    await page.getByRole('button', { name: 'Continue to payment' }).click();

    const pay = page.getByRole('dialog', { name: 'Payment' });
    await pay.waitFor();
    await page.getByLabel('Express').check();
    await expect.poll(() => pay.locator('[data-total]').textContent()).toBe('$51.00');
    await page.getByLabel('Card number').fill(CARDS.success);
    await page.getByLabel('Expiry (MM/YY)').fill('12/34');
    await page.getByLabel('Security code').fill('123');
    await shot(page, '04-payment');
    await page.getByRole('button', { name: 'Pay $51.00' }).click();

    const done = page.getByRole('dialog', { name: 'Order confirmed' });
    await done.waitFor({ timeout: 20_000 });
    const orderId = await done.locator('[data-order]').getAttribute('data-order');
    expect(orderId).toMatch(/^ord_/);
    await shot(page, '05-confirmed');
    const order = await (await t).request('GET', `/v1/orders/${orderId}`, { key: sk });
    expect(order.json).toMatchObject({ status: 'paid', total: 5100, email: 'ada@example.com' });
    await expect(page.locator('#crowdstart-shop .fab .count').textContent()).resolves.toBe('0');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the decline message of a declined card and keeps the cart', async () => {
    const page = await openPage();
    await addAndFillAddress(page);
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Full name').fill('Grace Hopper');
    await page.getByLabel('Address', { exact: true }).fill('1 Navy Way');
    await page.getByLabel('City').fill('Arlington');
    await page.getByLabel('Postal code').fill('22201');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('dialog', { name: 'Payment' }).waitFor();
    // The shipping rate is saved while the shopper types the card: its answer is held until the card is
    // typed, and the payment form it re-renders must keep what was typed.
    let releaseRate = () => {};
    const rateHeld = new Promise<void>((r) => {
      releaseRate = r;
    });
    let rateAnswered = () => {};
    const rateDone = new Promise<void>((r) => {
      rateAnswered = r;
    });
    await page.route('**/v1/carts/current/shipping-rate', async (route) => {
      await rateHeld;
      await route.continue();
      rateAnswered();
    });
    const pay = page.getByRole('button', { name: /^Pay / });
    const payBefore = await pay.textContent();
    await page.getByLabel('Standard').check();
    await page.getByLabel('Card number').fill(CARDS.declined);
    await page.getByLabel('Expiry (MM/YY)').fill('12/34');
    await page.getByLabel('Security code').fill('123');
    releaseRate();
    await rateDone;
    await expect.poll(() => pay.textContent()).not.toBe(payBefore); // re-rendered with the shipping
    await expect(page.getByLabel('Card number').inputValue()).resolves.toBe(CARDS.declined);
    await expect(page.getByLabel('Security code').inputValue()).resolves.toBe('123');
    await page.unroute('**/v1/carts/current/shipping-rate');
    await pay.click();
    const alert = page.locator('#crowdstart-shop [role=alert]');
    await expect.poll(() => alert.textContent()).toBe('The card was declined.');
    await shot(page, '06-declined');

    // The cart is intact: the drawer still lists it and the page's cart count still counts it.
    await page.getByRole('button', { name: 'Back to cart' }).click();
    await expect(alert.textContent()).resolves.toBe('');
    await expect(page.getByLabel('Quantity of Stoneware Mug').inputValue()).resolves.toBe('1');
    await expect(page.locator('#crowdstart-shop .fab .count').textContent()).resolves.toBe('1');
    await shot(page, '07-cart-kept');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is operable by keyboard: a non-button add element, the focus trap, and Escape', async () => {
    const page = await openPage();
    const addTwo = page.getByRole('button', { name: 'Add two' });
    await addTwo.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: 'Your cart' });
    await drawer.waitFor();
    await expect(page.getByLabel('Quantity of Stoneware Mug').inputValue()).resolves.toBe('2');
    // Tab cycles inside the drawer: many presses never leave it.
    for (let i = 0; i < 15; i++) await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => {
      const root = document.getElementById('crowdstart-shop')?.shadowRoot;
      return !!root?.activeElement && !!root.querySelector('.drawer')?.contains(root.activeElement);
    });
    expect(inside).toBe(true);
    await page.keyboard.press('Escape');
    await expect(drawer.isHidden()).resolves.toBe(true);
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Add two');
    await page.close();
  });
});
