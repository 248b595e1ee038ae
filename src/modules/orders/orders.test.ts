import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  CARDS,
  card,
  cartToken,
  checkout,
  count,
  level,
  seedVariant,
} from '../../../test/support/commerce.ts';
import { testApp } from '../../../test/support/harness.ts';

const t = await testApp();

const eventsOf = (orderId: string, type: string) =>
  count(
    t,
    sql`select count(*)::int as n from event where type = ${type} and data->'object'->>'id' = ${orderId}`,
  );

async function paidOrder(o: { settings?: object; qty?: number; price?: number; onHand?: number } = {}) {
  const s = await t.createStore({ settings: o.settings });
  const v = await seedVariant(t, s, { price: o.price ?? 2000, onHand: o.onHand ?? 10 });
  const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: o.qty ?? 2 }]);
  const r = await checkout(t, s.pk, token, card(CARDS.success));
  if (r.status !== 201) throw new Error(`checkout: ${r.status} ${r.text}`);
  return { s, v, id: r.json.order.id as string, secret: r.json.order_secret as string, order: r.json.order };
}

const post = (key: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  t.request('POST', path, { key, body, headers });

describe('order life cycle', () => {
  it('manual capture: authorized at checkout with stock reserved, captured and committed on fulfilment', async () => {
    const { s, v, id, order } = await paidOrder({ settings: { capture: 'manual' } });
    expect(order).toMatchObject({ status: 'paid', payment_status: 'authorized', capture: 'manual' });
    expect(await level(t, s.sk, v)).toMatchObject({ on_hand: 10, committed: 2 });

    // A tracking link is shown to shoppers: only web addresses, never a script or a local file.
    for (const tracking_url of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,hi']) {
      const bad = await post(s.sk, `/v1/orders/${id}/fulfill`, {
        carrier: 'UPS',
        tracking_number: '1',
        tracking_url,
      });
      expect(bad.status).toBe(400);
      expect(bad.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'tracking_url' });
    }
    const f = await post(s.sk, `/v1/orders/${id}/fulfill`, {
      carrier: 'UPS',
      tracking_number: '1Z999',
      tracking_url: 'https://ups.example/1Z999',
    });
    expect(f.status).toBe(200);
    expect(f.json).toMatchObject({
      status: 'fulfilled',
      payment_status: 'paid',
      fulfillment_status: 'fulfilled',
    });
    expect(f.json.payments[0]).toMatchObject({ status: 'captured', amount_captured: 4000 });
    expect(f.json.fulfillments[0]).toMatchObject({ carrier: 'UPS', tracking_number: '1Z999' });
    expect(await level(t, s.sk, v)).toMatchObject({ on_hand: 8, committed: 0 });
    expect(await eventsOf(id, 'order.fulfilled')).toBe(1);
    // The event carries the shipment beside the order, so a receiver needs no second call.
    const shipped = (await t.database.db.execute(
      sql`select data->'fulfillment' as f from event where type = 'order.fulfilled' and data->'object'->>'id' = ${id}`,
    )) as unknown as { rows: Array<{ f: Record<string, unknown> }> };
    expect(shipped.rows[0]!.f).toMatchObject({ carrier: 'UPS', tracking_number: '1Z999' });
    expect(shipped.rows[0]!.f.id).toBe(f.json.fulfillments[0].id);

    const again = await post(s.sk, `/v1/orders/${id}/fulfill`, { carrier: 'UPS', tracking_number: '1Z999' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('INVALID_ORDER_TRANSITION');

    const c = await post(s.sk, `/v1/orders/${id}/complete`);
    expect(c.status).toBe(200);
    expect(c.json.status).toBe('completed');
    expect(await eventsOf(id, 'order.completed')).toBe(1);
    const types = c.json.events.map((e: { type: string }) => e.type);
    expect(types).toEqual([
      'order.created',
      'order.paid',
      'order.payment_captured',
      'order.fulfilled',
      'order.completed',
    ]);
  });

  it('cancelling an authorized order voids it and releases the stock', async () => {
    const { s, v, id } = await paidOrder({ settings: { capture: 'manual' } });
    const r = await post(s.sk, `/v1/orders/${id}/cancel`, { reason: 'customer asked' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'cancelled', payment_status: 'voided' });
    expect(r.json.payments[0].status).toBe('voided');
    expect(await level(t, s.sk, v)).toMatchObject({ on_hand: 10, committed: 0 });
  });

  it('cancelling a paid order refunds what was captured and returns the stock', async () => {
    const { s, v, id } = await paidOrder();
    expect(await level(t, s.sk, v)).toMatchObject({ on_hand: 8, committed: 0 });
    const r = await post(s.sk, `/v1/orders/${id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'cancelled', payment_status: 'refunded' });
    expect(r.json.refunds).toHaveLength(1);
    expect(r.json.refunds[0]).toMatchObject({ amount: 4000, status: 'succeeded' });
    expect(r.json.payments[0]).toMatchObject({ amount_captured: 4000, amount_refunded: 4000 });
    expect(await level(t, s.sk, v)).toMatchObject({ on_hand: 10, committed: 0 });
    expect(await eventsOf(id, 'order.cancelled')).toBe(1);
    expect(await eventsOf(id, 'order.refunded')).toBe(1);
    const refunded = (await t.database.db.execute(
      sql`select data->'refund' as r from event where type = 'order.refunded' and data->'object'->>'id' = ${id}`,
    )) as unknown as { rows: Array<{ r: Record<string, unknown> }> };
    expect(refunded.rows[0]!.r).toMatchObject({
      id: r.json.refunds[0].id,
      amount: 4000,
      status: 'succeeded',
    });
    const twice = await post(s.sk, `/v1/orders/${id}/cancel`);
    expect(twice.status).toBe(409);
    expect(twice.json.error.code).toBe('INVALID_ORDER_TRANSITION');
  });

  it('refunds partially, refuses to refund more than captured, and is idempotent per key', async () => {
    const { s, id } = await paidOrder();
    const a = await post(
      s.sk,
      `/v1/orders/${id}/refund`,
      { amount: 1500, reason: 'damaged' },
      { 'idempotency-key': 'r-1' },
    );
    expect(a.status).toBe(201);
    expect(a.json.refund).toMatchObject({ amount: 1500, status: 'succeeded', reason: 'damaged' });
    expect(a.json.order).toMatchObject({ payment_status: 'partially_refunded' });
    const replay = await post(
      s.sk,
      `/v1/orders/${id}/refund`,
      { amount: 1500, reason: 'damaged' },
      { 'idempotency-key': 'r-1' },
    );
    expect(replay.status).toBe(201);
    expect(replay.json.refund.id).toBe(a.json.refund.id);

    const over = await post(s.sk, `/v1/orders/${id}/refund`, { amount: 2501 }, { 'idempotency-key': 'r-2' });
    expect(over.status).toBe(409);
    expect(over.json.error).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED', refundable: 2500 });

    const rest = await post(s.sk, `/v1/orders/${id}/refund`, { amount: 2500 }, { 'idempotency-key': 'r-3' });
    expect(rest.status).toBe(201);
    expect(rest.json.order).toMatchObject({ payment_status: 'refunded', status: 'paid' });
    expect(rest.json.order.payments[0]).toMatchObject({ amount_captured: 4000, amount_refunded: 4000 });
    expect(await eventsOf(id, 'order.refunded')).toBe(2);
    const none = await post(s.sk, `/v1/orders/${id}/refund`, { amount: 1 });
    expect(none.status).toBe(409);
  });

  it('concurrent refunds never exceed the capture', async () => {
    const { s, id } = await paidOrder();
    const results = await Promise.all(
      [1, 2, 3].map((i) =>
        post(s.sk, `/v1/orders/${id}/refund`, { amount: 1500 }, { 'idempotency-key': `c-${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 409)).toHaveLength(1);
    const o = await t.request('GET', `/v1/orders/${id}`, { key: s.sk });
    expect(o.json.payments[0].amount_refunded).toBe(3000);
  });

  it('refuses transitions the state machine does not allow', async () => {
    const { s, id } = await paidOrder();
    const complete = await post(s.sk, `/v1/orders/${id}/complete`);
    expect(complete.status).toBe(409);
    expect(complete.json.error.code).toBe('INVALID_ORDER_TRANSITION');
  });

  it('the audit trail cannot be rewritten', async () => {
    const { id } = await paidOrder();
    await expect(
      t.database.db.execute(sql`update order_event set type = 'x' where order_id = ${id}`),
    ).rejects.toThrow();
    await expect(
      t.database.db.execute(sql`delete from order_event where order_id = ${id}`),
    ).rejects.toThrow();
    await expect(
      t.database.db.execute(sql`update order_line set qty = 99 where order_id = ${id}`),
    ).rejects.toThrow();
    await expect(
      t.database.db.execute(
        sql`update payment set amount_refunded = amount_captured + 1 where order_id = ${id}`,
      ),
    ).rejects.toThrow();
  });
});

describe('order reads', () => {
  it('lists with filters and cursor pagination', async () => {
    const { s, v } = await paidOrder();
    for (const email of ['a@example.com', 'b@example.com']) {
      const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }], email);
      expect((await checkout(t, s.pk, token)).status).toBe(201);
    }
    const declined = await checkout(
      t,
      s.pk,
      await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }]),
      card(CARDS.declined),
    );
    expect(declined.status).toBe(402);

    const all = await t.request('GET', '/v1/orders?limit=2', { key: s.sk });
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ object: 'list', has_more: true });
    expect(all.json.data).toHaveLength(2);
    const next = await t.request('GET', `/v1/orders?limit=2&cursor=${all.json.next_cursor}`, { key: s.sk });
    expect(next.json.data).toHaveLength(2);
    expect(next.json.has_more).toBe(false);
    const ids = [...all.json.data, ...next.json.data].map((o: { id: string }) => o.id);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort().reverse()).toEqual(ids);

    const cancelled = await t.request('GET', '/v1/orders?status=cancelled', { key: s.sk });
    expect(cancelled.json.data).toHaveLength(1);
    const byEmail = await t.request('GET', '/v1/orders?email=B@example.com', { key: s.sk });
    expect(byEmail.json.data.map((o: { email: string }) => o.email)).toEqual(['b@example.com']);
    const future = await t.request('GET', '/v1/orders?created_from=2999-01-01T00:00:00Z', { key: s.sk });
    expect(future.json.data).toHaveLength(0);
    const bad = await t.request('GET', '/v1/orders?cursor=nope', { key: s.sk });
    expect(bad.json.error.code).toBe('INVALID_CURSOR');

    // Newest first means by creation time (then id): an order dated back goes last, and a page at a time
    // within a date range, one order per page, still sees each order once.
    const newest = ids[0]!;
    await t.database.db.execute(
      sql`update "order" set created_at = '2020-06-15T12:00:00Z' where id = ${newest}`,
    );
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 6; i++) {
      const page = await t.request('GET', `/v1/orders?limit=1${cursor}`, { key: s.sk });
      seen.push(...page.json.data.map((o: { id: string }) => o.id));
      if (!page.json.has_more) break;
      cursor = `&cursor=${page.json.next_cursor}`;
    }
    expect(seen).toEqual([...ids.slice(1), newest]);
    const june = await t.request(
      'GET',
      '/v1/orders?created_from=2020-06-01T00:00:00Z&created_to=2020-07-01T00:00:00Z',
      { key: s.sk },
    );
    expect(june.json.data.map((o: { id: string }) => o.id)).toEqual([newest]);
    const since = await t.request('GET', '/v1/orders?created_from=2021-01-01T00:00:00Z&limit=2', {
      key: s.sk,
    });
    const rest = await t.request(
      'GET',
      `/v1/orders?created_from=2021-01-01T00:00:00Z&limit=2&cursor=${since.json.next_cursor}`,
      { key: s.sk },
    );
    expect([...since.json.data, ...rest.json.data].map((o: { id: string }) => o.id)).toEqual(ids.slice(1));
    expect(rest.json.has_more).toBe(false);
  });

  it('keeps stores apart', async () => {
    const a = await paidOrder();
    const b = await t.createStore();
    const read = await t.request('GET', `/v1/orders/${a.id}`, { key: b.sk });
    expect(read.status).toBe(404);
    expect(read.json.error.code).toBe('ORDER_NOT_FOUND');
    const listed = await t.request('GET', '/v1/orders', { key: b.sk });
    expect(listed.json.data).toHaveLength(0);
    for (const action of ['cancel', 'complete']) {
      const r = await post(b.sk, `/v1/orders/${a.id}/${action}`);
      expect(r.status).toBe(404);
    }
    const refund = await post(b.sk, `/v1/orders/${a.id}/refund`, { amount: 1 });
    expect(refund.status).toBe(404);
    const fulfil = await post(b.sk, `/v1/orders/${a.id}/fulfill`, { carrier: 'x', tracking_number: 'y' });
    expect(fulfil.status).toBe(404);
    const pub = await t.request('GET', `/v1/orders/${a.id}/public`, {
      key: b.pk,
      headers: { 'x-order-secret': a.secret },
    });
    expect(pub.status).toBe(404);
    const mine = await t.request('GET', `/v1/orders/${a.id}`, { key: a.s.sk });
    expect(mine.status).toBe(200);
    expect(mine.json.status).toBe('paid');
  });

  it('admin routes need the secret key; the public page needs the order secret', async () => {
    const { s, id, secret } = await paidOrder();
    const admin = await t.request('GET', `/v1/orders/${id}`, { key: s.pk });
    expect(admin.status).toBe(403);
    const list = await t.request('GET', '/v1/orders', { key: s.pk });
    expect(list.status).toBe(403);

    const ok = await t.request('GET', `/v1/orders/${id}/public`, {
      key: s.pk,
      headers: { 'x-order-secret': secret },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ id, status: 'paid', total: 4000 });
    expect(ok.json.events).toBeUndefined();
    expect(ok.headers.get('cache-control')).toContain('no-store');
    const none = await t.request('GET', `/v1/orders/${id}/public`, { key: s.pk });
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('ORDER_NOT_FOUND');
    const wrong = await t.request('GET', `/v1/orders/${id}/public`, {
      key: s.pk,
      headers: { 'x-order-secret': `${secret}x` },
    });
    expect(wrong.status).toBe(404);
    const badId = await t.request('GET', '/v1/orders/ord_nope', { key: s.sk });
    expect(badId.status).toBe(400);
  });
});
