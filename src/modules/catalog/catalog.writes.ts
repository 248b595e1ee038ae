import { AppError } from '../../shared/app-error.ts';
import { type Executor, inTransaction, pgConstraint, pgErrorCode, type Tx } from '../../shared/db.ts';
import type { CatalogChange } from './catalog.cache.ts';
import * as repo from './catalog.repo.ts';
import { isUsableSlug, nextFreeSlug, slugify } from './catalog.rules.ts';

/**
 * Runs a catalog write: the callback pushes what it changed (`changes`, for the caches) and what the history
 * should say (`history`), in one transaction with those rows; `actor` is who asked (`system` when unsaid).
 */
export type CatalogWrite = <T>(
  fn: (tx: Tx, changes: CatalogChange[], history: repo.HistoryEntry[]) => Promise<T>,
  actor?: string,
) => Promise<T>;

/**
 * Every write runs in one transaction that also appends to `catalog_change` and `catalog_history`; after
 * commit `committed` invalidates this process's cache and tells the others.
 */
export function createCatalogWrite(deps: {
  db: Executor;
  committed: (changes: CatalogChange[]) => void;
}): CatalogWrite {
  return async function write<T>(
    fn: (tx: Tx, changes: CatalogChange[], history: repo.HistoryEntry[]) => Promise<T>,
    actor = 'system',
  ): Promise<T> {
    let changes: CatalogChange[] = [];
    const result = await inTransaction(deps.db, async (tx) => {
      changes = [];
      const history: repo.HistoryEntry[] = [];
      const r = await fn(tx, changes, history);
      const seqs = await repo.insertChanges(tx, changes);
      changes.forEach((c, i) => {
        c.seq = seqs[i];
      });
      await repo.insertHistory(tx, history, actor, new Date());
      return r;
    });
    deps.committed(changes);
    return result;
  };
}

export const isPrice = (n: number) => Number.isSafeInteger(n) && n >= 0;

export function mapUniqueViolation(e: unknown, params: { slug?: string; sku?: string }): never {
  if (pgErrorCode(e) === '23505') {
    const c = pgConstraint(e) ?? '';
    if (c.includes('sku')) {
      throw new AppError('SKU_TAKEN', 'Another variant of the store already uses this SKU.', {
        param: params.sku ?? 'sku',
      });
    }
    if (c.includes('slug')) {
      throw new AppError('SLUG_TAKEN', 'Another product or collection of the store already uses this slug.', {
        param: params.slug ?? 'slug',
      });
    }
  }
  throw e;
}

export function requireVersion(version: number | undefined): number {
  if (version === undefined) {
    throw new AppError('VALIDATION_FAILED', 'version is required (send it in the body or as If-Match).', {
      param: 'version',
    });
  }
  return version;
}

export function assertSlug(slug: string, param = 'slug') {
  if (!isUsableSlug(slug)) {
    throw new AppError('VALIDATION_FAILED', `${param}: "${slug}" is reserved or not of the form [a-z0-9-].`, {
      param,
    });
  }
}

export async function freeSlug(
  tx: Executor,
  table: 'product' | 'collection',
  storeId: string,
  title: string,
) {
  const base = slugify(title);
  return nextFreeSlug(base, await repo.slugsLike(tx, table, storeId, base));
}
