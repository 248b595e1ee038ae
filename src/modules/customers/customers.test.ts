import { sql } from 'drizzle-orm';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { cartToken, checkout, count, seedVariant } from '../../../test/support/commerce.ts';
import { DB_KIND, type RequestOptions, type TestApp, testApp } from '../../../test/support/harness.ts';
import { systemClock } from '../../shared/clock.ts';
import { createSessions } from '../sessions/index.ts';

const ENV = {
  PASSWORD_SCRYPT_COST: '1024',
  STOREFRONT_URL: 'https://shop.example.com',
  SIGNIN_LIMIT_PER_ACCOUNT: '5',
  SIGNIN_LIMIT_PER_ADDRESS: '20',
};
const t = await testApp({ env: ENV });

/** The emails queued for the worker (the mail module's table), oldest first. */
async function queued(where: { to?: string } = {}) {
  const res = (await t.database.db.execute(
    where.to
      ? sql`select id, to_address, kind, text, html from email where to_address = ${where.to} order by id`
      : sql`select id, to_address, kind, text, html from email order by id`,
  )) as unknown as {
    rows: Array<{ id: string; to_address: string; kind: string; text: string; html: string }>;
  };
  return res.rows.map((r) => ({ id: r.id, to: r.to_address, kind: r.kind, text: r.text, html: r.html }));
}

let addresses = 0;
/** Every test signs in from its own client address, so the per-address limit is only met where it is tested. */
const newAddress = () => `10.0.${Math.floor(++addresses / 250)}.${addresses % 250}`;

const as = (pk: string, token?: string, extra: Omit<RequestOptions, 'key'> = {}): RequestOptions => ({
  key: pk,
  ...extra,
  headers: { ...(token ? { 'customer-token': token } : {}), ...extra.headers },
});

/** The token in the last link of `kind` queued for `to`. */
async function tokenFrom(to: string, kind: string, path: string): Promise<string> {
  const m = (await queued({ to })).reverse().find((e) => e.kind === kind);
  if (!m) throw new Error(`no ${kind} email to ${to}`);
  const match = new RegExp(`https://shop\\.example\\.com${path}\\?token=([A-Za-z0-9_-]+)`).exec(m.text);
  if (!match) throw new Error(`no link in ${m.text}`);
  expect(m.html).toContain(match[0]);
  return match[1]!;
}

async function signUp(app: TestApp, pk: string, email: string, password = 'correct horse 1') {
  const r = await app.request('POST', '/v1/customers', { key: pk, body: { email, password, name: 'Ann' } });
  expect(r.status).toBe(201);
  return r.json.customer;
}

async function signIn(
  app: TestApp,
  pk: string,
  email: string,
  password = 'correct horse 1',
  address = newAddress(),
) {
  return app.request('POST', '/v1/customers/sessions', {
    key: pk,
    body: { email, password },
    headers: { 'x-forwarded-for': address },
  });
}

async function verified(app: TestApp, pk: string, email: string) {
  await signUp(app, pk, email);
  const v = await app.request('POST', '/v1/customers/verify_email', {
    key: pk,
    body: { token: await tokenFrom(email, 'customer.verify_email', '/account/verify') },
  });
  expect(v.status).toBe(200);
  const s = await signIn(app, pk, email);
  expect(s.status).toBe(200);
  return s.json as { access_token: string; refresh_token: string; customer: { id: string } };
}

