import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CARDS, card, cartToken, checkout, seedVariant } from '../../../test/support/commerce.ts';
import { ROOT_TOKEN, testApp } from '../../../test/support/harness.ts';

const t = await testApp({ env: { PUBLIC_URL: 'https://shop.example', PASSWORD_SCRYPT_COST: '1024' } });

const PASSWORD = 'correct horse battery';

/** The emails the worker sent, through the log transport (no SMTP_URL in tests). */
async function sentTo(email: string) {
  await t.mail.sendDue();
  const mailer = t.mail.mailer as unknown as { sent: Array<{ to: string; subject: string; text: string }> };
  return mailer.sent.filter((m) => m.to === email);
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

async function ownerSession(storeId: string, email = 'owner@example.com') {
  const l = await t.request('POST', `/v1/stores/${storeId}/owner_link`, { key: ROOT_TOKEN, body: { email } });
  expect(l.status).toBe(201);
  expect(l.json.url).toMatch(/^https:\/\/shop\.example\/admin\/accept\?token=/);
  const a = await t.request('POST', '/v1/staff/accept', {
    body: { token: tokenOf(l.json.url), password: PASSWORD, name: 'Olive Owner' },
  });
  expect(a.status).toBe(201);
  return a.json as { access_token: string; refresh_token: string; staff_user: { id: string } };
}

async function invited(storeId: string, ownerToken: string, email: string, role: string) {
  const inv = await t.request('POST', '/v1/staff', { key: ownerToken, body: { email, role } });
  expect(inv.status).toBe(201);
  expect(inv.json).toMatchObject({ email, role, status: 'invited' });
  const [mail] = await sentTo(email);
  expect(mail?.subject).toContain('invitation');
  const link = /https:\/\/shop\.example\/admin\/accept\?token=\S+/.exec(mail!.text)![0];
  const a = await t.request('POST', '/v1/staff/accept', {
    body: { token: tokenOf(link), password: PASSWORD, name: role },
  });
  expect(a.status).toBe(201);
  // The link works once.
  const again = await t.request('POST', '/v1/staff/accept', {
    body: { token: tokenOf(link), password: PASSWORD },
  });
  expect(again.status).toBe(400);
  expect(again.json.error.code).toBe('STAFF_INVITATION_INVALID');
  const signIn = await t.request('POST', '/v1/staff/sessions', {
    body: { store_id: storeId, email, password: PASSWORD },
  });
  expect(signIn.status).toBe(201);
  expect(signIn.json).toMatchObject({ token_type: 'Bearer', mode: 'test', staff_user: { role } });
  return signIn.json as { access_token: string; refresh_token: string; staff_user: { id: string } };
}

async function paidOrder(s: { id: string; pk: string; sk: string }) {
  const v = await seedVariant(t, s, { price: 2000 });
  const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }]);
  const r = await checkout(t, s.pk, token, card(CARDS.success));
  expect(r.status).toBe(201);
  return r.json.order.id as string;
}

