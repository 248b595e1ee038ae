import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { formatMinor, parseMinor } from '../../shared/money.ts';

/**
 * Pure rules of bulk import and export: the Shopify product CSV read into our product model (with every bad
 * row named by its line in the file), and products and orders written back as CSV. No database, no clock.
 */

/** One bad cell or row: `line` is the 1-based line of the file where the row starts. */
export interface RowError {
  line: number;
  field: string | null;
  message: string;
}

export interface ImportVariant {
  line: number;
  sku: string;
  price: number;
  compareAtPrice: number | null;
  optionValues: Record<string, string>;
  weightGrams: number;
  trackInventory: boolean;
  allowBackorder: boolean;
  onHand: number;
}

export interface ImportProduct {
  /** The line of the product's first row. */
  line: number;
  /** The CSV rows the product spans (progress counts them). */
  rows: number;
  handle: string;
  title: string;
  description: string;
  status: 'draft' | 'active' | 'archived';
  tags: string[];
  metadata: Record<string, string>;
  images: { url: string; alt: string | null }[];
  options: { name: string; values: string[] }[];
  variants: ImportVariant[];
}

export interface ParsedImport {
  products: ImportProduct[];
  /** Data rows in the file (the header excluded). */
  rows: number;
  errors: RowError[];
}

/** At most this many errors are kept: a wholly wrong file must not make a megabyte of them. */
export const MAX_ERRORS = 200;

/** The columns of Shopify's product CSV that we read; others (SEO, Google Shopping, …) are ignored. */
export const SHOPIFY_COLUMNS = [
  'Handle',
  'Title',
  'Body (HTML)',
  'Vendor',
  'Type',
  'Tags',
  'Published',
  'Option1 Name',
  'Option1 Value',
  'Option2 Name',
  'Option2 Value',
  'Option3 Name',
  'Option3 Value',
  'Variant SKU',
  'Variant Grams',
  'Variant Inventory Tracker',
  'Variant Inventory Qty',
  'Variant Inventory Policy',
  'Variant Price',
  'Variant Compare At Price',
  'Image Src',
  'Image Alt Text',
  'Status',
] as const;

const HANDLE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_PRICE = 100_000_000_000;
const MAX_QTY = 2_147_483_647;
const OPTION_SLOTS = [1, 2, 3] as const;

type Row = Record<string, string>;

interface LocatedRow {
  line: number;
  cells: Row;
}

/** Rows with the line each starts on (a quoted field may span lines: the parser's raw text tells how many). */
function readRows(text: string): { rows: LocatedRow[]; header: string[] } | RowError {
  let header: string[] = [];
  try {
    const records = parse(text, {
      bom: true,
      columns: (h: string[]) => {
        header = h.map((c) => c.trim());
        return header;
      },
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as { record: Row; info: { lines: number }; raw: string }[];
    const rows = records.map(({ record, info, raw }) => {
      const body = raw.replace(/^(\r?\n)+/, '').replace(/\r?\n$/, '');
      return { line: info.lines - (body.match(/\n/g)?.length ?? 0), cells: record };
    });
    return { rows, header };
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines ?? 1;
      return { line, field: null, message: `The file is not valid CSV: ${e.message}` };
    }
    throw e;
  }
}

const cell = (row: Row, name: string) => (row[name] ?? '').trim();

function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return null;
}

function parseCount(value: string, max: number): number | null {
  if (!/^\d+$/.test(value)) return null;
  const n = Number(value);
  return n <= max ? n : null;
}

/** A row that only adds an image to its product (Shopify writes extra images as rows of their own). */
function isImageOnly(row: Row): boolean {
  return (
    cell(row, 'Image Src') !== '' &&
    cell(row, 'Variant Price') === '' &&
    cell(row, 'Variant SKU') === '' &&
    cell(row, 'Option1 Value') === ''
  );
}

/**
 * Reads a Shopify product CSV into products for a store of `currency`. Rows with the same Handle are one
 * product (its first row carries Title and the product fields; each row with a price is a variant; rows with
 * only Image Src add images). `Title`/`Default Title` as the only option means a product without options.
 * Every problem is collected with its line; `errors` empty means every product is whole.
 */
