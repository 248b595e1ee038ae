import { createHash } from 'node:crypto';
import { AppError } from '../../shared/app-error.ts';
import type { ProductOption } from './catalog.tables.ts';

/**
 * Pure catalog rules: slugs, option matching, variant titles, price ranges, availability, ETags.
 * No database, no clock.
 */

/** Slugs are lowercase `[a-z0-9-]`: they never contain `_`, so a slug can never look like an id. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SLUG_MAX = 120;

/**
 * Path segments other routes own under `/v1/products/…` and `/v1/collections/…`
 * (`/v1/products/search` belongs to the search module), so no product or collection may take them.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set(['search', 'new', 'count', 'by-sku', 'by-slug']);

export function slugify(title: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX - 8)
    .replace(/-+$/g, '');
  return base || 'item';
}

export function isUsableSlug(slug: string): boolean {
  return slug.length <= SLUG_MAX && SLUG_PATTERN.test(slug) && !RESERVED_SLUGS.has(slug);
}

/** Picks the first free slug among `base`, `base-2`, `base-3`, … given the slugs already taken. */
export function nextFreeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base) && !RESERVED_SLUGS.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function assertOptions(options: ProductOption[], param = 'options'): void {
  const names = new Set<string>();
  options.forEach((o, i) => {
    const key = o.name.toLowerCase();
    if (names.has(key)) {
      throw new AppError('INVALID_OPTION_VALUES', `Option "${o.name}" is listed twice.`, {
        param: `${param}.${i}.name`,
      });
    }
    names.add(key);
    const values = new Set<string>();
    o.values.forEach((v, j) => {
      if (values.has(v)) {
        throw new AppError('INVALID_OPTION_VALUES', `Option "${o.name}" lists "${v}" twice.`, {
          param: `${param}.${i}.values.${j}`,
        });
      }
      values.add(v);
    });
  });
}

/**
 * A variant's option values must name every product option exactly once, with one of its values.
 * Returns the values in the product's option order (a stable key for duplicate checks).
 */
export function assertOptionValues(
  options: ProductOption[],
  optionValues: Record<string, string>,
  param = 'option_values',
): string[] {
  const keys = Object.keys(optionValues);
  for (const k of keys) {
    if (!options.some((o) => o.name === k)) {
      throw new AppError(
        'INVALID_OPTION_VALUES',
        options.length
          ? `"${k}" is not an option of the product (options: ${options.map((o) => o.name).join(', ')}).`
          : `The product has no options; "${k}" is not allowed.`,
        { param: `${param}.${k}` },
      );
    }
  }
  return options.map((o) => {
    const v = optionValues[o.name];
    if (v === undefined) {
      throw new AppError('INVALID_OPTION_VALUES', `A value for option "${o.name}" is required.`, {
        param: `${param}.${o.name}`,
      });
    }
    if (!o.values.includes(v)) {
      throw new AppError(
        'INVALID_OPTION_VALUES',
        `"${v}" is not a value of option "${o.name}" (values: ${o.values.join(', ')}).`,
        { param: `${param}.${o.name}` },
      );
    }
    return v;
  });
}

/** Checks every variant against the options and that no two variants share a combination or a SKU. */
export function assertVariantSet(
  options: ProductOption[],
  variants: { sku: string; optionValues: Record<string, string> }[],
  param = 'variants',
): void {
  const combos = new Map<string, number>();
  const skus = new Map<string, number>();
  variants.forEach((v, i) => {
    const key = JSON.stringify(assertOptionValues(options, v.optionValues, `${param}.${i}.option_values`));
    if (combos.has(key)) {
      throw new AppError(
        'INVALID_OPTION_VALUES',
        `Variants ${combos.get(key)} and ${i} have the same option values.`,
        { param: `${param}.${i}.option_values` },
      );
    }
    combos.set(key, i);
    if (skus.has(v.sku)) {
      throw new AppError('SKU_TAKEN', `Variants ${skus.get(v.sku)} and ${i} have the same SKU "${v.sku}".`, {
        param: `${param}.${i}.sku`,
      });
    }
    skus.set(v.sku, i);
  });
}

export function variantTitle(options: ProductOption[], optionValues: Record<string, string>): string {
  const parts = options.map((o) => optionValues[o.name]).filter((v): v is string => v !== undefined);
  return parts.length ? parts.join(' / ') : 'Default';
}

export function priceRange(prices: number[]): { min: number; max: number } {
  if (prices.length === 0) return { min: 0, max: 0 };
  let min = prices[0]!;
  let max = prices[0]!;
  for (const p of prices) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  return { min, max };
}

/** A strong validator for a pre-serialised body. */
export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** `If-None-Match` with weak comparison (RFC 9110 §13.1.2): `*`, a list, or W/ prefixes all count. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag) return true;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  for (const part of trimmed.split(',')) {
    const t = part.trim();
    if ((t.startsWith('W/') ? t.slice(2) : t) === etag) return true;
  }
  return false;
}

const JSON_TYPE = 'application/json; charset=UTF-8';

/**
 * Validators and cache headers of a rendered catalog body: CDN-cacheable for publishable reads
 * (`public, max-age, stale-while-revalidate`), never stored for secret-key reads.
 */
export function catalogHeaders(etag: string, cache: { isPublic: boolean; maxAgeSeconds: number }) {
  return {
    'Content-Type': JSON_TYPE,
    ETag: etag,
    'Cache-Control': cache.isPublic
      ? `public, max-age=${cache.maxAgeSeconds}, stale-while-revalidate=${cache.maxAgeSeconds * 2}`
      : 'private, no-store',
    Vary: 'Authorization',
  };
}
