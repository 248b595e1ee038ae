import type { components } from '../../packages/sdk/src/api.d.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, badge, confirmAction, errorSlot, field, fill, h, listTable, money, toMinor } from '../ui.ts';

type S = components['schemas'];
type List<T> = { data: T[] };

/** The store's name, tax rates, shipping rates and coupons. */
export const settingsScreen: Screen = async (root, ctx) => {
  const store = await ctx.api.request<S['Store']>({ method: 'GET', path: '/v1/store' });
  const cur = store.currency;
  const sections = {
    store: h('section', { class: 'panel', id: 'store' }),
    tax: h('section', { class: 'panel', id: 'tax-rates' }),
    shipping: h('section', { class: 'panel', id: 'shipping-rates' }),
    coupons: h('section', { class: 'panel', id: 'coupons' }),
  };
  fill(root, h('h1', null, 'Settings'), Object.values(sections));

  // Store
  const name = h('input', { name: 'store_name', value: store.name, required: true, disabled: !ctx.canWrite });
  const saveName = h('button', { type: 'submit' }, 'Save');
  const storeError = errorSlot();
  const saved = h('span', { class: 'muted', role: 'status' });
  const storeForm = h(
    'form',
    { class: 'row', 'aria-label': 'Store' },
    field('Store name', name),
    h('p', null, `Currency: ${cur}`),
    ctx.canWrite ? saveName : null,
    saved,
  );
  storeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    saved.textContent = '';
    void act(saveName, storeError, async () => {
      await ctx.api.request({ method: 'PATCH', path: '/v1/store', body: { name: name.value.trim() } });
      saved.textContent = 'Saved.';
    });
  });
  fill(
    sections.store,
    h('h2', null, 'Store'),
    storeForm,
    storeError,
    h('p', { class: 'muted' }, `Store ID: ${store.id}`),
  );

  await Promise.all([
    listSection<S['TaxRate']>(sections.tax, ctx, {
      title: 'Tax rates',
      path: '/v1/tax-rates',
      heads: ['Name', 'Country', 'Region', 'Rate', 'On shipping'],
      cells: (r) => [
        r.name,
        r.country,
        r.region ?? '—',
        `${(r.rate / 100).toFixed(2)}%`,
        r.applies_to_shipping ? 'yes' : 'no',
      ],
      label: (r) => `${r.name} (${r.country})`,
      inputs: () => {
        const n = h('input', { required: true, placeholder: 'VAT' });
        const country = h('input', { required: true, placeholder: 'DE', size: 4 });
        const rate = h('input', { required: true, inputmode: 'decimal', placeholder: '19', size: 6 });
        return {
          fields: [field('Tax name', n), field('Country', country), field('Rate (%)', rate)],
          body: () => ({
            name: n.value.trim(),
            country: country.value.trim().toUpperCase(),
            region: null,
            rate: Math.round(Number(rate.value) * 100),
            applies_to_shipping: false,
          }),
        };
      },
    }),
    listSection<S['ShippingRate']>(sections.shipping, ctx, {
      title: 'Shipping rates',
      path: '/v1/shipping-rates',
      heads: ['Name', 'Countries', 'Price', 'Free above'],
      cells: (r) => [
        r.name,
        r.countries.join(', '),
        money(r.amount, cur),
        r.free_above === null ? '—' : money(r.free_above, cur),
      ],
      label: (r) => r.name,
      inputs: () => {
        const n = h('input', { required: true, placeholder: 'Standard' });
        const countries = h('input', { required: true, value: '*', size: 10 });
        const amount = h('input', { required: true, inputmode: 'decimal', placeholder: '5.00', size: 8 });
        return {
          fields: [
            field('Shipping name', n),
            field('Countries (* for all)', countries),
            field(`Price (${cur})`, amount),
          ],
          body: () => ({
            name: n.value.trim(),
            countries: countries.value
              .split(',')
              .map((c) => c.trim().toUpperCase())
              .filter(Boolean),
            amount: toMinor(amount.value, cur),
            weight_bands: [],
            free_above: null,
          }),
        };
      },
    }),
    listSection<S['Coupon']>(sections.coupons, ctx, {
      title: 'Coupons',
      path: '/v1/coupons',
      heads: ['Code', 'Discount', 'Used', 'Status'],
      cells: (c) => [
        h('code', null, c.code),
        c.kind === 'percent' ? `${c.value}%` : c.kind === 'fixed' ? money(c.value, cur) : 'Free shipping',
        `${c.used_count}${c.usage_limit ? ` / ${c.usage_limit}` : ''}`,
        badge(c.active ? 'active' : 'inactive'),
      ],
      label: (c) => c.code,
      inputs: () => {
        const code = h('input', { required: true, placeholder: 'WELCOME10', size: 12 });
        const kind = h(
          'select',
          null,
          h('option', { value: 'percent' }, 'Percent off'),
          h('option', { value: 'fixed' }, `Amount off (${cur})`),
          h('option', { value: 'free_shipping' }, 'Free shipping'),
        );
        const value = h('input', { inputmode: 'decimal', placeholder: '10', size: 6 });
        return {
          fields: [field('Code', code), field('Kind', kind), field('Value', value)],
          body: () => ({
            code: code.value.trim(),
            kind: kind.value,
            value:
              kind.value === 'fixed'
                ? toMinor(value.value, cur)
                : kind.value === 'percent'
                  ? Number(value.value)
                  : 0,
          }),
        };
      },
    }),
  ]);
};

async function listSection<T extends { id: string }>(
  box: HTMLElement,
  ctx: Ctx,
  o: {
    title: string;
    path: string;
    heads: string[];
    cells: (row: T) => Array<Node | string>;
    label: (row: T) => string;
    inputs: () => { fields: HTMLElement[]; body: () => unknown };
  },
) {
  const error = errorSlot();
  const list = h('div');
  let form: HTMLFormElement | null = null;
  if (ctx.canWrite) {
    const { fields, body } = o.inputs();
    const add = h('button', { type: 'submit' }, 'Add');
    form = h('form', { class: 'row', 'aria-label': `Add to ${o.title.toLowerCase()}` }, fields, add);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(add, error, async () => {
        await ctx.api.request({ method: 'POST', path: o.path, body: body() });
        form?.reset();
        await draw();
      });
    });
  }
  fill(box, h('h2', null, o.title), form, error, list);
  async function draw() {
    const { data } = await ctx.api.request<List<T>>({ method: 'GET', path: o.path, query: { limit: 100 } });
    if (data.length === 0) return fill(list, h('p', { class: 'empty' }, 'None yet.'));
    fill(
      list,
      listTable(
        [...o.heads, ''],
        data.map((row) => {
          const del = ctx.canWrite ? h('button', { type: 'button', class: 'secondary' }, 'Delete') : null;
          del?.addEventListener('click', () => {
            void (async () => {
              if (!(await confirmAction(`Delete ${o.label(row)}?`, 'Delete'))) return;
              await act(del, error, async () => {
                await ctx.api.request({
                  method: 'DELETE',
                  path: `${o.path}/${encodeURIComponent(row.id)}`,
                });
                await draw();
              });
            })();
          });
          return [...o.cells(row), del];
        }),
      ),
    );
  }
  await draw();
}
