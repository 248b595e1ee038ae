import type { BulkJob } from '../../packages/sdk/src/admin.ts';
import type { Ctx, Screen } from '../context.ts';
import { act, badge, errorSlot, field, fill, h, when } from '../ui.ts';

const KIND_NAMES: Record<BulkJob['kind'], string> = {
  import_products: 'Product import',
  export_products: 'Product export',
  export_orders: 'Order export',
};

/**
 * Bulk import and export: upload a Shopify product CSV, start CSV exports, and follow the jobs (a progress bar
 * polled while any job runs, bad rows with their line numbers, download links for finished exports).
 */
export const bulkScreen: Screen = async (root, ctx) => {
  const file = h('input', { name: 'file', type: 'file', accept: '.csv,text/csv', required: true });
  const upload = h('button', { type: 'submit', disabled: !ctx.canWrite }, 'Import products');
  const importError = errorSlot();
  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Import products' },
    h('h2', null, 'Import products'),
    h(
      'p',
      { class: 'hint' },
      'A Shopify product CSV (Handle, Title, Option1 Name/Value, Variant SKU, Variant Price, Variant Inventory Qty…). ',
      'The whole file is checked first: if any row is bad, nothing is imported and every bad row is listed by line.',
    ),
    h('div', { class: 'row' }, field('CSV file', file), upload),
    importError,
  );
  const exportError = errorSlot();
  const exportButtons = (['products', 'orders'] as const).map((kind) => {
    const b = h('button', { type: 'button', class: 'secondary', id: `export-${kind}` }, `Export ${kind}`);
    b.addEventListener('click', () => {
      void act(b, exportError, async () => {
        await ctx.api.bulk.export(kind);
        await draw();
      });
    });
    return b;
  });
  const exports = h(
    'section',
    { class: 'panel', 'aria-label': 'Export' },
    h('h2', null, 'Export'),
    h('div', { class: 'row' }, ...exportButtons),
    exportError,
  );
  const list = h('div', { id: 'bulk-jobs' });
  const listError = errorSlot();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    void act(upload, importError, async () => {
      await ctx.api.bulk.importProducts(await chosen.text(), chosen.name);
      form.reset();
      await draw();
    });
  });
  fill(root, h('h1', null, 'Import & export'), form, exports, listError, list);

  let timer: ReturnType<typeof setTimeout> | undefined;
  async function draw() {
    clearTimeout(timer);
    const { data } = await ctx.api.bulk.jobs({ limit: 20 });
    fill(
      list,
      data.length === 0
        ? h('p', { class: 'empty' }, 'No imports or exports yet.')
        : h(
            'table',
            { class: 'list', id: 'bulk' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Job', 'Status', 'Progress', 'Started', 'Result'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h(
              'tbody',
              null,
              data.map((j) => row(ctx, j, listError)),
            ),
          ),
    );
    // Poll while something is queued or running, and only while this page is shown.
    if (data.some((j) => j.status === 'queued' || j.status === 'running')) {
      timer = setTimeout(() => {
        if (list.isConnected) void draw().catch((e) => listError.show(e));
      }, 1000);
    }
  }
  await draw();
};

function row(ctx: Ctx, j: BulkJob, error: ReturnType<typeof errorSlot>) {
  const { done, total } = j.progress;
  const pct = total > 0 ? Math.round((done / total) * 100) : j.status === 'succeeded' ? 100 : 0;
  const bar = h('progress', { max: 100, value: pct, 'aria-label': `Progress of ${j.id}` });
  let result: Node | string = '—';
  if (j.status === 'failed') {
    result = h(
      'ul',
      { class: 'errors' },
      j.errors
        .slice(0, 20)
        .map((e) =>
          h('li', null, e.line === null ? '' : `line ${e.line}: `, e.field ? `${e.field}: ` : '', e.message),
        ),
      j.errors.length > 20 ? h('li', null, `… and ${j.errors.length - 20} more`) : null,
    );
  } else if (j.status === 'succeeded' && j.file_url) {
    const link = h('a', { href: '#', class: 'download' }, `Download ${j.file_name ?? 'CSV'}`);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      void act(null, error, async () => {
        const csv = await ctx.api.bulk.download(j.id);
        const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
        const a = h('a', { href: url, download: j.file_name ?? `${j.id}.csv` });
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      });
    });
    result = h(
      'span',
      null,
      link,
      ` (${Object.entries(j.result ?? {})
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')})`,
    );
  } else if (j.status === 'succeeded') {
    result = Object.entries(j.result ?? {})
      .map(([k, v]) => `${v} ${k.replace('_', ' ')}`)
      .join(', ');
  }
  return h(
    'tr',
    { 'data-job': j.id },
    h('td', null, KIND_NAMES[j.kind], j.file_name ? h('div', { class: 'hint' }, j.file_name) : null),
    h('td', null, badge(j.status)),
    h('td', null, bar, ` ${done}/${total}`),
    h('td', null, when(j.started_at ?? j.created_at)),
    h('td', null, result),
  );
}
