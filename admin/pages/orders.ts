import type { Screen } from '../context.ts';
import { badge, h, money, pagedList, when } from '../ui.ts';

const STATUSES = ['pending', 'paid', 'fulfilled', 'completed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const PAGE = 20;

/** Orders, newest first: a page at a time from the server, filtered by status and searched by email. */
export const ordersScreen: Screen = (root, ctx) => {
  const params = new URLSearchParams(location.search);
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as Status)
    : undefined;
  const email = params.get('email') ?? '';

  const statusSelect = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const emailInput = h('input', {
    name: 'email',
    type: 'search',
    value: email,
    placeholder: 'shopper@example.com',
  });
  return pagedList(root, ctx, {
    path: '/admin/orders',
    title: 'Orders',
    search: {
      label: 'Filter orders',
      submit: 'Apply',
      fields: [
        ['Status', statusSelect],
        ['Customer email (exact)', emailInput],
      ],
    },
    load: (cursor) => ctx.api.orders.list({ status, email: email || undefined, cursor, limit: PAGE }),
    empty: status || email ? 'No orders match these filters.' : 'No orders yet.',
    table: (orders) =>
      h(
        'table',
        { class: 'list' },
        h('caption', { class: 'sr-only' }, 'Orders'),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Order', 'Date', 'Customer', 'Status', 'Payment', 'Items', 'Total'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          orders.map((o) =>
            h(
              'tr',
              null,
              h('td', null, h('a', { href: `/admin/orders/${o.id}` }, `#${o.id.slice(-8)}`)),
              h('td', null, when(o.created_at)),
              h('td', null, o.email),
              h('td', null, badge(o.status)),
              h('td', null, badge(o.payment_status)),
              h(
                'td',
                { class: 'num' },
                o.lines.reduce((n, l) => n + l.quantity, 0),
              ),
              h('td', { class: 'num' }, money(o.total, o.currency)),
            ),
          ),
        ),
      ),
  });
};