describe('staff accounts', () => {
  it('owner invites staff by email; roles decide what each may do; the actor is recorded', async () => {
    const s = await t.createStore();
    const owner = await ownerSession(s.id);
    const staff = await invited(s.id, owner.access_token, 'sam@example.com', 'staff');
    const reader = await invited(s.id, owner.access_token, 'rita@example.com', 'read_only');

    const me = await t.request('GET', '/v1/staff/me', { key: reader.access_token });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email: 'rita@example.com', role: 'read_only', status: 'active' });

    // Read-only: reads work, any write is refused.
    const orderId = await paidOrder(s);
    const list = await t.request('GET', '/v1/orders', { key: reader.access_token });
    expect(list.status).toBe(200);
    expect(list.json.data.map((o: { id: string }) => o.id)).toContain(orderId);
    const refused = await t.request('POST', `/v1/orders/${orderId}/refund`, {
      key: reader.access_token,
      body: { amount: 500 },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('STAFF_ROLE_FORBIDDEN');

    // Staff may refund; the order event names them.
    const refund = await t.request('POST', `/v1/orders/${orderId}/refund`, {
      key: staff.access_token,
      body: { amount: 500 },
    });
    expect(refund.status).toBe(201);
    const events = await t.database.db.execute(
      sql`select type, actor from order_event where order_id = ${orderId} order by id`,
    );
    const rows = (events as unknown as { rows: Array<{ type: string; actor: string }> }).rows;
    expect(rows.find((e) => e.type === 'order.refunded')?.actor).toBe(`staff:${staff.staff_user.id}`);
    expect(rows.find((e) => e.type === 'refund.created')?.actor).toBe(`staff:${staff.staff_user.id}`);
    expect(rows.find((e) => e.type === 'order.paid')?.actor).toBe('system');
    const detail = await t.request('GET', `/v1/orders/${orderId}`, { key: s.sk });
    expect(detail.json.events.find((e: { type: string }) => e.type === 'order.refunded').actor).toBe(
      `staff:${staff.staff_user.id}`,
    );

    // A secret key's actions are recorded as the key's.
    const complete = await t.request('POST', `/v1/orders/${orderId}/cancel`, { key: s.sk, body: {} });
    expect(complete.status).toBe(200);
    const cancelled = await t.database.db.execute(
      sql`select actor from order_event where order_id = ${orderId} and type = 'order.cancelled'`,
    );
    expect((cancelled as unknown as { rows: Array<{ actor: string }> }).rows[0]?.actor).toMatch(/^key:key_/);

    // Staff cannot manage staff or keys; the owner can.
    for (const [method, path, body] of [
      ['POST', '/v1/api_keys', { kind: 'secret' }],
      ['GET', '/v1/api_keys', undefined],
      ['GET', '/v1/staff', undefined],
      ['POST', '/v1/staff', { email: 'x@example.com', role: 'staff' }],
    ] as const) {
      const r = await t.request(method, path, { key: staff.access_token, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.json.error.code).toBe('STAFF_ROLE_FORBIDDEN');
    }
    const made = await t.request('POST', '/v1/api_keys', {
      key: owner.access_token,
      body: { kind: 'secret', name: 'backend' },
    });
    expect(made.status).toBe(201);
    expect(made.json.key).toMatch(/^sk_test_/);
    const listed = await t.request('GET', '/v1/api_keys', { key: owner.access_token });
    expect(listed.json.data.find((k: { id: string }) => k.id === made.json.id)).not.toHaveProperty('key');
    expect((await t.request('GET', '/v1/store', { key: made.json.key })).status).toBe(200);
    const revoked = await t.request('POST', `/v1/api_keys/${made.json.id}/revoke`, {
      key: owner.access_token,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).not.toBeNull();
    const after = await t.request('GET', '/v1/store', { key: made.json.key });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('INVALID_API_KEY');

    // A secret key manages keys too (its own mode only).
    const bySecret = await t.request('POST', '/v1/api_keys', { key: s.sk, body: { kind: 'publishable' } });
    expect(bySecret.status).toBe(201);
    const liveBySecret = await t.request('POST', '/v1/api_keys', {
      key: s.sk,
      body: { kind: 'secret', mode: 'live' },
    });
    expect(liveBySecret.status).toBe(403);

    // Tokens are scoped to their store.
    const other = await t.createStore();
    const foreign = await t.request('GET', `/v1/orders/${orderId}`, { key: owner.access_token });
    expect(foreign.status).toBe(200);
    const otherOrders = await t.request('GET', '/v1/orders', { key: owner.access_token });
    expect(otherOrders.json.data.every((o: { id: string }) => o.id === orderId)).toBe(true);
    expect(other.id).not.toBe(s.id);
  }, 180_000);

  it('refresh rotates, sign-out ends the session, role changes and removal apply at refresh', async () => {
    const s = await t.createStore();
    const owner = await ownerSession(s.id);
    const sam = await invited(s.id, owner.access_token, 'sam2@example.com', 'staff');

    const wrong = await t.request('POST', '/v1/staff/sessions', {
      body: { store_id: s.id, email: 'sam2@example.com', password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS');

    const demote = await t.request('PATCH', `/v1/staff/${sam.staff_user.id}`, {
      key: owner.access_token,
      body: { role: 'read_only' },
    });
    expect(demote.status).toBe(200);
    const refreshed = await t.request('POST', '/v1/staff/sessions/refresh', {
      body: { refresh_token: sam.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const write = await t.request('POST', '/v1/api_keys', { key: refreshed.json.access_token, body: {} });
    expect(write.status).toBe(403);
    // The old refresh token was rotated away.
    const reused = await t.request('POST', '/v1/staff/sessions/refresh', {
      body: { refresh_token: sam.refresh_token },
    });
    expect(reused.status).toBe(401);

    // The last owner stays.
    const lastOwner = await t.request('PATCH', `/v1/staff/${owner.staff_user.id}`, {
      key: owner.access_token,
      body: { role: 'staff' },
    });
    expect(lastOwner.status).toBe(409);
    expect(lastOwner.json.error.code).toBe('STAFF_LAST_OWNER');

    const removed = await t.request('DELETE', `/v1/staff/${sam.staff_user.id}`, { key: owner.access_token });
    expect(removed.status).toBe(200);
    expect(removed.json.status).toBe('removed');
    const afterRemoval = await t.request('POST', '/v1/staff/sessions/refresh', {
      body: { refresh_token: refreshed.json.refresh_token },
    });
    expect(afterRemoval.status).toBe(401);
    const signIn = await t.request('POST', '/v1/staff/sessions', {
      body: { store_id: s.id, email: 'sam2@example.com', password: PASSWORD },
    });
    expect(signIn.status).toBe(401);

    // Live mode is chosen at sign-in: a live session sees live data only.
    const live = await t.request('POST', '/v1/staff/sessions', {
      body: { store_id: s.id, email: 'owner@example.com', password: PASSWORD, mode: 'live' },
    });
    expect(live.status).toBe(201);
    expect(live.json.mode).toBe('live');
    const liveKey = await t.request('POST', '/v1/api_keys', {
      key: live.json.access_token,
      body: { kind: 'secret', mode: 'live' },
    });
    expect(liveKey.status).toBe(201);
    expect(liveKey.json.key).toMatch(/^sk_live_/);

    const out = await t.request('POST', '/v1/staff/sessions/revoke', {
      body: { refresh_token: live.json.refresh_token },
    });
    expect(out.status).toBe(200);
    const gone = await t.request('POST', '/v1/staff/sessions/refresh', {
      body: { refresh_token: live.json.refresh_token },
    });
    expect(gone.status).toBe(401);

    // A forged token is refused, and a key-shaped garbage token keeps its old error.
    const forged = await t.request('GET', '/v1/orders', { key: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' });
    expect(forged.status).toBe(401);
    expect(forged.json.error.code).toBe('INVALID_STAFF_TOKEN');
  }, 180_000);
});
