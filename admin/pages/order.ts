import type { Order } from '../../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from '../context.ts';
import {
  act,
  badge,
  confirmAction,
  describe,
  errorSlot,
  field,
  fill,
  h,
  listTable,
  money,
  toMinor,
  when,
} from '../ui.ts';

type Detail = Order & {
  events?: Array<{
    id: string;
    type: string;
    from: string | null;
    to: string | null;
    actor: unknown;
    created_at: string;
  }>;
  payments?: Array<{
    id: string;
    gateway: string;
    status: string;
    amount_captured: number;
    amount_refunded: number;
    amount_authorized: number;
    reference: string | null;
    created_at: string;
  }>;
  refunds?: Array<{ id: string; amount: number; reason: string | null; status: string; created_at: string }>;
  fulfillments?: Array<{
    id: string;
    carrier: string;
    tracking_number: string;
    tracking_url: string | null;
    created_at: string;
  }>;
};

const actorOf = (a: unknown) => {
  if (!a || typeof a !== 'object') return a ? String(a) : 'system';
  const o = a as Record<string, unknown>;
  return String(o.email ?? o.staff_id ?? o.key_id ?? o.kind ?? 'system');
};

/** One order: lines, totals, payments, refunds, shipments and its history; fulfil, refund and cancel. */
export const orderScreen: Screen = async (root, ctx, { id }) => {
  fill(root, h('p', { class: 'muted' }, 'Loading order…'));
  const o = (await ctx.api.orders.get(id!)) as unknown as Detail;
  draw(root, ctx, o);
};

function draw(root: HTMLElement, ctx: Ctx, o: Detail) {
  const m = (n: number) => money(n, o.currency);
  const refunded = (o.payments ?? []).reduce((n, p) => n + p.amount_refunded, 0);
  const captured = (o.payments ?? []).reduce((n, p) => n + p.amount_captured, 0);
  const refundable = Math.max(0, captured - refunded);
  const redraw = (next: unknown) => draw(root, ctx, next as Detail);

  const actions = h('section', { class: 'actions', 'aria-label': 'Order actions' });
  if (ctx.canWrite) {
    if (o.status === 'paid') actions.append(fulfilForm(ctx, o, redraw));
    if (refundable > 0) actions.append(refundForm(ctx, o, refundable, redraw));
    if (o.status === 'pending' || o.status === 'paid') actions.append(cancelForm(ctx, o, redraw));
  }

  fill(
    root,
    h('p', null, h('a', { href: '/admin/orders' }, '← Orders')),
    h('h1', null, `Order #${o.id.slice(-8)} `, badge(o.status)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Placed'),
      h('dd', null, when(o.created_at)),
      h('dt', null, 'Customer'),
      h('dd', null, o.email),
      h('dt', null, 'Payment'),
      h('dd', null, badge(o.payment_status)),
      h('dt', null, 'Fulfilment'),
      h('dd', null, badge(o.fulfillment_status)),
      h('dt', null, 'Order ID'),
      h('dd', null, h('code', null, o.id)),
    ),
    actions,
    h('h2', null, 'Items'),
    h(
      'table',
      { class: 'list', id: 'lines' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['Item', 'SKU', 'Price', 'Qty', 'Total'].map((t, i) =>
            h('th', { scope: 'col', class: i > 1 ? 'num' : null }, t),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        o.lines.map((l) =>
          h(
            'tr',
            null,
            h('td', null, l.title.startsWith(l.product_title) ? l.title : `${l.product_title} — ${l.title}`),
            h('td', null, h('code', null, l.sku)),
            h('td', { class: 'num' }, m(l.unit_price)),
            h('td', { class: 'num' }, l.quantity),
            h('td', { class: 'num' }, m(l.total)),
          ),
        ),
      ),
      h(
        'tfoot',
        null,
        [
          ['Subtotal', o.subtotal],
          ...(o.discount_total ? ([['Discount', -o.discount_total]] as const) : []),
          ['Shipping', o.shipping_total],
          ['Tax', o.tax_total],
          ['Total', o.total],
          ...(refunded ? ([['Refunded', -refunded]] as const) : []),
        ].map(([k, v]) =>
          h('tr', null, h('th', { colspan: 4, scope: 'row' }, k), h('td', { class: 'num' }, m(v as number))),
        ),
      ),
    ),
    h('h2', null, 'Payments'),
    table(
      'payments',
      ['Gateway', 'Status', 'Authorized', 'Captured', 'Refunded', 'Date'],
      (o.payments ?? []).map((p) => [
        p.gateway,
        badge(p.status),
        m(p.amount_authorized),
        m(p.amount_captured),
        m(p.amount_refunded),
        when(p.created_at),
      ]),
      'No payments.',
    ),
    h('h2', null, 'Refunds'),
    table(
      'refunds',
      ['Amount', 'Reason', 'Status', 'Date'],
      (o.refunds ?? []).map((r) => [m(r.amount), r.reason ?? '—', badge(r.status), when(r.created_at)]),
      'No refunds.',
    ),
    h('h2', null, 'Shipments'),
    table(
      'fulfillments',
      ['Carrier', 'Tracking', 'Date'],
      (o.fulfillments ?? []).map((f) => [
        f.carrier,
        f.tracking_url
          ? h('a', { href: f.tracking_url, rel: 'noopener noreferrer', target: '_blank' }, f.tracking_number)
          : f.tracking_number,
        when(f.created_at),
      ]),
      'Not shipped yet.',
    ),
    h('h2', null, 'Emails'),
    emailsSection(ctx, o.id),
    h('h2', null, 'History'),
    h(
      'ol',
      { class: 'timeline', id: 'events' },
      (o.events ?? []).map((e) =>
        h(
          'li',
          null,
          h('time', { datetime: e.created_at }, when(e.created_at)),
          ' ',
          h('strong', null, e.type.replace(/_/g, ' ')),
          e.to ? ` → ${e.to}` : '',
          h('span', { class: 'muted' }, ` by ${actorOf(e.actor)}`),
        ),
      ),
    ),
  );
}

/** The emails sent (or waiting) about the order, loaded beside the rest of the page. */
function emailsSection(ctx: Ctx, orderId: string) {
  const box = h('div', { id: 'emails-box' }, h('p', { class: 'muted' }, 'Loading emails…'));
  ctx.api.orders.emails(orderId).then(
    (list) =>
      fill(
        box,
        table(
          'emails',
          ['Email', 'To', 'Subject', 'Status', 'Attempts', 'Sent'],
          list.data.map((e) => [
            e.kind.replace(/_/g, ' '),
            e.to,
            e.subject,
            e.last_error ? h('span', { title: e.last_error }, badge(e.status)) : badge(e.status),
            String(e.attempts),
            when(e.sent_at),
          ]),
          'No emails about this order.',
        ),
      ),
    (e) => fill(box, h('p', { class: 'error', role: 'alert' }, describe(e))),
  );
  return box;
}

function table(id: string, heads: string[], rows: Array<Array<Node | string>>, empty: string) {
  return rows.length === 0 ? h('p', { class: 'empty', id }, empty) : listTable(heads, rows, { id });
}

function fulfilForm(ctx: Ctx, o: Detail, done: (o: unknown) => void) {
  const carrier = h('input', { name: 'carrier', required: true, placeholder: 'UPS' });
  const tracking = h('input', { name: 'tracking_number', required: true });
  const trackingUrl = h('input', { name: 'tracking_url', type: 'url', placeholder: 'https://…' });
  const submit = h('button', { type: 'submit' }, 'Mark fulfilled');
  const error = errorSlot();
  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Fulfil order' },
    h('h2', null, 'Fulfil'),
    h(
      'div',
      { class: 'row' },
      field('Carrier', carrier),
      field('Tracking number', tracking),
      field('Tracking URL (optional)', trackingUrl),
    ),
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, error, async () =>
      done(
        await ctx.api.orders.fulfill(o.id, {
          carrier: carrier.value.trim(),
          tracking_number: tracking.value.trim(),
          tracking_url: trackingUrl.value.trim() || undefined,
        }),
      ),
    );
  });
  return form;
}