export function parseShopifyProducts(text: string, currency: string): ParsedImport {
  const read = readRows(text);
  if (!('rows' in read)) return { products: [], rows: 0, errors: [read] };
  const { rows, header } = read;
  const errors: RowError[] = [];
  const fail = (line: number, field: string | null, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ line, field, message });
  };
  for (const required of ['Handle', 'Variant Price']) {
    if (!header.includes(required)) fail(1, required, `The header has no "${required}" column.`);
  }
  if (errors.length) return { products: [], rows: rows.length, errors };
  if (rows.length === 0) {
    return { products: [], rows: 0, errors: [{ line: 1, field: null, message: 'The file has no rows.' }] };
  }

  const byHandle = new Map<string, LocatedRow[]>();
  for (const r of rows) {
    const handle = cell(r.cells, 'Handle');
    if (!handle) {
      fail(r.line, 'Handle', 'Handle is required on every row.');
      continue;
    }
    if (!HANDLE.test(handle) || handle.length > 120) {
      fail(r.line, 'Handle', `"${handle}" is not a handle: lowercase letters, digits and single dashes.`);
      continue;
    }
    const group = byHandle.get(handle);
    if (group) group.push(r);
    else byHandle.set(handle, [r]);
  }

  const products: ImportProduct[] = [];
  const skuLines = new Map<string, number>();
  for (const [handle, group] of byHandle) {
    const product = readProduct(handle, group, currency, fail);
    if (!product) continue;
    for (const v of product.variants) {
      const first = skuLines.get(v.sku);
      if (first !== undefined) {
        fail(v.line, 'Variant SKU', `SKU "${v.sku}" is already used on line ${first}.`);
      } else skuLines.set(v.sku, v.line);
    }
    products.push(product);
  }
  errors.sort((a, b) => a.line - b.line);
  return { products: errors.length ? [] : products, rows: rows.length, errors };
}

