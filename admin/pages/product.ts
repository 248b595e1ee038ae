import type { AdminProduct } from '../../packages/sdk/src/admin.ts';
import { CrowdstartError } from '../../packages/sdk/src/errors.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, confirmAction, describe, errorSlot, field, fill, h, money, toMinor, when } from '../ui.ts';

interface OptionRow {
  name: string;
  values: string;
}
interface VariantRow {
  id?: string;
  optionValues: Record<string, string>;
  sku: string;
  price: string;
  stock: string;
  /** What was read, to send only what changed. */
  was?: { sku: string; price: number; optionValues: Record<string, string>; stock: number | null };
}

const STATUSES = ['draft', 'active', 'archived'] as const;
const isConflict = (e: unknown) =>
  e instanceof CrowdstartError && (e.code === 'VERSION_CONFLICT' || e.status === 412);

/** Create (`/admin/products/new`) or edit a product: details, options, variants with price and stock. */
export const productScreen: Screen = async (root, ctx, { id }) => {
  if (id === 'new') return editor(root, ctx, null, new Map());
  fill(root, h('p', { class: 'muted' }, 'Loading product…'));
  const [product, stock] = await load(ctx, id!);
  editor(root, ctx, product, stock);
};

async function load(ctx: Ctx, id: string): Promise<[AdminProduct, Map<string, number | null>]> {
  const product = await ctx.api.products.get(id);
  const levels = await Promise.all(
    product.variants.map(async (v) =>
      v.track_inventory
        ? ([v.id, (await ctx.api.inventory.get(v.id)).on_hand] as const)
        : ([v.id, null] as const),
    ),
  );
  return [product, new Map(levels)];
}

