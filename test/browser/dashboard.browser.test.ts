import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { CHROMIUM_MISSING, chromiumPresent, inCi, launchChromium } from '../support/chromium.ts';
import { CARDS, card, cartToken, checkout } from '../support/commerce.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';
import { startReceiver } from '../support/receiver.ts';

/**
 * The merchant dashboard at /admin in Debian's chromium (never a downloaded one), against a server this test
 * starts: sign-in and invitations, a product made in the dashboard and bought through the API, the order's
 * fulfilment and partial refund, the reports, a read-only user, and an edit conflict between two pages.
 * Skipped only on a machine without chromium outside CI; with CI=true a missing chromium fails the suite.
 */
const ARTIFACTS = 'test-artifacts/dashboard';
const PASSWORD = 'correct horse battery';

describe.skipIf(!chromiumPresent && !inCi)('merchant dashboard at /admin', () => {
  const t = testApp({ env: { PUBLIC_URL: 'https://shop.example', WEBHOOK_ALLOW_PRIVATE: 'loopback' } });
  let browser: Browser;
  let base = '';
  let store: { id: string; pk: string; sk: string };
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  let owner: Page;
  let sam: Page;
  let productId = '';
  let orderId = '';
  const variantIds: string[] = [];

  /** A fresh browser context (its own sessionStorage), collecting page errors. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  /** The emails sent so far to `to`, through the log transport (no SMTP_URL in tests). */
  async function mailsTo(to: string) {
    const app = await t;
    await app.mail.sendDue();
    return (
      app.mail.mailer as unknown as { sent: Array<{ to: string; subject: string; text: string }> }
    ).sent.filter((m) => m.to === to);
  }
  /** The path and query of a link the API made for `PUBLIC_URL`, on this test's server. */
  const local = (link: string) => {
    const u = new URL(link);
    return `${base}${u.pathname}${u.search}`;
  };

  beforeAll(async () => {
    expect(chromiumPresent, CHROMIUM_MISSING).toBe(true);
    const app = await t;
    const api = await listen(app, { port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${api.port}`;
    store = await app.createStore({ name: 'Harbour Goods' });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
    afterAll(async () => {
      for (const c of contexts) await c.close();
      await browser.close();
      await new Promise<void>((r) => api.server.close(() => r()));
    });
  });

  it('the owner sets a password from the owner link, sees their role, signs out and in again', async () => {
    const app = await t;
    const link = await app.request('POST', `/v1/stores/${store.id}/owner_link`, {
      key: ROOT_TOKEN,
      body: { email: 'owner@example.com' },
    });
    expect(link.status).toBe(201);
    owner = await newPage();
    await owner.goto(local(link.json.url));
    await owner.getByLabel('Your name').fill('Olive Owner');
    await owner.getByLabel('Choose a password').fill(PASSWORD);
    await shot(owner, '01-accept');
    await owner.getByRole('button', { name: 'Set password and sign in' }).click();
    await owner.locator('#role').waitFor();
    expect(await owner.locator('#role').textContent()).toBe('owner');
    expect(await owner.locator('#who').textContent()).toBe('Olive Owner');

    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.getByRole('form', { name: 'Sign in' }).waitFor();
    // A wrong password: the API's error next to the form.
    await owner.getByLabel('Store ID').fill(store.id);
    await owner.getByLabel('Email').fill('owner@example.com');
    await owner.getByLabel('Password').fill('not the password');
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('alert').filter({ hasText: /./ }).waitFor();
    await shot(owner, '02-sign-in-error');
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.locator('#role').waitFor();
    expect(await owner.locator('#role').textContent()).toBe('owner');
  });

  it('the owner invites a staff member, who accepts from the emailed link and signs in', async () => {
    await owner.getByRole('link', { name: 'Staff' }).click();
    await owner.getByLabel('Email').fill('sam@example.com');
    await owner.getByLabel('Role', { exact: true }).selectOption('staff');
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    await owner.locator('#staff tbody tr', { hasText: 'sam@example.com' }).waitFor();
    expect(await owner.locator('#staff tbody tr', { hasText: 'sam@example.com' }).textContent()).toContain(
      'invited',
    );
    await shot(owner, '03-staff-invited');

    const [mail] = await mailsTo('sam@example.com');
    const link = /https:\/\/shop\.example\/admin\/accept\?token=\S+/.exec(mail!.text)![0];
    sam = await newPage();
    await sam.goto(local(link));
    await sam.getByLabel('Your name').fill('Sam Staff');
    await sam.getByLabel('Choose a password').fill(PASSWORD);
    await sam.getByRole('button', { name: 'Set password and sign in' }).click();
    await sam.locator('#role').waitFor();
    expect(await sam.locator('#role').textContent()).toBe('staff');
    // Staff see no owner-only sections.
    expect(await sam.getByRole('link', { name: 'Developers' }).count()).toBe(0);
    await sam.getByRole('button', { name: 'Sign out' }).click();
    await sam.getByLabel('Store ID').fill(store.id);
    await sam.getByLabel('Email').fill('sam@example.com');
    await sam.getByLabel('Password').fill(PASSWORD);
    await sam.getByRole('button', { name: 'Sign in' }).click();
    await sam.locator('#role').waitFor();
    expect(await sam.locator('#who').textContent()).toBe('Sam Staff');
    await owner.reload();
    await owner.locator('#staff tbody tr', { hasText: 'sam@example.com' }).waitFor();
    expect(await owner.locator('#staff tbody tr', { hasText: 'sam@example.com' }).textContent()).toContain(
      'active',
    );
  });

  it('the owner creates a product with two variants and their stock', async () => {
    const app = await t;
    await owner.getByRole('link', { name: 'Products' }).click();
    await owner.getByRole('link', { name: 'New product' }).click();
    await owner.getByLabel('Title').fill('Canvas Tote');
    await owner.getByLabel('Status').selectOption('active');
    await owner.getByRole('button', { name: 'Add option' }).click();
    await owner.getByLabel('Option 1 name').fill('Colour');
    await owner.getByLabel('Option 1 name').press('Tab');
    await owner.getByLabel('Option 1 values').fill('Natural, Navy');
    await owner.getByLabel('Option 1 values').press('Tab');
    await owner.getByRole('button', { name: 'Make a variant for each combination' }).click();
    expect(await owner.locator('#variants tbody tr').count()).toBe(2);
    await owner.getByLabel('Price, variant 1').fill('24.00');
    await owner.getByLabel('Stock, variant 1').fill('7');
    await owner.getByLabel('Price, variant 2').fill('26.50');
    await owner.getByLabel('Stock, variant 2').fill('3');
    await shot(owner, '04-product-new');
    await owner.getByRole('button', { name: 'Create product' }).click();
    await owner.getByText('Saved.').waitFor();
    await shot(owner, '05-product-saved');
    productId = /\/admin\/products\/(prod_[0-9a-z]+)/.exec(owner.url())![1]!;

    const p = await app.request('GET', `/v1/products/${productId}`, { key: store.sk });
    expect(p.json).toMatchObject({
      title: 'Canvas Tote',
      status: 'active',
      options: [{ name: 'Colour', values: ['Natural', 'Navy'] }],
    });
    expect(
      p.json.variants.map((v: { price: number; option_values: object }) => [v.price, v.option_values]),
    ).toEqual([
      [2400, { Colour: 'Natural' }],
      [2650, { Colour: 'Navy' }],
    ]);
    for (const v of p.json.variants) variantIds.push(v.id);
    const levels = await Promise.all(
      variantIds.map((v) => app.request('GET', `/v1/inventory/${v}`, { key: store.sk })),
    );
    expect(levels.map((l) => l.json.on_hand)).toEqual([7, 3]);
  });

  it('a shopper buys it through the API; the order is listed, fulfilled with tracking and partly refunded', async () => {
    const app = await t;
    const session = 'sess_shopper_1';
    const now = () => new Date().toISOString();
    const track = async (events: object[]) => {
      const r = await app.request('POST', '/v1/analytics/events', {
        key: store.pk,
        body: { session_id: session, events },
      });
      expect(r.status, r.text).toBe(202);
    };
    await track([
      { type: 'page_viewed', occurred_at: now(), path: '/' },
      { type: 'product_viewed', occurred_at: now(), product_id: productId },
    ]);
    const token = await cartToken(
      app,
      store.pk,
      [{ variant_id: variantIds[1]!, quantity: 2 }],
      'shopper@example.com',
    );
    await track([
      {
        type: 'product_added',
        occurred_at: now(),
        product_id: productId,
        variant_id: variantIds[1],
        quantity: 2,
      },
      { type: 'checkout_started', occurred_at: now() },
    ]);
    const paid = await checkout(app, store.pk, token, card(CARDS.success));
    expect(paid.status).toBe(201);
    orderId = paid.json.order.id;
    await track([
      {
        type: 'order_completed',
        occurred_at: now(),
        order_id: orderId,
        value: paid.json.order.total,
        currency: 'USD',
      },
    ]);

    await owner.getByRole('link', { name: 'Orders' }).click();
    const row = owner.locator('table.list tbody tr', { hasText: 'shopper@example.com' });
    await row.waitFor();
    expect(await row.textContent()).toContain('$53.00');
    await owner.getByLabel('Status').selectOption('paid');
    await owner.waitForURL(/status=paid/);
    await row.waitFor();
    await owner.getByLabel('Customer email').fill('nobody@example.com');
    await owner.getByRole('button', { name: 'Apply' }).click();
    await owner.getByText('No orders match these filters.').waitFor();
    await owner.getByLabel('Customer email').fill('shopper@example.com');
    await owner.getByRole('button', { name: 'Apply' }).click();
    await shot(owner, '06-orders');
    await row.getByRole('link').click();
    await owner.locator('#lines').waitFor();
    expect(await owner.locator('#lines').textContent()).toContain('Canvas Tote – Navy');

    await owner.getByLabel('Carrier').fill('UPS');
    await owner.getByLabel('Tracking number').fill('1Z999AA10123456784');
    await owner.getByRole('button', { name: 'Mark fulfilled' }).click();
    await owner.locator('#fulfillments', { hasText: '1Z999AA10123456784' }).waitFor();

    await owner.getByLabel('Amount').fill('10.00');
    await owner.getByRole('button', { name: 'Refund', exact: true }).click();
    // The refund asks first: keeping it sends nothing.
    await owner.getByRole('dialog').waitFor();
    await shot(owner, '07-refund-confirm');
    await owner.getByRole('button', { name: 'Keep it' }).click();
    expect((await app.request('GET', `/v1/orders/${orderId}`, { key: store.sk })).json.refunds).toHaveLength(
      0,
    );
    await owner.getByRole('button', { name: 'Refund', exact: true }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Refund' }).click();
    await owner.locator('#refunds', { hasText: '$10.00' }).waitFor();
    await shot(owner, '08-order-fulfilled-refunded');

    const o = await app.request('GET', `/v1/orders/${orderId}`, { key: store.sk });
    expect(o.json.status).toBe('fulfilled');
    expect(o.json.fulfillments).toMatchObject([{ carrier: 'UPS', tracking_number: '1Z999AA10123456784' }]);
    expect(o.json.refunds).toMatchObject([{ amount: 1000 }]);
    // Refunding more than is left is refused, and the API's message is shown next to the form.
    await owner.getByLabel('Amount').fill('999.00');
    await owner.getByRole('button', { name: 'Refund', exact: true }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Refund' }).click();
    await owner.getByRole('form', { name: 'Refund' }).getByRole('alert').filter({ hasText: /./ }).waitFor();
    await shot(owner, '09-refund-error');
    expect((await app.request('GET', `/v1/orders/${orderId}`, { key: store.sk })).json.refunds).toHaveLength(
      1,
    );
  });

  it('lists the shopper among customers, the order confirmation on the order, and who changed the product', async () => {
    const app = await t;
    const signUp = await app.request('POST', '/v1/customers', {
      key: store.pk,
      body: { email: 'shopper@example.com', password: 'correct horse 1', name: 'Shay Shopper' },
    });
    expect(signUp.status).toBe(201);
    await app.events.drain(); // the worker's turn: order events become emails

    await owner.getByRole('link', { name: 'Customers' }).click();
    await owner.getByLabel('Email or name starts with').fill('SHAY');
    await owner.getByRole('button', { name: 'Search' }).click();
    await owner.waitForURL(/q=SHAY/);
    const row = owner.locator('#customers tbody tr', { hasText: 'shopper@example.com' });
    await row.waitFor();
    expect(await owner.locator('#customers tbody tr').count()).toBe(1);
    await shot(owner, '06b-customers');
    await row.getByRole('link').click();
    await owner.locator('#customer-facts').waitFor();
    expect(await owner.locator('#order-count').textContent()).toBe('0'); // a guest order counts once verified

    await owner.goto(`${base}/admin/orders/${orderId}`);
    const confirmation = owner.locator('#emails tbody tr', { hasText: 'order confirmation' });
    await confirmation.waitFor();
    expect(await confirmation.textContent()).toContain('shopper@example.com');
    await shot(owner, '08b-order-emails');

    await owner.goto(`${base}/admin/products/${productId}`);
    const created = owner.locator('#product-history li', { hasText: 'Created the product' });
    await created.waitFor();
    expect(await created.textContent()).toContain('by owner@example.com');
    await shot(owner, '05b-product-history');
  });

  it('the overview shows the sale, the conversion and the funnel from the reports', async () => {
    const app = await t;
    expect(await app.reports.rollups.rollupRecent()).toBeGreaterThan(0);
    await owner.getByRole('link', { name: 'Overview' }).click();
    await owner.locator('#funnel svg').waitFor();
    const today = await owner.locator('#today').textContent();
    expect(today).toContain('Orders today1');
    expect(today).toContain('$53.00');
    expect(today).toContain('100.0%');
    expect(today).toContain('1 of 1 sessions');
    expect(await owner.locator('#funnel svg').getAttribute('aria-label')).toBe(
      'Funnel over 30 days: Viewed a product 1, Added to cart 1, Started checkout 1, Ordered 1',
    );
    expect(await owner.locator('#funnel figcaption').textContent()).toContain(
      '100.0% of sessions that viewed a product ordered.',
    );
    expect(await owner.getByRole('link', { name: 'Canvas Tote' }).count()).toBe(1);
    await shot(owner, '10-overview');
  });

  it('a read-only user sees the order without its actions, and the API refuses their refund (403)', async () => {
    const app = await t;
    await owner.getByRole('link', { name: 'Staff' }).click();
    await owner.getByLabel('Email').fill('rita@example.com');
    await owner.getByLabel('Role', { exact: true }).selectOption('read_only');
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    await owner.getByText('Invitation sent to rita@example.com.').waitFor();
    const [mail] = await mailsTo('rita@example.com');
    const rita = await newPage();
    await rita.goto(local(/https:\/\/shop\.example\/admin\/accept\?token=\S+/.exec(mail!.text)![0]));
    await rita.getByLabel('Choose a password').fill(PASSWORD);
    await rita.getByRole('button', { name: 'Set password and sign in' }).click();
    await rita.locator('#role').waitFor();
    expect(await rita.locator('#role').textContent()).toBe('read-only');
    await rita.goto(`${base}/admin/orders/${orderId}`);
    await rita.locator('#lines').waitFor();
    await shot(rita, '11-order-read-only');
    for (const name of ['Refund', 'Mark fulfilled', 'Cancel order']) {
      expect(await rita.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await rita.goto(`${base}/admin/products/${productId}`);
    await rita.getByLabel('Title').waitFor();
    expect(await rita.getByLabel('Title').isDisabled()).toBe(true);
    expect(await rita.getByRole('button', { name: 'Save' }).count()).toBe(0);
    const session = JSON.parse(
      (await rita.evaluate(() => sessionStorage.getItem('crowdstart:staff_session')))!,
    );
    const refused = await app.request('POST', `/v1/orders/${orderId}/refund`, {
      key: session.accessToken,
      body: { amount: 100 },
      headers: { 'idempotency-key': 'read-only-refund' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('STAFF_ROLE_FORBIDDEN');
    expect((await app.request('GET', `/v1/orders/${orderId}`, { key: session.accessToken })).status).toBe(
      200,
    );
  });

  it('two pages edit one product: the later save shows the conflict, and overwriting keeps its version', async () => {
    const app = await t;
    await owner.goto(`${base}/admin/products/${productId}`);
    await sam.goto(`${base}/admin/products/${productId}`);
    await owner.getByLabel('Title').waitFor();
    await sam.getByLabel('Title').waitFor();

    await owner.getByLabel('Title').fill('Canvas Tote (large)');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByText('Saved.').waitFor();

    await sam.getByLabel('Title').fill('Canvas Tote Bag');
    await sam.getByLabel('Stock, variant 1').fill('12');
    await sam.getByRole('button', { name: 'Save' }).click();
    await sam.locator('#conflict').waitFor();
    await shot(sam, '12-product-conflict');
    // Nothing of the refused save was written.
    let p = await app.request('GET', `/v1/products/${productId}`, { key: store.sk });
    expect(p.json.title).toBe('Canvas Tote (large)');
    expect((await app.request('GET', `/v1/inventory/${variantIds[0]}`, { key: store.sk })).json.on_hand).toBe(
      7,
    );

    await sam.getByRole('button', { name: 'Overwrite with my changes' }).click();
    await sam.getByRole('dialog').getByRole('button', { name: 'Overwrite' }).click();
    await sam.getByText('Saved.').waitFor();
    await shot(sam, '13-product-overwritten');
    p = await app.request('GET', `/v1/products/${productId}`, { key: store.sk });
    expect(p.json.title).toBe('Canvas Tote Bag');
    expect((await app.request('GET', `/v1/inventory/${variantIds[0]}`, { key: store.sk })).json.on_hand).toBe(
      12,
    );

    // The owner's page is now behind: their next save conflicts too, and "reload" shows the saved version.
    await owner.getByLabel('Title').fill('Something else');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.locator('#conflict').waitFor();
    await owner.getByRole('button', { name: 'Reload (discard my changes)' }).click();
    await owner.locator('h1', { hasText: 'Canvas Tote Bag' }).waitFor();
    expect(await owner.getByLabel('Title').inputValue()).toBe('Canvas Tote Bag');
  });

  it('developers: an API key made and revoked, a webhook endpoint with its delivery log and a redelivery, events', async () => {
    const app = await t;
    const receiver = await startReceiver();
    try {
      await owner.getByRole('link', { name: 'Developers' }).click();
      await owner.getByLabel('Name').fill('ERP sync');
      await owner.getByRole('button', { name: 'Create key' }).click();
      const key = (await owner.locator('#new-key').textContent())!;
      expect(key).toMatch(/^sk_test_/);
      expect((await app.request('GET', '/v1/orders?limit=1', { key })).status).toBe(200);
      const row = owner.locator('#api-keys tbody tr', { hasText: 'ERP sync' });
      await row.getByRole('button', { name: 'Revoke' }).click();
      await owner.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
      await row.getByText('revoked').waitFor();
      expect((await app.request('GET', '/v1/orders?limit=1', { key })).status).toBe(401);

      await owner.getByLabel('Endpoint URL').fill(receiver.url);
      await owner.getByRole('button', { name: 'Add endpoint' }).click();
      const ep = owner.locator('#webhooks article.endpoint', { hasText: receiver.url });
      await ep.waitFor();
      await ep.getByRole('button', { name: 'Send test event' }).click();
      await ep.locator('.deliveries tbody tr', { hasText: 'webhook.test' }).waitFor();
      await app.webhooks.deliverDue();
      await receiver.waitFor(1);
      await owner.reload();
      const delivered = ep.locator('.deliveries tbody tr', { hasText: 'webhook.test' });
      await delivered.getByText('succeeded').waitFor();
      expect(await delivered.textContent()).toContain('200');
      await delivered.getByRole('button', { name: 'Send again' }).click();
      await delivered.getByText('pending').waitFor();
      await app.webhooks.deliverDue();
      await receiver.waitFor(2);
      expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);

      await owner.getByLabel('Type').fill('order.*');
      await owner.getByRole('button', { name: 'Filter' }).click();
      await owner.locator('#events tbody tr', { hasText: 'order.refunded' }).waitFor();
      expect(await owner.locator('#events tbody tr', { hasText: 'webhook.test' }).count()).toBe(0);
      await shot(owner, '14-developers');
    } finally {
      await receiver.close();
    }
  });

  it('inventory: low stock shown and filtered, a delta and a count applied', async () => {
    const app = await t;
    await owner.getByRole('link', { name: 'Inventory' }).click();
    const navy = owner.locator('#inventory tr[data-sku="CANVAS-TOTE-NAVY"]');
    await navy.waitFor();
    // 3 on hand, 2 sold and shipped: 1 left, low.
    expect(await navy.locator('td').nth(5).textContent()).toBe('1 low');
    await owner.getByLabel('Only low stock').check();
    await owner.waitForURL(/low=1/);
    await navy.waitFor();
    expect(await owner.locator('#inventory tr[data-sku="CANVAS-TOTE-NATURAL"]').count()).toBe(0);
    await navy.getByLabel('Units to add or remove for CANVAS-TOTE-NAVY').fill('+10');
    await navy.getByRole('button', { name: 'Adjust' }).click();
    await navy.locator('td', { hasText: /^11$/ }).first().waitFor();
    await navy.getByLabel('New on-hand count of CANVAS-TOTE-NAVY').fill('-4');
    await navy.getByRole('button', { name: 'Set' }).click();
    await navy.getByRole('alert').filter({ hasText: 'whole number' }).waitFor();
    await shot(owner, '15-inventory');
    const level = await app.request('GET', `/v1/inventory/${variantIds[1]}`, { key: store.sk });
    expect(level.json).toMatchObject({ on_hand: 11, available: 11 });
    // The variant's ledger: the owner's adjustment, with who made it, above the order's movements.
    await navy.getByRole('link', { name: 'CANVAS-TOTE-NAVY' }).click();
    const ledger = owner.locator('#movements tbody tr');
    await ledger.first().waitFor();
    expect(await ledger.first().textContent()).toMatch(/adjust\+10.*staff:stf_/);
    expect(await ledger.count()).toBeGreaterThan(2);
    await shot(owner, '15b-stock-ledger');
  });

  it('settings: store name, a tax rate, a shipping rate and a coupon added; the coupon deleted after a confirmation', async () => {
    const app = await t;
    await owner.getByRole('link', { name: 'Settings' }).click();
    await owner.getByLabel('Store name').fill('Harbour Goods Co.');
    await owner.getByRole('form', { name: 'Store' }).getByRole('button', { name: 'Save' }).click();
    await owner.getByRole('form', { name: 'Store' }).getByText('Saved.').waitFor();
    await owner.getByLabel('Tax name').fill('VAT');
    await owner.getByLabel('Country', { exact: true }).fill('de');
    await owner.getByLabel('Rate (%)').fill('19');
    await owner.getByRole('form', { name: 'Add to tax rates' }).getByRole('button', { name: 'Add' }).click();
    await owner.locator('#tax-rates tbody tr', { hasText: '19.00%' }).waitFor();
    await owner.getByLabel('Shipping name').fill('Standard');
    await owner.getByLabel('Price (USD)').fill('4.50');
    await owner
      .getByRole('form', { name: 'Add to shipping rates' })
      .getByRole('button', { name: 'Add' })
      .click();
    await owner.locator('#shipping-rates tbody tr', { hasText: '$4.50' }).waitFor();
    await owner.getByLabel('Code').fill('WELCOME10');
    await owner.getByLabel('Value').fill('10');
    await owner.getByRole('form', { name: 'Add to coupons' }).getByRole('button', { name: 'Add' }).click();
    const coupon = owner.locator('#coupons tbody tr', { hasText: 'WELCOME10' });
    await coupon.waitFor();
    await shot(owner, '16-settings');
    expect((await app.request('GET', '/v1/store', { key: store.sk })).json.name).toBe('Harbour Goods Co.');
    expect((await app.request('GET', '/v1/tax-rates', { key: store.sk })).json.data).toMatchObject([
      { country: 'DE', rate: 1900 },
    ]);
    expect((await app.request('GET', '/v1/shipping-rates', { key: store.sk })).json.data).toMatchObject([
      { amount: 450 },
    ]);
    expect((await app.request('GET', '/v1/coupons', { key: store.sk })).json.data).toMatchObject([
      { code: 'WELCOME10', kind: 'percent', value: 10 },
    ]);

    await coupon.getByRole('button', { name: 'Delete' }).click();
    await owner.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await owner.locator('#coupons').getByText('None yet.').waitFor();
    expect((await app.request('GET', '/v1/coupons', { key: store.sk })).json.data).toEqual([]);
  });

  it('shows no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
