import { columnChart, funnelChart } from '../charts.ts';
import type { Screen } from '../context.ts';
import { errorSlot, fill, h, money } from '../ui.ts';

const STEP_NAMES: Record<string, string> = {
  product_viewed: 'Viewed a product',
  product_added: 'Added to cart',
  checkout_started: 'Started checkout',
  order_completed: 'Ordered',
};
const pct = (r: number | null | undefined) =>
  r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Today and the last 30 days: revenue, orders, average order value, conversion; daily charts and the funnel. */
export const overviewScreen: Screen = async (root, ctx) => {
  const error = errorSlot();
  fill(root, h('h1', null, 'Overview'), error, h('p', { class: 'muted' }, 'Loading reports…'));
  const [overview, sales, funnel, top] = await Promise.all([
    ctx.api.reports.overview(),
    ctx.api.reports.sales(),
    ctx.api.reports.funnel(),
    ctx.api.reports.topProducts({ limit: 5 }),
  ]);
  const titles = new Map(
    await Promise.all(
      top.data.map(
        async (p) =>
          [
            p.product_id,
            await ctx.api.products.get(p.product_id).then(
              (x) => x.title,
              () => p.product_id,
            ),
          ] as const,
      ),
    ),
  );
  const currency = overview.last_30_days.sales[0]?.currency ?? sales.totals[0]?.currency ?? 'USD';

  const tiles = (w: typeof overview.today, name: string) => {
    const s = w.sales.find((x) => x.currency === currency);
    return [
      tile(
        `Revenue ${name}`,
        money(s?.revenue ?? 0, currency),
        w.sales.length > 1 ? `and ${w.sales.length - 1} other currencies` : '',
      ),
      tile(`Orders ${name}`, String(s?.orders ?? 0)),
      tile(`Average order ${name}`, money(s?.average_order_value ?? 0, currency)),
      tile(`Conversion ${name}`, pct(w.conversion_rate), `${w.converted_sessions} of ${w.sessions} sessions`),
    ];
  };
  const days = sales.data.filter((d) => d.currency === currency || sales.data.every((x) => x.day !== d.day));
  const byDay = new Map<string, { revenue: number; orders: number }>();
  for (const d of days) byDay.set(d.day, { revenue: d.revenue, orders: d.orders });
  // Every day of the range, zero where nothing sold.
  const series: Array<{ day: string; revenue: number; orders: number }> = [];
  for (
    let t = Date.parse(`${sales.from}T00:00:00Z`);
    t <= Date.parse(`${sales.to}T00:00:00Z`);
    t += 86_400_000
  ) {
    const day = new Date(t).toISOString().slice(0, 10);
    series.push({ day, ...(byDay.get(day) ?? { revenue: 0, orders: 0 }) });
  }
  const stepRows = funnel.total.map((s) => ({
    label: STEP_NAMES[s.step] ?? s.step,
    sessions: s.sessions,
    rate: s.conversion_rate,
  }));
  const first = funnel.total[0]?.sessions ?? 0;
  const last = funnel.total.at(-1)?.sessions ?? 0;

  fill(
    root,
    h('h1', null, 'Overview'),
    h('h2', null, 'Today'),
    h('div', { class: 'tiles', id: 'today' }, tiles(overview.today, 'today')),
    h('h2', null, 'Last 30 days'),
    h('div', { class: 'tiles', id: 'last-30-days' }, tiles(overview.last_30_days, '(30 days)')),
    h(
      'div',
      { class: 'charts' },
      h(
        'figure',
        { class: 'chart' },
        h('h2', null, 'Revenue per day'),
        columnChart(
          series.map((d) => ({ label: dayLabel(d.day), value: d.revenue })),
          {
            label: `Revenue per day, ${sales.from} to ${sales.to}`,
            format: (n) => money(Math.round(n), currency),
          },
        ),
      ),
      h(
        'figure',
        { class: 'chart' },
        h('h2', null, 'Orders per day'),
        columnChart(
          series.map((d) => ({ label: dayLabel(d.day), value: d.orders })),
          {
            label: `Orders per day, ${sales.from} to ${sales.to}`,
            format: (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1)),
            color: '#067647',
          },
        ),
      ),
      h(
        'figure',
        { class: 'chart', id: 'funnel' },
        h('h2', null, 'Funnel (sessions, 30 days)'),
        funnelChart(stepRows, {
          label: `Funnel over 30 days: ${stepRows.map((s) => `${s.label} ${s.sessions}`).join(', ')}`,
        }),
        h(
          'figcaption',
          { class: 'muted' },
          first ? `${pct(last / first)} of sessions that viewed a product ordered.` : 'No funnel events yet.',
        ),
      ),
      h(
        'figure',
        { class: 'chart' },
        h('h2', null, 'Top products'),
        top.data.length === 0
          ? h('p', { class: 'muted' }, 'No product was added to a cart yet.')
          : h(
              'table',
              { class: 'list' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  ['Product', 'Views', 'Adds', 'Orders'].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h(
                'tbody',
                null,
                top.data.map((p) =>
                  h(
                    'tr',
                    null,
                    h(
                      'td',
                      null,
                      h(
                        'a',
                        { href: `/admin/products/${p.product_id}` },
                        titles.get(p.product_id) ?? p.product_id,
                      ),
                    ),
                    h('td', { class: 'num' }, p.views),
                    h('td', { class: 'num' }, p.adds),
                    h('td', { class: 'num' }, p.orders),
                  ),
                ),
              ),
            ),
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      `Daily figures are rebuilt every few minutes; today's tiles are live. Generated ${new Date(overview.generated_at).toLocaleTimeString()}.`,
    ),
  );
};

function tile(label: string, value: string, sub = '') {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );
}
