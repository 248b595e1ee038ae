import { afterAll, describe, expect, it } from 'vitest';
import { CrowdstartError, createClient, memoryStorage } from '../../packages/sdk/src/index.ts';
import { listen } from '../../src/server.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { CARDS } from '../support/commerce.ts';
import { testApp } from '../support/harness.ts';
import { createProduct, frontFetch } from './support.ts';

// A clock the test moves, so an access token can expire (15 minutes) without waiting.
const clock = fixedClock(new Date());
const t = await testApp({ clock });
const { port, server } = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.close(() => r())));
const baseUrl = `http://127.0.0.1:${port}`;
const store = await t.createStore({ name: 'Accounts store' });
const mug = await createProduct(t, store.sk, { title: 'Enamel Mug', price: 1500 });

describe('customer sessions', () => {
  it('signs up, signs in, keeps the tokens in storage, and reads and updates the customer', async () => {
    const storage = memoryStorage();
    const shop = createClient({ key: store.pk, baseUrl, storage });
    const created = await shop.customers.signUp({
      email: 'noor@example.com',
      password: 'correct horse battery',
    });
    expect(created.customer.email).toBe('noor@example.com');
    expect(shop.customers.isSignedIn()).toBe(false);

    const bad = await shop.customers
      .signIn({ email: 'noor@example.com', password: 'wrong password!' })
      .catch((x: unknown) => x);
    expect(bad).toBeInstanceOf(CrowdstartError);
    expect((bad as CrowdstartError).status).toBe(401);

    const me = await shop.customers.signIn({ email: 'noor@example.com', password: 'correct horse battery' });
    expect(me.email).toBe('noor@example.com');
    expect(shop.customers.isSignedIn()).toBe(true);
    expect(JSON.parse(storage.getItem('crowdstart:customer') ?? '{}')).toMatchObject({
      access: expect.any(String),
      refresh: expect.any(String),
    });
    expect((await shop.customers.me()).id).toBe(me.id);
    expect((await shop.customers.update({ name: 'Noor' })).name).toBe('Noor');

    const a = await shop.customers.addresses.create({
      name: 'Noor',
      line1: '1 Quay St',
      city: 'Cork',
      country: 'IE',
    });
    expect((await shop.customers.addresses.list()).data.map((x) => x.id)).toEqual([a.id]);
    expect((await shop.customers.addresses.update(a.id, { city: 'Kinsale' })).city).toBe('Kinsale');
    await shop.customers.addresses.remove(a.id);
    expect((await shop.customers.addresses.list()).data).toEqual([]);
  });

  it('refreshes an expired access token once and repeats the call', async () => {
    const { fetch, sent } = frontFetch({});
    const shop = createClient({ key: store.pk, baseUrl, storage: memoryStorage(), fetch });
    await shop.customers.signUp({ email: 'ida@example.com', password: 'a long enough secret' });
    const me = await shop.customers.signIn({ email: 'ida@example.com', password: 'a long enough secret' });
    clock.advance(16 * 60 * 1000);
    sent.length = 0;
    expect((await shop.customers.me()).id).toBe(me.id);
    expect(sent.map((s) => `${s.method} ${new URL(s.url).pathname}`)).toEqual([
      'GET /v1/customers/me',
      'POST /v1/customers/sessions/refresh',
      'GET /v1/customers/me',
    ]);
    expect(sent[0]?.headers.get('customer-token')).not.toBe(sent[2]?.headers.get('customer-token'));
  });

  it('links a signed-in checkout to the customer, and signs out (revoking the refresh token)', async () => {
    const storage = memoryStorage();
    const shop = createClient({ key: store.pk, baseUrl, storage });
    await shop.customers.signUp({ email: 'ravi@example.com', password: 'yet another secret' });
    await shop.customers.signIn({ email: 'ravi@example.com', password: 'yet another secret' });
    await shop.cart.add(mug.variantId, 1);
    await shop.cart.setEmail('ravi@example.com');
    const r = await shop.checkout.complete({
      payment: { card: { number: CARDS.success, exp_month: 12, exp_year: 2099, cvc: '123' } },
    });
    expect((await shop.customers.orders()).data.map((o) => o.id)).toEqual([r.order.id]);

    const refresh = JSON.parse(storage.getItem('crowdstart:customer') ?? '{}').refresh as string;
    await shop.customers.signOut();
    expect(shop.customers.isSignedIn()).toBe(false);
    const e = await shop.customers.me().catch((x: unknown) => x);
    expect((e as CrowdstartError).code).toBe('NOT_SIGNED_IN');
    const reuse = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: store.pk,
      body: { refresh_token: refresh },
    });
    expect(reuse.status).toBe(401);
  });
});