function editor(
  root: HTMLElement,
  ctx: Ctx,
  product: AdminProduct | null,
  stock: Map<string, number | null>,
) {
  const currency = product?.price_range.currency ?? 'USD';
  const readOnly = !ctx.canWrite;
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const fmt = (minor: number) => (minor / 10 ** digits).toFixed(digits);

  const options: OptionRow[] = (product?.options ?? []).map((o) => ({
    name: o.name,
    values: o.values.join(', '),
  }));
  const rows: VariantRow[] = (product?.variants ?? []).map((v) => ({
    id: v.id,
    optionValues: { ...v.option_values },
    sku: v.sku,
    price: fmt(v.price),
    stock: stock.get(v.id)?.toString() ?? '',
    was: { sku: v.sku, price: v.price, optionValues: { ...v.option_values }, stock: stock.get(v.id) ?? null },
  }));
  if (!product) rows.push({ optionValues: {}, sku: '', price: '', stock: '' });

  const title = h('input', {
    name: 'title',
    required: true,
    value: product?.title ?? '',
    disabled: readOnly,
  });
  const status = h(
    'select',
    { name: 'status', disabled: readOnly },
    STATUSES.map((s) => h('option', { value: s, selected: s === (product?.status ?? 'draft') }, s)),
  );
  const description = h('textarea', { name: 'description', disabled: readOnly });
  description.value = product?.description ?? '';
  const tags = h('input', { name: 'tags', value: (product?.tags ?? []).join(', '), disabled: readOnly });

  const optionsBox = h('div', { class: 'stack' });
  const variantsBox = h('div');
  const error = errorSlot();
  const conflictBox = h('div', { role: 'alert' });
  const notice = h('p', { class: 'notice', role: 'status', hidden: true });
  const save = h('button', { type: 'submit' }, product ? 'Save' : 'Create product');

  const names = () => options.map((o) => o.name.trim()).filter(Boolean);

  function drawOptions() {
    fill(
      optionsBox,
      options.map((o, i) => {
        const name = h('input', {
          value: o.name,
          'aria-label': `Option ${i + 1} name`,
          placeholder: 'Size',
          disabled: readOnly,
        });
        const values = h('input', {
          value: o.values,
          'aria-label': `Option ${i + 1} values`,
          placeholder: 'S, M, L',
          disabled: readOnly,
        });
        name.addEventListener('change', () => {
          o.name = name.value;
          drawVariants();
        });
        values.addEventListener('change', () => (o.values = values.value));
        const remove = h('button', { type: 'button', class: 'secondary', disabled: readOnly }, 'Remove');
        remove.addEventListener('click', () => {
          options.splice(i, 1);
          drawOptions();
          drawVariants();
        });
        return h(
          'div',
          { class: 'row' },
          field('Option', name),
          field('Values (comma separated)', values),
          remove,
        );
      }),
      readOnly
        ? null
        : h(
            'div',
            { class: 'row' },
            button('Add option', options.length >= 3, () => {
              options.push({ name: '', values: '' });
              drawOptions();
            }),
            button('Make a variant for each combination', false, generate),
          ),
    );
  }

  function generate() {
    const opts = options
      .map((o) => ({
        name: o.name.trim(),
        values: o.values
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      }))
      .filter((o) => o.name && o.values.length);
    let combos: Array<Record<string, string>> = [{}];
    for (const o of opts) combos = combos.flatMap((c) => o.values.map((v) => ({ ...c, [o.name]: v })));
    const base = (title.value.trim() || 'SKU')
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '-')
      .slice(0, 20);
    const key = (ov: Record<string, string>) => JSON.stringify(Object.entries(ov).sort());
    const existing = new Set(rows.map((r) => key(r.optionValues)));
    // Replace the one empty row a new product starts with.
    if (rows.length === 1 && !rows[0]!.id && !rows[0]!.sku) rows.length = 0;
    for (const c of combos) {
      if (existing.has(key(c))) continue;
      rows.push({
        optionValues: c,
        sku: [base, ...Object.values(c)].join('-').toUpperCase(),
        price: rows[0]?.price ?? '',
        stock: '',
      });
    }
    drawVariants();
  }

  function drawVariants() {
    const cols = names();
    fill(
      variantsBox,
      h(
        'table',
        { class: 'list variants', id: 'variants' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [...cols, 'SKU', `Price (${currency})`, 'Stock on hand', ''].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          rows.map((r, i) => {
            const cell = (
              label: string,
              value: string,
              set: (v: string) => void,
              extra: Record<string, string> = {},
            ) => {
              const input = h('input', {
                value,
                'aria-label': `${label}, variant ${i + 1}`,
                disabled: readOnly,
                ...extra,
              });
              input.addEventListener('input', () => set(input.value));
              return h('td', null, input);
            };
            const remove = h('button', { type: 'button', class: 'secondary', disabled: readOnly }, 'Remove');
            remove.addEventListener('click', () => void removeVariant(r, i));
            return h(
              'tr',
              null,
              cols.map((c) => cell(c, r.optionValues[c] ?? '', (v) => (r.optionValues[c] = v))),
              cell('SKU', r.sku, (v) => (r.sku = v)),
              cell('Price', r.price, (v) => (r.price = v), { inputmode: 'decimal' }),
              cell('Stock', r.stock, (v) => (r.stock = v), { inputmode: 'numeric' }),
              h('td', null, remove),
            );
          }),
        ),
      ),
      readOnly
        ? null
        : button('Add variant', false, () => {
            rows.push({ optionValues: {}, sku: '', price: rows.at(-1)?.price ?? '', stock: '' });
            drawVariants();
          }),
    );
  }

  async function removeVariant(r: VariantRow, i: number) {
    if (!r.id) {
      rows.splice(i, 1);
      return drawVariants();
    }
    if (!(await confirmAction(`Delete variant ${r.sku}? Its stock record goes with it.`, 'Delete variant')))
      return;
    await act(null, error, async () => {
      await ctx.api.products.removeVariant(r.id!);
      rows.splice(i, 1);
      drawVariants();
    });
  }

  const optionsInput = () =>
    options
      .map((o) => ({
        name: o.name.trim(),
        values: o.values
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      }))
      .filter((o) => o.name && o.values.length);
  const valuesOf = (r: VariantRow) =>
    Object.fromEntries(
      names()
        .map((n) => [n, (r.optionValues[n] ?? '').trim()])
        .filter(([, v]) => v),
    );
  function priceOf(r: VariantRow) {
    const p = toMinor(r.price, currency);
    if (!Number.isFinite(p) || p < 0) throw new Error(`Enter a price for variant ${r.sku || '(no SKU)'}.`);
    return p;
  }
  function stockOf(r: VariantRow): number | null {
    if (r.stock.trim() === '') return null;
    const n = Number(r.stock);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`Stock of ${r.sku} must be a whole number, 0 or more.`);
    return n;
  }
  const details = () => ({
    title: title.value.trim(),
    status: status.value as (typeof STATUSES)[number],
    description: description.value,
    tags: tags.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    options: optionsInput(),
  });

  async function create() {
    const variants = rows.map((r) => ({
      sku: r.sku.trim(),
      price: priceOf(r),
      option_values: valuesOf(r),
      track_inventory: true,
    }));
    const stocks = rows.map(stockOf);
    const p = await ctx.api.products.create({ ...details(), variants });
    for (const [i, v] of p.variants.entries()) {
      const n = stocks[rows.findIndex((r) => r.sku.trim() === v.sku)] ?? stocks[i];
      if (n !== null && n !== undefined) await ctx.api.inventory.set(v.id, n);
    }
    ctx.go(`/admin/products/${p.id}?saved=1`);
  }

  /** Saves the details with the version read (`undefined`: over whatever is stored), then the variants. */
  async function update(version: number | undefined) {
    const p = product!;
    await ctx.api.products.update(p.id, version ?? (await ctx.api.products.get(p.id)).version, details());
    for (const r of rows) {
      const price = priceOf(r);
      const ov = valuesOf(r);
      const n = stockOf(r);
      let id = r.id;
      if (!id) {
        id = (
          await ctx.api.products.addVariant(p.id, {
            sku: r.sku.trim(),
            price,
            option_values: ov,
            track_inventory: true,
          })
        ).id;
      } else if (
        r.was &&
        (r.was.sku !== r.sku.trim() ||
          r.was.price !== price ||
          JSON.stringify(r.was.optionValues) !== JSON.stringify(ov))
      ) {
        await ctx.api.products.updateVariant(id, undefined, { sku: r.sku.trim(), price, option_values: ov });
      }
      if (n !== null && n !== (r.was?.stock ?? null)) await ctx.api.inventory.set(id, n);
    }
    const [fresh, levels] = await load(ctx, p.id);
    editor(root, ctx, fresh, levels);
    const shown = root.querySelector<HTMLElement>('.notice');
    if (shown) {
      shown.textContent = 'Saved.';
      shown.hidden = false;
    }
  }

  function showConflict() {
    const reload = h('button', { type: 'button', class: 'secondary' }, 'Reload (discard my changes)');
    const overwrite = h('button', { type: 'button', class: 'danger' }, 'Overwrite with my changes');
    reload.addEventListener('click', () => {
      void (async () => {
        const [fresh, levels] = await load(ctx, product!.id);
        editor(root, ctx, fresh, levels);
      })();
    });
    overwrite.addEventListener('click', () => {
      void (async () => {
        if (
          !(await confirmAction(
            'Replace the saved product with your version? The other changes are lost.',
            'Overwrite',
          ))
        )
          return;
        fill(conflictBox);
        await act(overwrite, error, () => update(undefined));
      })();
    });
    fill(
      conflictBox,
      h(
        'div',
        { class: 'conflict', id: 'conflict' },
        h('strong', null, 'Someone else saved this product after you opened it. '),
        h('span', null, 'Reload to see their version, or overwrite it with yours.'),
        h('div', { class: 'row' }, reload, overwrite),
      ),
    );
  }

  const form = h(
    'form',
    { class: 'stack', 'aria-label': product ? 'Edit product' : 'New product' },
    h(
      'section',
      { class: 'panel stack' },
      field('Title', title),
      h('div', { class: 'row' }, field('Status', status), field('Tags (comma separated)', tags)),
      field('Description', description),
    ),
    h('section', { class: 'panel' }, h('h2', null, 'Options'), optionsBox),
    h('section', { class: 'panel' }, h('h2', null, 'Variants'), variantsBox),
    readOnly ? null : h('div', { class: 'row' }, save),
    conflictBox,
    error,
    notice,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fill(conflictBox);
    void act(save, error, async () => {
      try {
        await (product ? update(product.version) : create());
      } catch (err) {
        if (isConflict(err)) return showConflict();
        throw err;
      }
    });
  });

  const del =
    product && ctx.canWrite ? h('button', { type: 'button', class: 'danger' }, 'Delete product') : null;
  const delError = errorSlot();
  del?.addEventListener('click', () => {
    void (async () => {
      if (
        !(await confirmAction(
          `Delete “${product!.title}” and its variants? This cannot be undone.`,
          'Delete product',
        ))
      )
        return;
      if (await act(del, delError, () => ctx.api.products.remove(product!.id))) ctx.go('/admin/products');
    })();
  });

  drawOptions();
  drawVariants();
  fill(
    root,
    h('p', null, h('a', { href: '/admin/products' }, '← Products')),
    h('h1', null, product ? product.title : 'New product'),
    product
      ? h(
          'p',
          { class: 'muted' },
          `Version ${product.version} · ${product.variants.length} variant(s) · from ${money(product.price_range.min ?? 0, currency)}`,
        )
      : null,
    form,
    product ? historySection(ctx, product.id) : null,
    del
      ? h(
          'section',
          { class: 'panel', style: 'margin-top:1.5rem' },
          h('h2', null, 'Danger zone'),
          del,
          delError,
        )
      : null,
  );
  if (new URLSearchParams(location.search).has('saved') && product) {
    notice.textContent = 'Saved.';
    notice.hidden = false;
  }
}

