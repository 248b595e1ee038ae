import type { InventoryLevel } from '../../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, badge, errorSlot, fill, h, listTable, when } from '../ui.ts';

/** At or below this many units available, a variant counts as low on stock. */
const LOW = 5;

/** Stock of the tracked variants, a page of products at a time: set a count, adjust by a delta, low stock first. */
export const inventoryScreen: Screen = async (root, ctx) => {
  const params = new URLSearchParams(location.search);
  const lowOnly = params.get('low') === '1';
  const cursor = params.get('cursor') ?? undefined;
  const error = errorSlot();
  const toggle = h('input', { type: 'checkbox', id: 'low-only', checked: lowOnly });
  toggle.addEventListener('change', () => ctx.go(`/admin/inventory${toggle.checked ? '?low=1' : ''}`));
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading stock…'));
  fill(
    root,
    h('h1', null, 'Inventory'),
    h(
      'p',
      { class: 'row filters' },
      toggle,
      h('label', { for: 'low-only' }, `Only low stock (${LOW} or fewer available)`),
    ),
    error,
    body,
  );
  const page = await ctx.api.products.list({ cursor, limit: 25 });
  const variants = page.data.flatMap((p) =>
    p.variants
      .filter((v) => v.track_inventory)
      .map((v) => ({ product: p.title, productId: p.id, variant: v })),
  );
  const levels = await Promise.all(variants.map((x) => ctx.api.inventory.get(x.variant.id)));
  let rows = variants.map((x, i) => ({ ...x, level: levels[i]! }));
  if (lowOnly) rows = rows.filter((r) => r.level.available <= LOW);
  rows.sort((a, b) => Number(b.level.available <= LOW) - Number(a.level.available <= LOW));
  fill(
    body,
    rows.length === 0
      ? h('p', { class: 'empty' }, lowOnly ? 'Nothing is low on stock on this page.' : 'No tracked variants.')
      : h(
          'table',
          { class: 'list', id: 'inventory' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Variant',
                'SKU',
                'On hand',
                'Committed',
                'Held',
                'Available',
                ctx.canWrite ? 'Change' : '',
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            rows.map((r) => row(ctx, r)),
          ),
        ),
    page.has_more && page.next_cursor
      ? h(
          'nav',
          { class: 'row pager', 'aria-label': 'Pages' },
          h('span'),
          h(
            'a',
            {
              href: `/admin/inventory?${new URLSearchParams({ ...(lowOnly ? { low: '1' } : {}), cursor: page.next_cursor })}`,
              rel: 'next',
            },
            'Next products →',
          ),
        )
      : null,
  );
};

function row(
  ctx: Ctx,
  r: {
    product: string;
    productId: string;
    variant: { id: string; sku: string; title: string };
    level: InventoryLevel;
  },
) {
  const error = errorSlot();
  const cells = {
    onHand: h('td', { class: 'num' }),
    committed: h('td', { class: 'num' }),
    held: h('td', { class: 'num' }),
    available: h('td', { class: 'num' }),
  };
  const show = (l: InventoryLevel) => {
    fill(cells.onHand, l.on_hand);
    fill(cells.committed, l.committed);
    fill(cells.held, l.held);
    fill(
      cells.available,
      l.available,
      ' ',
      l.available <= 0 ? badge('out') : l.available <= LOW ? badge('low') : null,
    );
  };
  show(r.level);
  const label = r.variant.title.startsWith(r.product) ? r.variant.title : `${r.product} — ${r.variant.title}`;
  let change: HTMLElement | null = null;
  if (ctx.canWrite) {
    const count = h('input', {
      inputmode: 'numeric',
      size: 5,
      'aria-label': `New on-hand count of ${r.variant.sku}`,
    });
    const set = h('button', { type: 'button', class: 'secondary' }, 'Set');
    const delta = h('input', {
      inputmode: 'numeric',
      size: 5,
      'aria-label': `Units to add or remove for ${r.variant.sku}`,
      placeholder: '+10',
    });
    const adjust = h('button', { type: 'button', class: 'secondary' }, 'Adjust');
    set.addEventListener('click', () => {
      const n = Number(count.value);
      if (!Number.isInteger(n) || n < 0 || count.value.trim() === '')
        return error.show(new Error('Enter a whole number, 0 or more.'));
      void act(set, error, async () => show(await ctx.api.inventory.set(r.variant.id, n)));
    });
    adjust.addEventListener('click', () => {
      const n = Number(delta.value.replace('+', ''));
      if (!Number.isInteger(n) || n === 0)
        return error.show(new Error('Enter a whole number of units, like 10 or -2.'));
      void act(adjust, error, async () => show(await ctx.api.inventory.adjust(r.variant.id, n)));
    });
    change = h('td', null, h('div', { class: 'row' }, count, set, delta, adjust), error);
  }
  return h(
    'tr',
    { 'data-sku': r.variant.sku },
    h('td', null, h('a', { href: `/admin/products/${r.productId}` }, label)),
    h(
      'td',
      null,
      h(
        'a',
        { href: `/admin/inventory/${r.variant.id}`, title: 'Stock ledger' },
        h('code', null, r.variant.sku),
      ),
    ),
    cells.onHand,
    cells.committed,
    cells.held,
    cells.available,
    change ?? h('td'),
  );
}

/** One variant's stock ledger, newest first: every set, adjustment and order movement, and who made the manual ones. */
export const movementsScreen: Screen = async (root, ctx, params) => {
  const variantId = params.id!;
  const cursor = new URLSearchParams(location.search).get('cursor') ?? undefined;
  const [level, page] = await Promise.all([
    ctx.api.inventory.get(variantId),
    ctx.api.inventory.movements(variantId, { cursor, limit: 50 }),
  ]);
  const signed = (n: number) => (n > 0 ? `+${n}` : n === 0 ? '' : String(n));
  fill(
    root,
    h('p', null, h('a', { href: '/admin/inventory' }, '← Inventory')),
    h('h1', null, 'Stock ledger'),
    h(
      'p',
      { class: 'muted', id: 'ledger-level' },
      `On hand ${level.on_hand} · committed ${level.committed} · held ${level.held} · available ${level.available}`,
    ),
    page.data.length === 0
      ? h('p', { class: 'empty' }, 'No movements yet.')
      : listTable(
          ['When', 'Reason', 'On hand', 'Committed', 'By', 'Order / note'],
          page.data.map((m) => [
            when(m.created_at),
            badge(m.reason),
            h('td', { class: 'num' }, signed(m.delta_on_hand)),
            h('td', { class: 'num' }, signed(m.delta_committed)),
            m.actor ?? 'system',
            m.reference?.startsWith('ord_')
              ? h('a', { href: `/admin/orders/${m.reference}` }, m.reference)
              : (m.reference ?? m.note ?? ''),
          ]),
          { id: 'movements' },
        ),
    page.has_more && page.next_cursor
      ? h(
          'nav',
          { class: 'row pager', 'aria-label': 'Pages' },
          h('span'),
          h(
            'a',
            { href: `/admin/inventory/${variantId}?cursor=${page.next_cursor}`, rel: 'next' },
            'Older →',
          ),
        )
      : null,
  );
};
