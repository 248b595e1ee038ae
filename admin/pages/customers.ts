import type { Screen } from '../context.ts';
import { badge, fill, h, listTable, money, pagedList, when } from '../ui.ts';

const PAGE = 20;

/** Customers, newest first: a page at a time from the server, searched by email or name prefix. */
export const customersScreen: Screen = (root, ctx) => {
  const params = new URLSearchParams(location.search);
  const q = params.get('q') ?? '';
  const verified =
    params.get('verified') === 'true' || params.get('verified') === 'false' ? params.get('verified')! : '';

  const search = h('input', { name: 'q', type: 'search', value: q, placeholder: 'ann@ or Ann' });
  const verifiedSelect = h(
    'select',
    { name: 'verified' },
    h('option', { value: '' }, 'All'),
    h('option', { value: 'true', selected: verified === 'true' }, 'Verified email'),
    h('option', { value: 'false', selected: verified === 'false' }, 'Not verified'),
  );
  return pagedList(root, ctx, {
    path: '/admin/customers',
    title: 'Customers',
    search: {
      label: 'Search customers',
      submit: 'Search',
      fields: [
        ['Email or name starts with', search],
        ['Email', verifiedSelect],
      ],
    },
    load: (cursor) =>
      ctx.api.customers.list({
        q: q || undefined,
        verified: (verified || undefined) as 'true' | 'false' | undefined,
        cursor,
        limit: PAGE,
      }),
    empty: q || verified ? 'No customers match.' : 'No customers yet.',
    table: (customers) =>
      listTable(
        ['Email', 'Name', 'Email status', 'Since'],
        customers.map((c) => [
          h('a', { href: `/admin/customers/${c.id}` }, c.email),
          c.name ?? '—',
          badge(c.email_verified ? 'verified' : 'unverified'),
          when(c.created_at),
        ]),
        { id: 'customers' },
      ),
  });
};

/** One customer: the account, what they bought (per currency) and their latest orders, linking to each. */
export const customerScreen: Screen = async (root, ctx, params) => {
  const c = await ctx.api.customers.get(params.id!);
  const o = c.orders;
  fill(
    root,
    h('p', null, h('a', { href: '/admin/customers' }, '← Customers')),
    h('h1', null, c.name ? `${c.name} · ${c.email}` : c.email),
    h(
      'dl',
      { class: 'facts', id: 'customer-facts' },
      h('dt', null, 'Email'),
      h('dd', null, c.email, ' ', badge(c.email_verified ? 'verified' : 'unverified')),
      h('dt', null, 'Customer since'),
      h('dd', null, when(c.created_at)),
      h('dt', null, 'Orders'),
      h('dd', { id: 'order-count' }, String(o.count)),
      h('dt', null, 'Total spent'),
      h(
        'dd',
        { id: 'total-spent' },
        o.by_currency.length ? o.by_currency.map((t) => money(t.total_spent, t.currency)).join(' · ') : '—',
      ),
      h('dt', null, 'Last order'),
      h(
        'dd',
        null,
        o.last_order_id ? h('a', { href: `/admin/orders/${o.last_order_id}` }, when(o.last_order_at)) : '—',
      ),
    ),
    h('h2', null, 'Latest orders'),
    o.recent.length === 0
      ? h('p', { class: 'empty' }, 'No orders yet.')
      : listTable(
          ['Order', 'Date', 'Status', 'Total'],
          o.recent.map((r) => [
            h('a', { href: `/admin/orders/${r.id}` }, `#${r.id.slice(-8)}`),
            when(r.created_at),
            badge(r.status),
            h('td', { class: 'num' }, money(r.total, r.currency)),
          ]),
          { id: 'customer-orders' },
        ),
    o.count > o.recent.length
      ? h(
          'p',
          null,
          h(
            'a',
            { href: `/admin/orders?email=${encodeURIComponent(c.email)}` },
            'All orders with this email →',
          ),
        )
      : null,
  );
};
