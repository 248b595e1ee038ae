import { describe, expect, it } from 'vitest';
import { afterFailure, MAX_SEND_ATTEMPTS, orderEmailsFor, retryDelayMs, senderLine } from './mail.rules.ts';
import { orderConfirmationEmail, orderRefundedEmail, orderShippedEmail } from './mail.templates.ts';

const order = {
  id: 'ord_1',
  object: 'order',
  currency: 'USD',
  email: 'ada@example.com',
  subtotal: 2500,
  discount_total: 0,
  shipping_total: 500,
  tax_total: 0,
  total: 3000,
  tax_inclusive: false,
  lines: [{ product_title: 'Mug', title: 'Blue', quantity: 2, total: 2500, unit_price: 1250 }],
};
const event = (type: string, object: object = order) => ({ id: 'evt_1', type, data: { object } });

describe('orderEmailsFor', () => {
  it('asks for one confirmation per order on order.paid, to the order email', () => {
    expect(orderEmailsFor(event('order.paid'))).toEqual([
      expect.objectContaining({
        kind: 'order_confirmation',
        dedupeKey: 'order_confirmation:ord_1',
        to: 'ada@example.com',
      }),
    ]);
  });

  it('asks for nothing for other events, orders without an email, or payloads it cannot read', () => {
    expect(orderEmailsFor(event('order.created'))).toEqual([]);
    expect(orderEmailsFor(event('order.paid', { ...order, email: null }))).toEqual([]);
    expect(orderEmailsFor(event('order.paid', { ...order, email: 'a@b\r\nBcc: x@y' }))).toEqual([]);
    expect(orderEmailsFor({ id: 'e', type: 'order.paid', data: {} })).toEqual([]);
    expect(orderEmailsFor(event('order.paid', { id: 'ord_1', email: 'a@b.c' }))).toEqual([]);
  });

  it('takes the tracking of the latest fulfilment', () => {
    const [shipped] = orderEmailsFor(event('order.fulfilled'), {
      fulfillments: [{ id: 'ful_1', carrier: 'UPS', tracking_number: '1Z', tracking_url: null }],
      refunds: [],
    });
    expect(shipped).toMatchObject({
      kind: 'order_shipped',
      dedupeKey: 'order_shipped:ord_1',
      shipment: { carrier: 'UPS', tracking_number: '1Z', tracking_url: null },
    });
  });

  it('asks for one email per succeeded refund, each with the running total', () => {
    const intents = orderEmailsFor(event('order.refunded'), {
      fulfillments: [],
      refunds: [
        { id: 'ref_1', amount: 500, status: 'succeeded' },
        { id: 'ref_2', amount: 300, status: 'failed' },
        { id: 'ref_3', amount: 250, status: 'succeeded' },
        { id: 'ref_4', amount: 100, status: 'pending' },
      ],
    });
    expect(intents.map((i) => [i.dedupeKey, i.refund])).toEqual([
      ['order_refunded:ref_1', { amount: 500, amountRefunded: 500 }],
      ['order_refunded:ref_3', { amount: 250, amountRefunded: 750 }],
    ]);
  });
});

describe('sending rules', () => {
  it('backs off exponentially, capped at an hour, and gives up after the last attempt or a permanent refusal', () => {
    expect([1, 2, 3, 10].map(retryDelayMs)).toEqual([30_000, 60_000, 120_000, 3_600_000]);
    const now = new Date('2030-01-01T00:00:00Z');
    expect(afterFailure(1, false, now)).toEqual({ state: 'queued', runAt: new Date('2030-01-01T00:00:30Z') });
    expect(afterFailure(MAX_SEND_ATTEMPTS, false, now)).toEqual({ state: 'failed' });
    expect(afterFailure(1, true, now)).toEqual({ state: 'failed' });
  });

  it('quotes the sender name and keeps it on one line', () => {
    expect(senderLine('Tea & Cups', 'o@x.example')).toBe('"Tea & Cups" <o@x.example>');
    expect(senderLine('Say "hi" \\o/', 'o@x.example')).toBe('"Say \\"hi\\" \\\\o/" <o@x.example>');
    expect(senderLine('Evil\r\nBcc: all@x.example', 'o@x.example')).toBe(
      '"Evil Bcc: all@x.example" <o@x.example>',
    );
    expect(senderLine('  ', 'o@x.example')).toBe('o@x.example');
  });
});

describe('templates', () => {
  it('the confirmation lists lines and totals in the order currency, in both parts', () => {
    const e = orderConfirmationEmail({
      storeName: 'Shop',
      order,
      orderUrl: 'https://shop.example/orders/ord_1',
    });
    expect(e.subject).toBe('Shop: order ord_1 confirmed');
    expect(e.text).toContain('2 × Mug — Blue  25.00 USD');
    expect(e.text).toContain('Shipping: 5.00 USD');
    expect(e.text).toContain('Total: 30.00 USD');
    expect(e.text).toContain('View your order: https://shop.example/orders/ord_1');
    expect(e.html).toContain('<strong>30.00 USD</strong>');
    expect(e.html).toContain('<a href="https://shop.example/orders/ord_1">');
  });

  it('formats zero- and three-decimal currencies', () => {
    const jpy = orderConfirmationEmail({ storeName: 'S', order: { id: 'o', currency: 'JPY', total: 500 } });
    expect(jpy.text).toContain('Total: 500 JPY');
    const kwd = orderRefundedEmail({
      storeName: 'S',
      order: { id: 'o', currency: 'KWD', total: 12345 },
      refund: { amount: 1234, amountRefunded: 1234 },
    });
    expect(kwd.subject).toBe('S: refund of 1.234 KWD for order o');
  });

  it('escapes store and catalog text in HTML and keeps subjects on one line', () => {
    const e = orderConfirmationEmail({
      storeName: '<script>alert(1)</script>\r\nBcc: x',
      order: {
        ...order,
        lines: [{ product_title: '"><img src=x onerror=alert(1)>', title: null, quantity: 1, total: 1 }],
      },
    });
    expect(e.html).not.toMatch(/<script>|<img/);
    expect(e.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(e.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(e.subject).not.toMatch(/[\r\n]/);
  });

  it('links only web tracking URLs', () => {
    const ctx = { storeName: 'S', order };
    const web = orderShippedEmail({
      ...ctx,
      shipment: { carrier: 'UPS', tracking_number: '1Z', tracking_url: 'https://ups.example/?a=1&b=2' },
    });
    expect(web.html).toContain('href="https://ups.example/?a=1&amp;b=2"');
    const script = orderShippedEmail({
      ...ctx,
      shipment: { carrier: null, tracking_number: '1Z', tracking_url: 'javascript:alert(1)' },
    });
    expect(script.html).not.toContain('javascript:');
    expect(script.text).not.toContain('javascript:');
    expect(script.text).toContain('Tracking number: 1Z');
  });

  it('a full refund says so; a second partial refund gives the running total', () => {
    const full = orderRefundedEmail({
      storeName: 'S',
      order,
      refund: { amount: 3000, amountRefunded: 3000 },
    });
    expect(full.text).toContain('refunded in full (30.00 USD)');
    const second = orderRefundedEmail({
      storeName: 'S',
      order,
      refund: { amount: 250, amountRefunded: 750 },
    });
    expect(second.text).toContain('In total 7.50 USD of 30.00 USD has been refunded.');
  });
});
