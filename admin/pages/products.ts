import type { Screen } from '../context.ts';
import { badge, errorSlot, field, fill, h, money } from '../ui.ts';

const STATUSES = ['draft', 'active', 'archived'] as const;

/** Products a page at a time (by status), or a search of the active catalog. */
export const productsScreen: Screen = async (root, ctx) => {
  const params = new URLSearchParams(location.search);
  const q = params.get('q') ?? '';
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '')
    ? (params.get('status') as (typeof STATUSES)[number])
    : undefined;
  const cursor = params.get('cursor') ?? undefined;

  const search = h('input', { name: 'q', type: 'search', value: q, placeholder: 'Title, tag, SKU…' });
  const statusSelect = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)),
  );
  const form = h(
    'form',
    { class: 'row filters', role: 'search', 'aria-label': 'Find products' },
    field('Search', search),
    field('Status', statusSelect),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (search.value.trim()) p.set('q', search.value.trim());
    if (statusSelect.value) p.set('status', statusSelect.value);
    ctx.go(`/admin/products${p.size ? `?${p}` : ''}`);
  });
  const error = errorSlot();
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading products…'));
  fill(
    root,
    h(
      'div',
      { class: 'row', style: 'justify-content:space-between' },
      h('h1', null, 'Products'),
      ctx.canWrite ? h('a', { href: '/admin/products/new', class: 'button' }, 'New product') : null,
    ),
    form,
    error,
    body,
  );

  try {
    if (q) {
      const r = await ctx.api.products.search(q);
      if (r.data.length === 0)
        return fill(body, h('p', { class: 'empty' }, `No active product matches “${q}”.`));
      return fill(
        body,
        h('p', { class: 'muted' }, `${r.facets.total} active product(s) match.`),
        listTable(
          r.data.map((p) => ({
            id: p.id,
            title: p.title,
            status: p.in_stock ? 'active' : 'out of stock',
            price: money(p.price_range.min, p.price_range.currency),
            variants: '—',
          })),
        ),
      );
    }
    const page = await ctx.api.products.list({ status, cursor, limit: 25 });
    if (page.data.length === 0) return fill(body, h('p', { class: 'empty' }, 'No products here yet.'));
    fill(
      body,
      listTable(
        page.data.map((p) => ({
          id: p.id,
          title: p.title,
          status: p.status,
          price:
            p.price_range.min === null
              ? '—'
              : p.price_range.min === p.price_range.max
                ? money(p.price_range.min, p.price_range.currency)
                : `${money(p.price_range.min, p.price_range.currency)} – ${money(p.price_range.max ?? 0, p.price_range.currency)}`,
          variants: String(p.variants.length),
        })),
      ),
      page.has_more && page.next_cursor
        ? h(
            'nav',
            { class: 'row pager', 'aria-label': 'Pages' },
            cursor
              ? h('a', { href: `/admin/products${status ? `?status=${status}` : ''}` }, '← First page')
              : h('span'),
            h(
              'a',
              {
                href: `/admin/products?${new URLSearchParams({ ...(status ? { status } : {}), cursor: page.next_cursor })}`,
                rel: 'next',
              },
              'Next →',
            ),
          )
        : null,
    );
  } catch (e) {
    fill(body);
    error.show(e);
  }
};

function listTable(
  rows: Array<{ id: string; title: string; status: string; price: string; variants: string }>,
) {
  return h(
    'table',
    { class: 'list', id: 'products' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Product', 'Status', 'Price', 'Variants'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          null,
          h('td', null, h('a', { href: `/admin/products/${r.id}` }, r.title)),
          h('td', null, badge(r.status)),
          h('td', null, r.price),
          h('td', { class: 'num' }, r.variants),
        ),
      ),
    ),
  );
}
