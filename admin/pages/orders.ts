import type { Screen } from '../context.ts';
import { badge, errorSlot, field, fill, h, money, when } from '../ui.ts';

const STATUSES = ['pending', 'paid', 'fulfilled', 'completed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
const PAGE = 20;

/** Orders, newest first: a page at a time from the server, filtered by status and searched by email. */
export const ordersScreen: Screen = async (root, ctx) => {
  const params = new URLSearchParams(location.search);
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as Status)
    : undefined;
  const email = params.get('email') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  // The cursors of the pages before this one, so "Previous" goes back without asking the server for them.
  const back = (params.get('back') ?? '').split(',').filter(Boolean);

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
  const filters = h(
    'form',
    { class: 'row filters', role: 'search', 'aria-label': 'Filter orders' },
    field('Status', statusSelect),
    field('Customer email (exact)', emailInput),
    h('button', { type: 'submit' }, 'Apply'),
  );
  const url = (extra: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    const all = {
      status: statusSelect.value || undefined,
      email: emailInput.value.trim() || undefined,
      ...extra,
    };
    for (const [k, v] of Object.entries(all)) if (v) q.set(k, v);
    const s = q.toString();
    return `/admin/orders${s ? `?${s}` : ''}`;
  };
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.go(url({}));
  });
  statusSelect.addEventListener('change', () => ctx.go(url({})));

  const error = errorSlot();
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading orders…'));
  fill(root, h('h1', null, 'Orders'), filters, error, body);

  let page: Awaited<ReturnType<typeof ctx.api.orders.list>>;
  try {
    page = await ctx.api.orders.list({ status, email: email || undefined, cursor, limit: PAGE });
  } catch (e) {
    fill(body);
    error.show(e);
    return;
  }
  if (page.data.length === 0) {
    fill(
      body,
      h('p', { class: 'empty' }, status || email ? 'No orders match these filters.' : 'No orders yet.'),
    );
    return;
  }
  const table = h(
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
      page.data.map((o) =>
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
  );
  // `-` stands for the first page in the stack of previous cursors.
  const prevCursor = back.at(-1);
  const pager = h(
    'nav',
    { class: 'row pager', 'aria-label': 'Pages' },
    prevCursor
      ? h(
          'a',
          {
            href: url({
              cursor: prevCursor === '-' ? undefined : prevCursor,
              back: back.slice(0, -1).join(',') || undefined,
            }),
            rel: 'prev',
          },
          '← Previous',
        )
      : null,
    page.has_more && page.next_cursor
      ? h(
          'a',
          { href: url({ cursor: page.next_cursor, back: [...back, cursor ?? '-'].join(',') }), rel: 'next' },
          'Next →',
        )
      : null,
  );
  fill(body, table, pager);
};