function refundForm(ctx: Ctx, o: Detail, refundable: number, done: (o: unknown) => void) {
  const amount = h('input', {
    name: 'amount',
    inputmode: 'decimal',
    required: true,
    placeholder: money(refundable, o.currency),
  });
  const reason = h('input', { name: 'reason' });
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Refund');
  const error = errorSlot();
  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Refund' },
    h('h2', null, 'Refund'),
    h('p', { class: 'muted' }, `Up to ${money(refundable, o.currency)} can be refunded.`),
    h('div', { class: 'row' }, field('Amount', amount), field('Reason (optional)', reason)),
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const minor = toMinor(amount.value, o.currency);
    if (!Number.isFinite(minor) || minor <= 0) {
      error.show(new Error('Enter an amount above zero.'));
      return;
    }
    void (async () => {
      if (
        !(await confirmAction(
          `Refund ${money(minor, o.currency)} to ${o.email}? This cannot be undone.`,
          'Refund',
        ))
      )
        return;
      await act(submit, error, async () => {
        const r = await ctx.api.orders.refund(o.id, {
          amount: minor,
          reason: reason.value.trim() || undefined,
        });
        done(r.order);
      });
    })();
  });
  return form;
}

function cancelForm(ctx: Ctx, o: Detail, done: (o: unknown) => void) {
  const reason = h('input', { name: 'cancel_reason' });
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Cancel order');
  const error = errorSlot();
  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Cancel order' },
    h('h2', null, 'Cancel'),
    h('p', { class: 'muted' }, 'Voids or refunds the payment and returns the stock.'),
    field('Reason (optional)', reason),
    submit,
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      if (
        !(await confirmAction(
          'Cancel this order? The payment is voided or refunded and the stock returned.',
          'Cancel order',
        ))
      )
        return;
      await act(submit, error, async () =>
        done(await ctx.api.orders.cancel(o.id, reason.value.trim() || undefined)),
      );
    })();
  });
  return form;
}
