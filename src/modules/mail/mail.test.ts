import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { CARDS, card, cartToken, checkout, count, seedVariant } from '../../../test/support/commerce.ts';
import { testApp } from '../../../test/support/harness.ts';
import { startSmtpServer } from '../../../test/support/smtp.ts';
import { inTransaction, rows } from '../../shared/db.ts';

const smtp = await startSmtpServer();
afterAll(() => smtp.stop());
const t = await testApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'orders@mail.example' } });

const post = (key: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  t.request('POST', path, { key, body, headers });

async function paidOrder(o: { settings?: object; name?: string; email?: string } = {}) {
  const s = await t.createStore({ name: o.name ?? 'Tea & Cups', settings: o.settings });
  const v = await seedVariant(t, s, { price: 1250, onHand: 10, title: 'Blue <Mug>' });
  const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }], o.email ?? 'shopper@example.com');
  const r = await checkout(t, s.pk, token, card(CARDS.success));
  if (r.status !== 201) throw new Error(`checkout: ${r.status} ${r.text}`);
  return { s, id: r.json.order.id as string, order: r.json.order };
}

/** Relays the events and sends what they queued, like one worker turn. */
async function deliver() {
  await t.events.drain();
  return t.mail.sendDue();
}

const arrived = (orderId: string, kind?: string) =>
  smtp.received.filter(
    (m) => (m.mail.text ?? '').includes(orderId) && (!kind || m.mail.subject?.includes(kind)),
  );

const emailsOf = (storeId: string, kind: string) =>
  count(t, sql`select count(*)::int as n from email where store_id = ${storeId} and kind = ${kind}`);

