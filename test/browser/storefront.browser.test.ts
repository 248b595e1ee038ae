import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoStore } from '../../src/modules/catalog/index.ts';
import { listen } from '../../src/server.ts';
import { chromiumPresent, inCi, launchChromium } from '../support/chromium.ts';
import { type TestApp, testApp } from '../support/harness.ts';

/**
 * The storefront in a real browser (Debian's chromium, never a downloaded one), against a server this test
 * starts: browse, search with a typo, choose a variant, add to cart, check out with a declined and then a good
 * card. Screenshots of each step go to test-artifacts/storefront/.
 */
const SHOTS = 'test-artifacts/storefront';

describe.skipIf(!chromiumPresent && !inCi)('storefront in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let sk: string;
  let close: () => Promise<void>;
  let orderId = '';
  /** The emails the app sent, as the test SMTP server received them. */
  const inbox: { to: string; text: string }[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream).then(
        (m) => {
          const to = Array.isArray(m.to) ? m.to[0]?.text : m.to?.text;
          inbox.push({ to: to ?? '', text: m.text ?? '' });
          done();
        },
        (e) => done(e),
      );
    },
  });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    t = await testApp({ env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });
    const seeded = await seedDemoStore({ db: t.database.db, stores: t.deps.stores, products: 60 });
    sk = seeded.secretKey;
    const rate = await t.request('POST', '/v1/shipping-rates', {
      key: sk,
      body: { name: 'Standard', countries: ['*'], amount: 500 },
    });
    expect(rate.status).toBe(201);
    await t.configureStorefront({ publishableKey: seeded.publishableKey, secretKey: sk });
    const served = await listen(t, { port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${served.port}`;
    close = () => new Promise<void>((r) => served.server.close(() => r()));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await close?.();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  /** A product with an in-stock variant that needs choosing (more than one variant), by the API. */
  async function pickProduct() {
    const list = await t.request('GET', '/v1/products?limit=100', { key: sk });
    for (const p of list.json.data) {
      const word = (p.title as string).split(' ').find((w) => /^[A-Za-z]{7,}$/.test(w));
      const v = p.variants.find((x: any) => x.availability.in_stock && x.position > 0);
      if (p.status === 'active' && word && v && p.variants.length > 1) return { p, v, word };
    }
    throw new Error('no product to buy in the seeded catalog');
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  it('browse → search with a typo → product → variant → cart → declined card → good card → confirmation', async () => {
    const { p, v, word } = await pickProduct();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    const home = await page.goto(`${base}/`);
    expect(home?.status()).toBe(200);
    expect(home?.headers()['etag']).toMatch(/^"/);
    await expect(page.locator('main h2').count()).resolves.toBeGreaterThan(0);
    await shot(page, '01-home');

    // A typo: one letter of a title word dropped.
    const typo = word.slice(0, 3) + word.slice(4);
    await page.fill('#q', typo);
    await page.press('#q', 'Enter');
    await page.waitForURL(/\/search\?q=/);
    await page.locator('[data-island] .grid .card').first().waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-corrected]').textContent()).resolves.toContain(word.toLowerCase());
    await shot(page, '02-search-typo');

    await page.goto(`${base}/products/${p.slug}`);
    await expect(page.locator('h1').textContent()).resolves.toBe(p.title);
    for (const [name, value] of Object.entries(v.option_values as Record<string, string>)) {
      const group = page.locator('fieldset', { has: page.locator('legend', { hasText: name }) });
      await group.locator('label', { has: page.locator(`input[value="${value}"]`) }).click();
    }
    await expect(page.locator('input[name=variant_id]').inputValue()).resolves.toBe(v.id);
    await page.click('[data-add]');
    await page.locator('[data-status]', { hasText: 'Added to your cart' }).waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-cart-count]').textContent()).resolves.toBe('1');
    await shot(page, '03-product-added');

    await page.click('a.cartlink[href="/cart"]');
    await page.locator('[data-island] table').waitFor();
    await expect(page.locator('[data-island] tbody tr').count()).resolves.toBe(1);
    await shot(page, '04-cart');

    await page.click('text=Check out');
    await page.waitForURL(/\/checkout$/);
    await page.fill('#f-email', 'shopper@example.com');
    await page.fill('#f-name', 'Ada Shopper');
    await page.fill('#f-line1', '1 Market Street');
    await page.fill('#f-city', 'Springfield');
    await page.fill('#f-postal_code', '12345');
    await page.fill('#f-country', 'US');
    await page.click('text=Continue to payment');
    await page.locator('#f-number').waitFor();
    await expect(page.locator('input[name=shipping]').count()).resolves.toBeGreaterThan(0);

    // Declined: the message shows and the cart stays.
    await page.fill('#f-number', '4000 0000 0000 0002');
    await page.fill('#f-exp', '12/34');
    await page.fill('#f-cvc', '123');
    await page.click('[data-pay]');
    const declined = page.locator('[data-message] [role=alert]');
    await declined.waitFor({ timeout: 20_000 });
    await expect(declined.textContent()).resolves.toMatch(/declined/i);
    await shot(page, '05-checkout-declined');
    await expect(page.locator('[data-cart-count]').textContent()).resolves.toBe('1');

    await page.fill('#f-number', '4242 4242 4242 4242');
    await page.click('[data-pay]');
    await page.waitForURL(/\/order\?id=ord_/, { timeout: 20_000 });
    orderId = new URL(page.url()).searchParams.get('id')!;
    await page.locator('[data-order-id]').waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-order-id]').textContent()).resolves.toBe(orderId);
    await expect(page.locator('[data-cart-count]').textContent()).resolves.toBe('0');
    await shot(page, '06-confirmation');

    const order = await t.request('GET', `/v1/orders/${orderId}`, { key: sk });
    expect(order.status).toBe(200);
    expect(order.json.payment_status).toBe('paid');
    expect(order.json.email).toBe('shopper@example.com');
    expect(order.json.lines[0].variant_id).toBe(v.id);
    expect(order.json.shipping_total).toBe(500);
    expect(errors).toEqual([]);

    // A narrow phone screen.
    const phone = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await phone.goto(`${base}/products/${p.slug}`);
    await shot(phone, '07-product-360px');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
  });

  it('sign up → verify the email from its link → sign in → the order history shows the guest order', async () => {
    expect(orderId).toMatch(/^ord_/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/account/sign-up`);
    await page.fill('#a-name', 'Ada Shopper');
    await page.fill('#a-email', 'shopper@example.com');
    await page.fill('#a-password', 'correct horse battery');
    await page.click('[data-form] button[type=submit]');
    await page.locator('[data-message] [role=status]', { hasText: 'Check your email' }).waitFor();
    await shot(page, '08-signed-up');

    // The worker's mail task sends what the sign-up queued; the link comes out of the email itself.
    await t.mail.sendDue();
    const mail = inbox.find((m) => m.to.includes('shopper@example.com') && /verify\?token=/.test(m.text));
    expect(mail, JSON.stringify(inbox)).toBeDefined();
    const link = new URL(/https?:\/\/\S+\/account\/verify\?token=[^\s)>\]]+/.exec(mail!.text)![0]);
    await page.goto(`${base}${link.pathname}${link.search}`);
    await page.locator('[role=status]', { hasText: 'verified' }).waitFor({ timeout: 15_000 });
    await shot(page, '09-verified');

    await page.goto(`${base}/account/sign-in`);
    await page.fill('#a-email', 'shopper@example.com');
    await page.fill('#a-password', 'correct horse battery');
    await page.click('[data-form] button[type=submit]');
    await page.waitForURL(/\/account\/orders$/);
    await page.locator('[data-orders] tbody tr').first().waitFor({ timeout: 15_000 });
    await expect(page.locator('[data-orders]').textContent()).resolves.toContain(orderId);
    await shot(page, '10-order-history');
  });

  it('serves pages with ETags (304 on If-None-Match) and leaves the API alone', async () => {
    const first = await fetch(`${base}/`);
    const etag = first.headers.get('etag')!;
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/v1/nope`)).headers.get('content-type')).toMatch(/json/);
    expect((await fetch(`${base}/no/such/page`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    for (const path of ['/shop.js', '/sdk/crowdstart.js']) {
      const js = await fetch(`${base}${path}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect((await js.text()).length).toBeGreaterThan(1000);
    }
  });

  it('re-renders a product page when the product changes', async () => {
    const { p } = await pickProduct();
    const before = await (await fetch(`${base}/products/${p.slug}`)).text();
    expect(before).toContain(p.title);
    const patched = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: sk,
      body: { title: `${p.title} Deluxe` },
      headers: { 'if-match': `"${p.version}"` },
    });
    expect(patched.status).toBe(200);
    await t.storefront.refresh();
    const after = await (await fetch(`${base}/products/${p.slug}`)).text();
    expect(after).toContain(`${p.title} Deluxe`);
  });
});