function readProduct(
  handle: string,
  group: LocatedRow[],
  currency: string,
  fail: (line: number, field: string | null, message: string) => void,
): ImportProduct | null {
  const head = group[0]!;
  const h = head.cells;
  let ok = true;
  const bad = (line: number, field: string | null, message: string) => {
    ok = false;
    fail(line, field, message);
  };

  const title = cell(h, 'Title');
  if (!title) bad(head.line, 'Title', `The first row of "${handle}" needs a Title.`);
  else if (title.length > 200) bad(head.line, 'Title', 'Title is longer than 200 characters.');
  const description = h['Body (HTML)'] ?? '';
  if (description.length > 20_000)
    bad(head.line, 'Body (HTML)', 'Body (HTML) is longer than 20000 characters.');

  let status: ImportProduct['status'] = 'active';
  const statusCell = cell(h, 'Status').toLowerCase();
  const published = cell(h, 'Published');
  if (statusCell) {
    if (statusCell === 'active' || statusCell === 'draft' || statusCell === 'archived') status = statusCell;
    else bad(head.line, 'Status', `Status must be active, draft or archived (got "${cell(h, 'Status')}").`);
  } else if (published) {
    const p = parseBoolean(published);
    if (p === null) bad(head.line, 'Published', `Published must be TRUE or FALSE (got "${published}").`);
    else status = p ? 'active' : 'draft';
  }

  const tags = [
    ...new Set(
      cell(h, 'Tags')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  if (tags.length > 50) bad(head.line, 'Tags', 'At most 50 tags.');
  const longTag = tags.find((t) => t.length > 64);
  if (longTag) bad(head.line, 'Tags', `Tag "${longTag.slice(0, 20)}…" is longer than 64 characters.`);

  const metadata: Record<string, string> = {};
  for (const [column, key] of [
    ['Vendor', 'vendor'],
    ['Type', 'type'],
  ] as const) {
    const v = cell(h, column);
    if (v.length > 500) bad(head.line, column, `${column} is longer than 500 characters.`);
    else if (v) metadata[key] = v;
  }

  // Option names come from the first row; "Title" with "Default Title" is Shopify's product without options.
  const names: string[] = [];
  for (const n of OPTION_SLOTS) {
    const name = cell(h, `Option${n} Name`);
    if (name) names.push(name);
  }
  const noOptions =
    names.length === 1 && names[0] === 'Title' && cell(h, 'Option1 Value') === 'Default Title';
  const optionNames = noOptions ? [] : names;
  if (new Set(optionNames.map((n) => n.toLowerCase())).size !== optionNames.length) {
    bad(head.line, 'Option1 Name', 'Two options have the same name.');
  }
  const longName = optionNames.find((n) => n.length > 50);
  if (longName)
    bad(head.line, 'Option1 Name', `Option name "${longName.slice(0, 20)}…" is longer than 50 characters.`);

  const images: ImportProduct['images'] = [];
  const seenImages = new Set<string>();
  const variants: ImportVariant[] = [];
  const combos = new Map<string, number>();
  let variantRows = 0;
  for (const r of group) {
    const c = r.cells;
    const src = cell(c, 'Image Src');
    if (src && !seenImages.has(src)) {
      if (!/^https?:\/\/\S+$/i.test(src) || src.length > 2048) {
        bad(r.line, 'Image Src', 'Image Src must be an http(s) URL of at most 2048 characters.');
      } else {
        seenImages.add(src);
        images.push({ url: src, alt: cell(c, 'Image Alt Text') || null });
      }
    }
    if (r !== head && isImageOnly(c)) continue;
    if (r !== head && cell(c, 'Title') && cell(c, 'Title') !== title) {
      bad(r.line, 'Title', `Handle "${handle}" already started on line ${head.line} with another Title.`);
    }
    variantRows++;
    const optionValues: Record<string, string> = {};
    OPTION_SLOTS.forEach((n, i) => {
      const value = cell(c, `Option${n} Value`);
      const name = optionNames[i];
      if (noOptions) return;
      if (name === undefined) {
        if (value)
          bad(r.line, `Option${n} Value`, `The product has no Option${n} Name on line ${head.line}.`);
        return;
      }
      if (!value) bad(r.line, `Option${n} Value`, `A value for option "${name}" is required.`);
      else if (value.length > 100)
        bad(r.line, `Option${n} Value`, 'An option value is at most 100 characters.');
      else optionValues[name] = value;
    });
    const key = JSON.stringify(optionNames.map((n) => optionValues[n]));
    const twin = combos.get(key);
    if (twin !== undefined && Object.keys(optionValues).length === optionNames.length) {
      bad(r.line, 'Option1 Value', `Line ${twin} already has these option values for "${handle}".`);
    } else combos.set(key, r.line);

    const variant = readVariant(r, handle, variants.length, optionNames, optionValues, currency, bad);
    if (variant) variants.push(variant);
  }
  if (variantRows === 0) bad(head.line, 'Variant Price', `"${handle}" has no variant row (with a price).`);
  if (variantRows > 100) bad(group[100]!.line, null, 'A product has at most 100 variants.');
  if (images.length > 50) bad(head.line, 'Image Src', 'A product has at most 50 images.');
  if (!ok) return null;

  const options = optionNames.map((name) => ({
    name,
    values: [...new Set(variants.map((v) => v.optionValues[name]!))],
  }));
  return {
    line: head.line,
    rows: group.length,
    handle,
    title,
    description,
    status,
    tags,
    metadata,
    images,
    options,
    variants,
  };
}

function readVariant(
  r: LocatedRow,
  handle: string,
  index: number,
  optionNames: string[],
  optionValues: Record<string, string>,
  currency: string,
  bad: (line: number, field: string | null, message: string) => void,
): ImportVariant | null {
  const c = r.cells;
  let ok = true;
  const fail = (field: string, message: string) => {
    ok = false;
    bad(r.line, field, message);
  };
  // A blank SKU (common in Shopify exports) becomes the handle and the variant's position: unique in the file.
  const sku = cell(c, 'Variant SKU') || (index === 0 ? handle : `${handle}-${index + 1}`);
  if (sku.length > 64 || !SKU.test(sku)) {
    fail(
      'Variant SKU',
      `SKU "${sku.slice(0, 70)}" must be at most 64 letters, digits, dots, dashes or underscores.`,
    );
  }
  const priceText = cell(c, 'Variant Price');
  const price = priceText ? parseMinor(priceText, currency) : null;
  if (!priceText) fail('Variant Price', 'Variant Price is required.');
  else if (price === null || price > MAX_PRICE) {
    fail(
      'Variant Price',
      `"${priceText}" is not a price in ${currency} (e.g. ${formatMinor(1999, currency)}).`,
    );
  }
  const compareText = cell(c, 'Variant Compare At Price');
  const compareAtPrice = compareText ? parseMinor(compareText, currency) : null;
  if (compareText && (compareAtPrice === null || compareAtPrice > MAX_PRICE)) {
    fail('Variant Compare At Price', `"${compareText}" is not a price in ${currency}.`);
  }
  const gramsText = cell(c, 'Variant Grams');
  // Shopify writes grams as "200.0" at times: a whole number with a zero fraction is accepted.
  const grams = gramsText ? parseCount(gramsText.replace(/\.0*$/, ''), 10_000_000) : 0;
  if (grams === null)
    fail('Variant Grams', `"${gramsText}" is not a whole number of grams from 0 to 10000000.`);
  const qtyText = cell(c, 'Variant Inventory Qty');
  const onHand = qtyText ? parseCount(qtyText, MAX_QTY) : 0;
  if (onHand === null)
    fail('Variant Inventory Qty', `"${qtyText}" is not a whole number of units, 0 or more.`);
  const policy = cell(c, 'Variant Inventory Policy').toLowerCase();
  if (policy && policy !== 'deny' && policy !== 'continue') {
    fail('Variant Inventory Policy', `Variant Inventory Policy must be deny or continue (got "${policy}").`);
  }
  if (!ok || price === null || grams === null || onHand === null) return null;
  // An empty tracker column means Shopify does not count this variant's stock; without the column we do.
  const trackInventory = !('Variant Inventory Tracker' in c) || cell(c, 'Variant Inventory Tracker') !== '';
  return {
    line: r.line,
    sku,
    price,
    compareAtPrice,
    optionValues: optionNames.length ? optionValues : {},
    weightGrams: grams,
    trackInventory,
    allowBackorder: policy === 'continue',
    onHand,
  };
}

// ------------------------------------------------------------------------------------------------ exports

/** What an exported product needs (the catalog's admin JSON has it all). */
export interface ExportProduct {
  slug: string;
  title: string;
  description: string;
  status: string;
  tags: string[];
  metadata: Record<string, string>;
  images: { url: string; alt: string | null }[];
  options: { name: string; values: string[] }[];
  variants: {
    sku: string;
    option_values: Record<string, string>;
    price: number;
    compare_at_price: number | null;
    weight_grams: number;
    track_inventory: boolean;
    allow_backorder: boolean;
    availability: { available: number | null };
  }[];
}

const EXPORT_PRODUCT_COLUMNS = SHOPIFY_COLUMNS;

/** The header of a products export: the Shopify columns, so the file imports back here or into Shopify. */
export const productsCsvHeader = () => stringify([[...EXPORT_PRODUCT_COLUMNS]]);

/** Rows of products in Shopify's layout: one row per variant, then one per image beyond the variants. */
export function productsToCsv(products: ExportProduct[], currency: string): string {
  const rows: string[][] = [];
  for (const p of products) {
    const rowCount = Math.max(p.variants.length, p.images.length, 1);
    for (let i = 0; i < rowCount; i++) {
      const v = p.variants[i];
      const image = p.images[i];
      const first = i === 0;
      const optionCells = OPTION_SLOTS.flatMap((_n, k) => {
        const option = p.options[k];
        if (!option) {
          if (k === 0 && p.options.length === 0 && v) return [first ? 'Title' : '', 'Default Title'];
          return ['', ''];
        }
        return [first ? option.name : '', v ? (v.option_values[option.name] ?? '') : ''];
      });
      const available = v?.availability.available;
      const record: Record<(typeof EXPORT_PRODUCT_COLUMNS)[number], string> = {
        Handle: p.slug,
        Title: first ? p.title : '',
        'Body (HTML)': first ? p.description : '',
        Vendor: first ? (p.metadata.vendor ?? '') : '',
        Type: first ? (p.metadata.type ?? '') : '',
        Tags: first ? p.tags.join(', ') : '',
        Published: first ? String(p.status === 'active').toUpperCase() : '',
        'Option1 Name': optionCells[0]!,
        'Option1 Value': optionCells[1]!,
        'Option2 Name': optionCells[2]!,
        'Option2 Value': optionCells[3]!,
        'Option3 Name': optionCells[4]!,
        'Option3 Value': optionCells[5]!,
        'Variant SKU': v?.sku ?? '',
        'Variant Grams': v ? String(v.weight_grams) : '',
        'Variant Inventory Tracker': v?.track_inventory ? 'shopify' : '',
        'Variant Inventory Qty': v ? String(v.track_inventory ? (available ?? 0) : 0) : '',
        'Variant Inventory Policy': v ? (v.allow_backorder ? 'continue' : 'deny') : '',
        'Variant Price': v ? formatMinor(v.price, currency) : '',
        'Variant Compare At Price':
          v && v.compare_at_price !== null ? formatMinor(v.compare_at_price, currency) : '',
        'Image Src': image?.url ?? '',
        'Image Alt Text': image?.alt ?? '',
        Status: first ? p.status : '',
      };
      rows.push(EXPORT_PRODUCT_COLUMNS.map((col) => record[col]));
    }
  }
  return rows.length ? stringify(rows) : '';
}

/** What an exported order needs (the orders module's admin JSON). */
export interface ExportOrder {
  id: string;
  livemode: boolean;
  status: string;
  payment_status: string;
  fulfillment_status: string;
  currency: string;
  email: string | null;
  subtotal: number;
  discount_total: number;
  shipping_total: number;
  tax_total: number;
  total: number;
  coupon_code: string | null;
  created_at: string;
  lines: {
    sku: string;
    product_title: string;
    title: string;
    unit_price: number;
    quantity: number;
    total: number;
  }[];
}

export const ORDER_COLUMNS = [
  'Order ID',
  'Created At',
  'Status',
  'Payment Status',
  'Fulfillment Status',
  'Email',
  'Currency',
  'Subtotal',
  'Discount',
  'Shipping',
  'Tax',
  'Total',
  'Coupon',
  'Line SKU',
  'Line Product',
  'Line Variant',
  'Line Quantity',
  'Line Unit Price',
  'Line Total',
] as const;

export const ordersCsvHeader = () => stringify([[...ORDER_COLUMNS]]);

/** One row per order line (Shopify's order export layout); order totals are repeated on every line of it. */
export function ordersToCsv(orders: ExportOrder[]): string {
  const rows: string[][] = [];
  for (const o of orders) {
    const money = (n: number) => formatMinor(n, o.currency);
    const lines = o.lines.length ? o.lines : [null];
    for (const l of lines) {
      rows.push([
        o.id,
        o.created_at,
        o.status,
        o.payment_status,
        o.fulfillment_status,
        o.email ?? '',
        o.currency,
        money(o.subtotal),
        money(o.discount_total),
        money(o.shipping_total),
        money(o.tax_total),
        money(o.total),
        o.coupon_code ?? '',
        l?.sku ?? '',
        l?.product_title ?? '',
        l?.title ?? '',
        l ? String(l.quantity) : '',
        l ? money(l.unit_price) : '',
        l ? money(l.total) : '',
      ]);
    }
  }
  return rows.length ? stringify(rows) : '';
}