describe('store email settings', () => {
  it('validates the sender and the storefront URL, and uses them', async () => {
    const s = await t.createStore({ name: 'Plain' });
    for (const [settings, param] of [
      [{ email: { from_address: 'not an address' } }, 'settings.email.from_address'],
      [{ email: { from_address: 'a@b.example>, evil@x.example' } }, 'settings.email.from_address'],
      [{ email: { from_name: 'Two\nlines' } }, 'settings.email.from_name'],
      [{ email: { reply_to: 'x@y.example' } }, 'settings.email.reply_to'],
      [{ storefront_url: 'javascript:alert(1)' }, 'settings.storefront_url'],
    ] as const) {
      const r = await t.request('PATCH', '/v1/store', { key: s.sk, body: { settings } });
      expect(r.status, JSON.stringify(settings)).toBe(400);
      expect(r.json.error.code).toBe('VALIDATION_FAILED');
      expect(r.json.error.param).toBe(param);
    }
    const ok = await t.request('PATCH', '/v1/store', {
      key: s.sk,
      body: {
        settings: {
          email: { from_name: 'Plain Goods', from_address: 'hello@plain.example' },
          storefront_url: 'https://plain.example/',
        },
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.settings).toMatchObject({
      email: { from_name: 'Plain Goods', from_address: 'hello@plain.example' },
      storefront_url: 'https://plain.example/',
    });
  });
});

describe('order emails', () => {
  it('a paid checkout sends exactly one confirmation, from the store, with both parts and the total', async () => {
    const { s, id, order } = await paidOrder();
    expect(await deliver()).toMatchObject({ sent: 1, retried: 0, failed: 0 });
    const got = arrived(id);
    expect(got).toHaveLength(1);
    const m = got[0]!;
    expect(m.envelope.to).toEqual(['shopper@example.com']);
    expect(m.mail.to && !Array.isArray(m.mail.to) ? m.mail.to.value : []).toEqual([
      { name: '', address: 'shopper@example.com' },
    ]);
    expect(m.mail.from?.value).toEqual([{ name: 'Tea & Cups', address: 'orders@mail.example' }]);
    expect(m.mail.subject).toBe(`Tea & Cups: order ${id} confirmed`);
    expect(order.total).toBe(2500 + order.shipping_total + order.tax_total);
    const total = `${(order.total / 100).toFixed(2)} USD`;
    expect(m.mail.text).toContain(`Total: ${total}`);
    expect(m.mail.text).toContain('2 × Blue <Mug>');
    expect(m.mail.html).toContain(total);
    // Text from the catalog and the store is escaped in the HTML part.
    expect(m.mail.html).toContain('Blue &lt;Mug&gt;');
    expect(m.mail.html).toContain('Tea &amp; Cups');
    expect(m.mail.html).not.toContain('<Mug>');
    expect(m.emailId).toMatch(/^eml_/);
    expect(await emailsOf(s.id, 'order_confirmation')).toBe(1);
  });

  it('uses the store sender settings and links to the storefront order page', async () => {
    const { id } = await paidOrder({
      name: 'Plain',
      settings: {
        email: { from_name: 'Plain Goods', from_address: 'hello@plain.example' },
        storefront_url: 'https://plain.example/',
      },
    });
    await deliver();
    const [m] = arrived(id);
    expect(m!.mail.from?.value).toEqual([{ name: 'Plain Goods', address: 'hello@plain.example' }]);
    expect(m!.envelope.from).toBe('hello@plain.example');
    expect(m!.mail.text).toContain(`View your order: https://plain.example/orders/${id}`);
    expect(m!.mail.html).toContain(`href="https://plain.example/orders/${id}"`);
  });

  it('relaying the events again, or running the consumer twice, queues nothing more', async () => {
    const { s, id } = await paidOrder();
    await deliver();
    // The relay hands a batch over again after a crash before it was marked: the consumer sees it twice.
    await t.database.db.execute(sql`update event set dispatched_at = null where store_id = ${s.id}`);
    await t.events.drain();
    const events = await rows<{ id: string; type: string; data: Record<string, unknown>; livemode: boolean }>(
      t.database.db,
      sql`select id, type, data, livemode from event where store_id = ${s.id}`,
    );
    const records = events.map((e) => ({ ...e, storeId: s.id }));
    // Twice at once too (on PostgreSQL the second insert waits for the first and then does nothing).
    await Promise.all([
      inTransaction(t.database.db, (tx) => t.mail.consumer(tx, records)),
      inTransaction(t.database.db, (tx) => t.mail.consumer(tx, records)),
    ]);
    expect(await t.mail.sendDue()).toMatchObject({ sent: 0 });
    expect(await emailsOf(s.id, 'order_confirmation')).toBe(1);
    expect(arrived(id)).toHaveLength(1);
  });

  it('fulfilment sends the shipping email with the tracking number, carrier and link, once', async () => {
    const { s, id } = await paidOrder({
      settings: { email: { from_name: 'Cup Co.', from_address: 'hi@cup.example' } },
    });
    await deliver();
    const f = await post(s.sk, `/v1/orders/${id}/fulfill`, {
      carrier: 'UPS',
      tracking_number: '1Z999AA10123456784',
      tracking_url: 'https://ups.example/track?n=1Z999&x=1',
    });
    expect(f.status).toBe(200);
    expect(await deliver()).toMatchObject({ sent: 1 });
    const shipped = arrived(id, 'shipped');
    expect(shipped).toHaveLength(1);
    const m = shipped[0]!;
    expect(m.mail.from?.value).toEqual([{ name: 'Cup Co.', address: 'hi@cup.example' }]);
    expect(m.mail.subject).toBe(`Tea & Cups: order ${id} has shipped`);
    expect(m.mail.text).toContain('Tracking number: 1Z999AA10123456784');
    expect(m.mail.text).toContain('Carrier: UPS');
    expect(m.mail.html).toContain('href="https://ups.example/track?n=1Z999&amp;x=1"');
    await t.database.db.execute(sql`update event set dispatched_at = null where store_id = ${s.id}`);
    await deliver();
    expect(arrived(id, 'shipped')).toHaveLength(1);
    expect(await emailsOf(s.id, 'order_shipped')).toBe(1);
  });

  it('each partial refund sends one refund email with the amount refunded', async () => {
    const { s, id, order } = await paidOrder();
    await deliver();
    const r1 = await post(
      s.sk,
      `/v1/orders/${id}/refund`,
      { amount: 500 },
      { 'idempotency-key': `${id}-r1` },
    );
    expect(r1.status).toBe(201);
    expect(await deliver()).toMatchObject({ sent: 1 });
    let refunds = arrived(id, 'refund');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.mail.subject).toBe(`Tea & Cups: refund of 5.00 USD for order ${id}`);
    expect(refunds[0]!.mail.text).toContain('We have refunded 5.00 USD');

    const r2 = await post(
      s.sk,
      `/v1/orders/${id}/refund`,
      { amount: 250 },
      { 'idempotency-key': `${id}-r2` },
    );
    expect(r2.status).toBe(201);
    await deliver();
    refunds = arrived(id, 'refund');
    expect(refunds).toHaveLength(2);
    expect(refunds[1]!.mail.text).toContain('We have refunded 2.50 USD');
    expect(refunds[1]!.mail.text).toContain(`In total 7.50 USD of ${(order.total / 100).toFixed(2)} USD`);
    await t.database.db.execute(sql`update event set dispatched_at = null where store_id = ${s.id}`);
    await deliver();
    expect(arrived(id, 'refund')).toHaveLength(2);
    expect(await emailsOf(s.id, 'order_refunded')).toBe(2);

    // Staff see the order's emails: the confirmation and both refunds, sent, oldest first.
    const listed = await t.request('GET', `/v1/orders/${id}/emails`, { key: s.sk });
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((e: { kind: string }) => e.kind)).toEqual([
      'order_confirmation',
      'order_refunded',
      'order_refunded',
    ]);
    expect(listed.json.data[0]).toMatchObject({
      object: 'email',
      to: 'shopper@example.com',
      subject: expect.stringContaining(id),
      status: 'sent',
      attempts: 1,
      last_error: null,
    });
    expect(Date.parse(listed.json.data[0].sent_at)).toBeGreaterThan(0);
    // Another order's emails, another store's order, a test key for a live order: none of them.
    const { s: s2, id: id2 } = await paidOrder({ email: 'other@example.com' });
    await t.events.drain();
    const queued = await t.request('GET', `/v1/orders/${id2}/emails`, { key: s2.sk });
    expect(queued.json.data).toMatchObject([{ kind: 'order_confirmation', status: 'queued', sent_at: null }]);
    const foreign = await t.request('GET', `/v1/orders/${id2}/emails`, { key: s.sk });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('ORDER_NOT_FOUND');
    expect((await t.request('GET', `/v1/orders/${id}/emails`, { key: s.pk })).status).toBe(403);
  });

  it('the confirmation waits for the SMTP server and is delivered once it is back', async () => {
    await smtp.stop();
    const { s, id } = await paidOrder();
    await deliver();
    const queued = await rows<{ attempts: number; state: string }>(
      t.database.db,
      sql`select attempts, state from email where store_id = ${s.id}`,
    );
    expect(queued).toEqual([{ attempts: 1, state: 'queued' }]);
    expect(arrived(id)).toHaveLength(0);
    await smtp.start();
    // Due again after its backoff: move it forward instead of waiting.
    await t.database.db.execute(sql`update email set run_at = now() where store_id = ${s.id}`);
    await t.mail.sendDue();
    expect(arrived(id)).toHaveLength(1);
    expect(
      await count(t, sql`select count(*)::int as n from email where store_id = ${s.id} and state = 'sent'`),
    ).toBe(1);
  });
});