describe(`customers (${DB_KIND})`, () => {
  it('signs up, verifies the email, signs in, reads me, rotates and detects reuse, signs out everywhere', async () => {
    const s = await t.createStore();
    const created = await signUp(t, s.pk, '  Ann@Example.COM ');
    expect(created).toMatchObject({ object: 'customer', email: 'ann@example.com', email_verified: false });

    // Before verification a sign-in works; `me` says unverified.
    const first = await signIn(t, s.pk, 'ANN@example.com');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ expires_in: 900, customer: { id: created.id } });
    const me = await t.request('GET', '/v1/customers/me', as(s.pk, first.json.access_token));
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ id: created.id, email_verified: false });

    const token = await tokenFrom('ann@example.com', 'customer.verify_email', '/account/verify');
    const v = await t.request('POST', '/v1/customers/verify_email', { key: s.pk, body: { token } });
    expect(v.status).toBe(200);
    expect(v.json).toMatchObject({ id: created.id, email_verified: true });
    const again = await t.request('POST', '/v1/customers/verify_email', { key: s.pk, body: { token } });
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe('EMAIL_TOKEN_INVALID');

    // Refresh rotates: a new pair, and the old refresh token is retired.
    const r1 = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: first.json.refresh_token },
    });
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).not.toBe(first.json.refresh_token);
    expect(r1.json.customer.email_verified).toBe(true);
    const meAgain = await t.request('GET', '/v1/customers/me', as(s.pk, r1.json.access_token));
    expect(meAgain.status).toBe(200);

    // The retired token presented again (a stolen copy): refused, and the whole family with it.
    const reuse = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: first.json.refresh_token },
    });
    expect(reuse.status).toBe(401);
    expect(reuse.json.error.code).toBe('REFRESH_TOKEN_INVALID');
    const afterTheft = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: r1.json.refresh_token },
    });
    expect(afterTheft.status).toBe(401);

    // Two sessions; signing out everywhere ends both.
    const a = await signIn(t, s.pk, 'ann@example.com');
    const b = await signIn(t, s.pk, 'ann@example.com');
    const one = await t.request('POST', '/v1/customers/sessions/revoke', {
      key: s.pk,
      body: { refresh_token: a.json.refresh_token },
    });
    expect(one.status).toBe(204);
    const aGone = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: a.json.refresh_token },
    });
    expect(aGone.status).toBe(401);
    const c = await signIn(t, s.pk, 'ann@example.com');
    const everywhere = await t.request('POST', '/v1/customers/sessions/revoke', {
      key: s.pk,
      body: { refresh_token: c.json.refresh_token, everywhere: true },
    });
    expect(everywhere.status).toBe(204);
    for (const rt of [b.json.refresh_token, c.json.refresh_token]) {
      const r = await t.request('POST', '/v1/customers/sessions/refresh', {
        key: s.pk,
        body: { refresh_token: rt },
      });
      expect(r.status).toBe(401);
    }
    expect(
      await count(
        t,
        sql`select count(*)::int as n from refresh_token where subject = ${created.id} and revoked_at is null`,
      ),
    ).toBe(0);
  });

  it("sends verification and reset emails from the store's own sender", async () => {
    const s = await t.createStore();
    const patched = await t.request('PATCH', '/v1/store', {
      key: s.sk,
      body: { settings: { email: { from_name: 'Plain Goods', from_address: 'hello@plain.example' } } },
    });
    expect(patched.status).toBe(200);
    await signUp(t, s.pk, 'sender@example.com');
    const reset = await t.request('POST', '/v1/customers/password_reset', {
      key: s.pk,
      body: { email: 'sender@example.com' },
      headers: { 'x-forwarded-for': newAddress() },
    });
    expect(reset.status).toBeLessThan(300);
    const res = (await t.database.db.execute(
      sql`select kind, from_address from email where to_address = 'sender@example.com' order by id`,
    )) as unknown as { rows: Array<{ kind: string; from_address: string }> };
    expect(res.rows).toHaveLength(2); // the verification, then the reset
    for (const r of res.rows) expect(r.from_address).toBe('"Plain Goods" <hello@plain.example>');
  });

  it('validates requests with clear errors', async () => {
    const s = await t.createStore();
    const cases: Array<[object, string]> = [
      [{ email: 'weak@example.com', password: 'short' }, 'password'],
      [{ email: 'not-an-email', password: 'long enough 1' }, 'email'],
      [{ email: 'x@example.com', password: 'long enough 1', admin: true }, 'admin'],
    ];
    for (const [body, param] of cases) {
      const r = await t.request('POST', '/v1/customers', { key: s.pk, body });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
      expect(r.json.error.param).toBe(param);
    }
    const me = await t.request('GET', '/v1/customers/me', { key: s.pk });
    expect(me.status).toBe(401);
    expect(me.json.error.code).toBe('CUSTOMER_AUTH_REQUIRED');
    const bad = await t.request('GET', '/v1/customers/me', as(s.pk, 'not.a.jwt'));
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('CUSTOMER_TOKEN_INVALID');
  });

  it('never reveals whether an email has an account', async () => {
    const s = await t.createStore();
    await signUp(t, s.pk, 'taken@example.com');
    const before = (await queued()).length;
    const dup = await t.request('POST', '/v1/customers', {
      key: s.pk,
      body: { email: 'taken@example.com', password: 'another pass 2', name: 'Ann' },
    });
    const fresh = await t.request('POST', '/v1/customers', {
      key: s.pk,
      body: { email: 'fresh@example.com', password: 'another pass 2', name: 'Ann' },
    });
    expect(dup.status).toBe(fresh.status);
    expect(Object.keys(dup.json.customer).sort()).toEqual(Object.keys(fresh.json.customer).sort());
    expect(dup.json.customer).toMatchObject({
      email: 'taken@example.com',
      email_verified: false,
      version: 1,
    });
    expect(
      await count(
        t,
        sql`select count(*)::int as n from customer where store_id = ${s.id} and email = 'taken@example.com'`,
      ),
    ).toBe(1);
    // The owner of the address is told instead.
    expect((await queued()).slice(before).map((m) => [m.to, m.kind])).toEqual([
      ['taken@example.com', 'customer.account_exists'],
      ['fresh@example.com', 'customer.verify_email'],
    ]);

    const wrong = await signIn(t, s.pk, 'taken@example.com', 'wrong password');
    const unknown = await signIn(t, s.pk, 'nobody@example.com', 'wrong password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.json.error.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.json.error.message).toBe(wrong.json.error.message);

    const resetKnown = await t.request('POST', '/v1/customers/password_reset', {
      key: s.pk,
      body: { email: 'taken@example.com' },
    });
    const resetUnknown = await t.request('POST', '/v1/customers/password_reset', {
      key: s.pk,
      body: { email: 'nobody@example.com' },
    });
    expect([resetKnown.status, resetUnknown.status]).toEqual([202, 202]);
    expect(resetKnown.text).toBe(resetUnknown.text);
    expect(await queued({ to: 'nobody@example.com' })).toHaveLength(0);
  });

  it('resets a password with the emailed token, ending every session', async () => {
    const s = await t.createStore();
    await signUp(t, s.pk, 'reset@example.com');
    const session = await signIn(t, s.pk, 'reset@example.com');
    expect(session.status).toBe(200);
    const r = await t.request('POST', '/v1/customers/password_reset', {
      key: s.pk,
      body: { email: 'Reset@example.com' },
      headers: { 'x-forwarded-for': newAddress() },
    });
    expect(r.status).toBe(202);
    const token = await tokenFrom('reset@example.com', 'customer.password_reset', '/account/reset');
    const weak = await t.request('POST', '/v1/customers/password_reset/confirm', {
      key: s.pk,
      body: { token, password: 'short' },
    });
    expect(weak.status).toBe(400);
    const ok = await t.request('POST', '/v1/customers/password_reset/confirm', {
      key: s.pk,
      body: { token, password: 'brand new secret' },
    });
    expect(ok.status).toBe(204);
    const replay = await t.request('POST', '/v1/customers/password_reset/confirm', {
      key: s.pk,
      body: { token, password: 'brand new secret 2' },
    });
    expect(replay.json.error.code).toBe('EMAIL_TOKEN_INVALID');
    const old = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: session.json.refresh_token },
    });
    expect(old.status).toBe(401);
    expect((await signIn(t, s.pk, 'reset@example.com')).status).toBe(401);
    const fresh = await signIn(t, s.pk, 'reset@example.com', 'brand new secret');
    expect(fresh.status).toBe(200);
    // The link reached the inbox: the address counts as verified.
    expect(fresh.json.customer.email_verified).toBe(true);
  });

  it('is retry-safe with Idempotency-Key: a reset confirm replays; session answers are never stored', async () => {
    const s = await t.createStore();
    await signUp(t, s.pk, 'retry@example.com');
    await t.request('POST', '/v1/customers/password_reset', {
      key: s.pk,
      body: { email: 'retry@example.com' },
      headers: { 'x-forwarded-for': newAddress() },
    });
    const token = await tokenFrom('retry@example.com', 'customer.password_reset', '/account/reset');
    const confirm = () =>
      t.request('POST', '/v1/customers/password_reset/confirm', {
        key: s.pk,
        body: { token, password: 'brand new secret' },
        headers: { 'idempotency-key': 'reset-1' },
      });
    // The first answer was lost: the retry with the same key gets the same 204, not EMAIL_TOKEN_INVALID.
    const firstConfirm = await confirm();
    expect(firstConfirm.status).toBe(204);
    const again = await confirm();
    expect(again.status).toBe(204);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const address = newAddress();
    const signInWithKey = () =>
      t.request('POST', '/v1/customers/sessions', {
        key: s.pk,
        body: { email: 'retry@example.com', password: 'brand new secret' },
        headers: { 'idempotency-key': 'signin-1', 'x-forwarded-for': address },
      });
    const first = await signInWithKey();
    const second = await signInWithKey();
    expect([first.status, second.status]).toEqual([200, 200]);
    // Each answer is a session of its own: nothing was replayed from storage.
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
    const stored = (await t.database.db.execute(
      sql`select count(*)::int as n from idempotency_key where key = 'signin-1' or response_body like ${`%${first.json.refresh_token}%`}`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(stored.rows[0]!.n).toBe(0);
  });

  it('limits sign-in attempts per account and per client address (429 with Retry-After)', async () => {
    const s = await t.createStore();
    await signUp(t, s.pk, 'target@example.com');
    // Per account: 5 a minute, from any number of addresses; the right password is refused too once limited.
    for (let i = 0; i < 5; i++) {
      expect((await signIn(t, s.pk, 'target@example.com', `guess ${i}`)).status).toBe(401);
    }
    const limited = await signIn(t, s.pk, 'target@example.com');
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // Per address: 20 a minute across accounts.
    const address = newAddress();
    for (let i = 0; i < 20; i++) {
      expect((await signIn(t, s.pk, `spray${i}@example.com`, 'password 123', address)).status).toBe(401);
    }
    const sprayed = await signIn(t, s.pk, 'spray99@example.com', 'password 123', address);
    expect(sprayed.status).toBe(429);
    expect(sprayed.headers.get('retry-after')).not.toBeNull();
  });

  it('keeps each customer to their own data; tokens of another store or audience are refused', async () => {
    const s = await t.createStore();
    const other = await t.createStore({ name: 'Other' });
    const a = await verified(t, s.pk, 'a@example.com');
    const b = await verified(t, s.pk, 'b@example.com');

    const addr = await t.request(
      'POST',
      '/v1/customers/me/addresses',
      as(s.pk, b.access_token, { body: { line1: '1 Main St', city: 'Springfield', country: 'us' } }),
    );
    expect(addr.status).toBe(201);
    expect(addr.json).toMatchObject({ object: 'customer_address', country: 'US', line1: '1 Main St' });
    const listA = await t.request('GET', '/v1/customers/me/addresses', as(s.pk, a.access_token));
    expect(listA.json.data).toHaveLength(0);
    const listB = await t.request('GET', '/v1/customers/me/addresses', as(s.pk, b.access_token));
    expect(listB.json.data.map((x: { id: string }) => x.id)).toEqual([addr.json.id]);
    const steal = await t.request(
      'PATCH',
      `/v1/customers/me/addresses/${addr.json.id}`,
      as(s.pk, a.access_token, { body: { city: 'Elsewhere' } }),
    );
    expect(steal.status).toBe(404);
    expect(steal.json.error.code).toBe('ADDRESS_NOT_FOUND');
    expect(
      (await t.request('DELETE', `/v1/customers/me/addresses/${addr.json.id}`, as(s.pk, a.access_token)))
        .status,
    ).toBe(404);
    const own = await t.request(
      'PATCH',
      `/v1/customers/me/addresses/${addr.json.id}`,
      as(s.pk, b.access_token, { body: { city: 'Shelbyville', line2: null } }),
    );
    expect(own.status).toBe(200);
    expect(own.json.city).toBe('Shelbyville');

    // B's order is not in A's history.
    const v = await seedVariant(t, s, { price: 1200 });
    const ordered = await checkout(
      t,
      s.pk,
      await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], 'b@example.com'),
      undefined,
      undefined,
      {},
    );
    expect(ordered.status).toBe(201);
    const ordersA = await t.request('GET', '/v1/customers/me/orders', as(s.pk, a.access_token));
    expect(ordersA.status).toBe(200);
    expect(ordersA.json.data).toHaveLength(0);

    // A token of store S on store Other.
    const foreign = await t.request('GET', '/v1/customers/me', as(other.pk, a.access_token));
    expect(foreign.status).toBe(401);
    expect(foreign.json.error.code).toBe('CUSTOMER_TOKEN_INVALID');
    const foreignRefresh = await t.request('POST', '/v1/customers/sessions/refresh', {
      key: other.pk,
      body: { refresh_token: a.refresh_token },
    });
    expect(foreignRefresh.status).toBe(401);

    // A valid token of the same store and subject, for another audience (staff).
    const staff = createSessions({
      db: t.database.db,
      clock: systemClock,
      keys: t.deps.sessionKeys,
      issuer: 'crowdstart',
      accessTtlSeconds: 900,
      refreshTtlSeconds: 3600,
    });
    const staffSession = await staff.start({ audience: 'staff', subject: a.customer.id, storeId: s.id });
    const wrongAudience = await t.request('GET', '/v1/customers/me', as(s.pk, staffSession.access_token));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.json.error.code).toBe('CUSTOMER_TOKEN_INVALID');
  });

  it('publishes the keys as a JWKS that verifies tokens; rotation keeps old tokens valid', async () => {
    const s = await t.createStore();
    const session = await verified(t, s.pk, 'jwks@example.com');
    const jwks = await t.request('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    for (const k of jwks.json.keys) expect(k).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(session.access_token, createLocalJWKSet(jwks.json), {
      issuer: 'crowdstart',
      audience: 'customer',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ sub: session.customer.id, store_id: s.id });
    expect(payload.exp! - payload.iat!).toBe(900);

    const oldKid = protectedHeader.kid;
    const newKid = await t.deps.sessionKeys.rotate('customer');
    expect(newKid).not.toBe(oldKid);
    const after = await t.request('GET', '/.well-known/jwks.json');
    const kids = after.json.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    // Old tokens still verify; new ones are signed with the new key.
    expect((await t.request('GET', '/v1/customers/me', as(s.pk, session.access_token))).status).toBe(200);
    const next = await signIn(t, s.pk, 'jwks@example.com');
    expect(decodeProtectedHeader(next.json.access_token).kid).toBe(newKid);
    await jwtVerify(next.json.access_token, createLocalJWKSet(after.json), { audience: 'customer' });
  });

  it('a second app instance on the same database verifies the first one’s tokens (no shared memory)', async () => {
    const second = await testApp({ env: ENV, database: t.database });
    const s = await t.createStore();
    const session = await verified(t, s.pk, 'two@example.com');
    const me = await second.request('GET', '/v1/customers/me', as(s.pk, session.access_token));
    expect(me.status).toBe(200);
    expect(me.json.id).toBe(session.customer.id);
    // After a rotation on the first, the second learns the new key when it first meets its kid.
    await t.deps.sessionKeys.rotate('customer');
    const fresh = await signIn(t, s.pk, 'two@example.com');
    expect((await second.request('GET', '/v1/customers/me', as(s.pk, fresh.json.access_token))).status).toBe(
      200,
    );
    const refreshed = await second.request('POST', '/v1/customers/sessions/refresh', {
      key: s.pk,
      body: { refresh_token: fresh.json.refresh_token },
    });
    expect(refreshed.status).toBe(200);
  });

  it('links a checkout to the signed-in customer; history adds guest orders once the email is verified', async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 2000, onHand: 20 });
    const email = 'history@example.com';
    // A guest order before the account exists.
    const guest = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], email));
    expect(guest.status).toBe(201);

    await signUp(t, s.pk, email);
    const session = (await signIn(t, s.pk, email)).json;
    const cart = await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }], email);
    const mine = await t.request('POST', '/v1/checkout', {
      key: s.pk,
      body: {
        cart_token: cart,
        payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2099, cvc: '123' } },
      },
      headers: { 'idempotency-key': `cust-${Date.now()}`, 'customer-token': session.access_token },
    });
    expect(mine.status).toBe(201);
    expect(
      await count(
        t,
        sql`select count(*)::int as n from "order" where id = ${mine.json.order.id} and customer_id = ${session.customer.id}`,
      ),
    ).toBe(1);

    // A bad token is a 401, not a silent guest order.
    const before = await count(t, sql`select count(*)::int as n from "order" where store_id = ${s.id}`);
    const refused = await t.request('POST', '/v1/checkout', {
      key: s.pk,
      body: {
        cart_token: await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], email),
        payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2099, cvc: '123' } },
      },
      headers: { 'idempotency-key': `cust-bad-${Date.now()}`, 'customer-token': `${session.access_token}x` },
    });
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('CUSTOMER_TOKEN_INVALID');
    expect(await count(t, sql`select count(*)::int as n from "order" where store_id = ${s.id}`)).toBe(before);

    // Unverified: only the orders placed signed in.
    const unverified = await t.request('GET', '/v1/customers/me/orders', as(s.pk, session.access_token));
    expect(unverified.status).toBe(200);
    const signedInOrders = unverified.json.data.map((o: { id: string }) => o.id);
    expect(signedInOrders).toContain(mine.json.order.id);
    expect(signedInOrders).not.toContain(guest.json.order.id);

    await t.request('POST', '/v1/customers/verify_email', {
      key: s.pk,
      body: { token: await tokenFrom(email, 'customer.verify_email', '/account/verify') },
    });
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof t.request>> = await t.request(
        'GET',
        `/v1/customers/me/orders?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        as(s.pk, session.access_token),
      );
      expect(page.status).toBe(200);
      expect(page.json.data[0]).toMatchObject({ object: 'order' });
      all.push(...page.json.data.map((o: { id: string }) => o.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(all).toContain(guest.json.order.id);
    expect(all).toContain(mine.json.order.id);
    expect(all).toEqual([...all].sort().reverse()); // newest first
    const orderRows = await count(t, sql`select count(*)::int as n from "order" where store_id = ${s.id}`);
    expect(all).toHaveLength(orderRows);
  });

  it('lists customers for staff: newest first, searched by email or name prefix, filtered by verification', async () => {
    const s = await t.createStore();
    const other = await t.createStore();
    await signUp(t, other.pk, 'zoe@example.com'); // another store's customer never shows
    await verified(t, s.pk, 'zoe@example.com');
    for (const [email, name] of [
      ['adam@example.com', 'Adam Smith'],
      ['bea@example.com', 'Zelda Jones'],
      ['a_b@example.com', null],
    ] as const) {
      const r = await t.request('POST', '/v1/customers', {
        key: s.pk,
        body: { email, password: 'pw-123456', name },
      });
      expect(r.status).toBe(201);
    }
    const list = async (query: string) => {
      const r = await t.request('GET', `/v1/customers${query}`, { key: s.sk });
      expect(r.status, r.text).toBe(200);
      return r.json as {
        data: { email: string; email_verified: boolean }[];
        has_more: boolean;
        next_cursor: string | null;
      };
    };
    expect((await list('')).data.map((c) => c.email)).toEqual([
      'a_b@example.com',
      'bea@example.com',
      'adam@example.com',
      'zoe@example.com',
    ]);
    // Email prefix, name prefix (any case), both at once, and LIKE wildcards taken literally.
    expect((await list('?q=AD')).data.map((c) => c.email)).toEqual(['adam@example.com']);
    // zoe's name is Ann.
    expect((await list('?q=a')).data.map((c) => c.email)).toEqual([
      'a_b@example.com',
      'adam@example.com',
      'zoe@example.com',
    ]);
    expect((await list('?q=zel')).data.map((c) => c.email)).toEqual(['bea@example.com']);
    expect((await list('?q=z')).data.map((c) => c.email)).toEqual(['bea@example.com', 'zoe@example.com']);
    expect((await list('?q=a_')).data.map((c) => c.email)).toEqual(['a_b@example.com']);
    expect((await list('?q=%25')).data).toEqual([]);
    expect((await list('?verified=true')).data.map((c) => c.email)).toEqual(['zoe@example.com']);
    expect((await list('?verified=false&q=b')).data.map((c) => c.email)).toEqual(['bea@example.com']);

    // Pages of one search; a cursor of another search is refused.
    const first = await list('?limit=2');
    expect(first.has_more).toBe(true);
    const second = await list(`?limit=2&cursor=${first.next_cursor}`);
    expect([...first.data, ...second.data].map((c) => c.email)).toHaveLength(4);
    expect(second.has_more).toBe(false);
    const foreign = await t.request('GET', `/v1/customers?q=a&cursor=${first.next_cursor}`, { key: s.sk });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe('INVALID_CURSOR');

    // Publishable keys and bad parameters are refused.
    const pk = await t.request('GET', '/v1/customers', { key: s.pk });
    expect(pk.status).toBe(403);
    expect(pk.json.error.code).toBe('SECRET_KEY_REQUIRED');
    const bad = await t.request('GET', '/v1/customers?verified=yes', { key: s.sk });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('verified');
    const empty = await t.request('GET', '/v1/customers?q=', { key: s.sk });
    expect(empty.status).toBe(400);
    expect(empty.json.error.param).toBe('q');
  });

  it('shows a customer to staff with order count, spend and latest orders', async () => {
    const s = await t.createStore();
    const v = await seedVariant(t, s, { price: 1500, onHand: 20 });
    const email = 'detail@example.com';
    const session = await verified(t, s.pk, email);
    const id = session.customer.id;
    const fresh = await t.request('GET', `/v1/customers/${id}`, { key: s.sk });
    expect(fresh.status).toBe(200);
    expect(fresh.json).toMatchObject({
      id,
      email,
      email_verified: true,
      orders: { count: 0, last_order_id: null, last_order_at: null, by_currency: [], recent: [] },
    });

    // A guest order with the verified email, a signed-in order, and a declined one (counted, not spent).
    const guest = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], email));
    expect(guest.status).toBe(201);
    const signedIn = await t.request('POST', '/v1/checkout', {
      key: s.pk,
      body: {
        cart_token: await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }], email),
        payment: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2099, cvc: '123' } },
      },
      headers: { 'idempotency-key': `detail-${Date.now()}`, 'customer-token': session.access_token },
    });
    expect(signedIn.status).toBe(201);
    const declined = await checkout(
      t,
      s.pk,
      await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], email),
      { card: { number: '4000000000000002', exp_month: 12, exp_year: 2099, cvc: '123' } },
    );
    expect(declined.status).toBe(402);
    // Another customer's order does not count.
    expect(
      (
        await checkout(
          t,
          s.pk,
          await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], 'else@example.com'),
        )
      ).status,
    ).toBe(201);

    const d = await t.request('GET', `/v1/customers/${id}`, { key: s.sk });
    expect(d.status).toBe(200);
    const paid = guest.json.order.total + signedIn.json.order.total;
    expect(d.json.orders).toMatchObject({
      count: 3,
      by_currency: [{ count: 3, total_spent: paid }],
    });
    const ids = d.json.orders.recent.map((o: { id: string }) => o.id);
    expect(ids).toHaveLength(3);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(ids).toContain(guest.json.order.id);
    expect(ids).toContain(signedIn.json.order.id);
    expect(d.json.orders.last_order_id).toBe(ids[0]);
    expect(d.json.orders.last_order_at).toBe(d.json.orders.recent[0].created_at);

    // Unknown, malformed, another store's customer, and publishable keys.
    const other = await t.createStore();
    expect((await t.request('GET', `/v1/customers/${id}`, { key: other.sk })).json.error.code).toBe(
      'CUSTOMER_NOT_FOUND',
    );
    const malformed = await t.request('GET', '/v1/customers/nope', { key: s.sk });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.param).toBe('id');
    expect((await t.request('GET', `/v1/customers/${id}`, { key: s.pk })).status).toBe(403);
    // The shopper's own route still answers the shopper.
    expect((await t.request('GET', '/v1/customers/me', as(s.pk, session.access_token))).json.id).toBe(id);
  });
});