const ACTIONS: Record<string, string> = {
  'product.created': 'Created the product',
  'product.updated': 'Edited the product',
  'product.deleted': 'Deleted the product',
  'variant.created': 'Added a variant',
  'variant.updated': 'Edited a variant',
  'variant.deleted': 'Removed a variant',
  'collection.product_added': 'Added to a collection',
};

/**
 * Who changed the product, newest first. `staff:<id>` is shown as the person's email: the owner sees every
 * staff user's (the staff list is theirs), others see their own.
 */
function historySection(ctx: Ctx, productId: string) {
  const list = h('ol', { class: 'timeline', id: 'product-history' }, h('li', { class: 'muted' }, 'Loading…'));
  const me = ctx.session.user;
  void Promise.all([
    ctx.api.products.history(productId, { limit: 50 }),
    ctx.isOwner ? ctx.api.staff.list().catch(() => null) : Promise.resolve(null),
  ]).then(
    ([entries, staff]) => {
      const emails = new Map<string, string>([[me.id, me.email]]);
      for (const u of staff?.data ?? []) emails.set(u.id, u.email);
      const who = (actor: string) => {
        const [kind, actorId] = actor.split(':');
        if (kind === 'staff') return emails.get(actorId ?? '') ?? `staff ${actorId}`;
        if (kind === 'key') return `API key ${actorId}`;
        return 'the system';
      };
      fill(
        list,
        entries.data.length === 0
          ? h('li', { class: 'muted' }, 'No changes recorded.')
          : entries.data.map((e) =>
              h(
                'li',
                null,
                h('time', { datetime: e.created_at }, when(e.created_at)),
                ' ',
                h('strong', null, ACTIONS[e.action] ?? e.action),
                h('span', { class: 'muted' }, ` by ${who(e.actor)}`),
              ),
            ),
      );
    },
    (e) => fill(list, h('li', { class: 'error', role: 'alert' }, describe(e))),
  );
  return h('section', { class: 'panel', style: 'margin-top:1.5rem' }, h('h2', null, 'History'), list);
}

function button(label: string, disabled: boolean, onClick: () => void) {
  const b = h('button', { type: 'button', class: 'secondary', disabled }, label);
  b.addEventListener('click', onClick);
  return b;
}
