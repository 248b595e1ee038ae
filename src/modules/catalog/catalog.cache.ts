import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Executor } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import * as repo from './catalog.repo.ts';
import type { VariantForSale } from './catalog.serializers.ts';

/** A rendered response: the JSON text and its strong ETag, both computed once when the entry is filled. */
export interface CachedBody {
  body: string;
  etag: string;
  /** The body encoded once (UTF-8) when the entry is filled, which the fast path writes as is. */
  bytes?: Buffer;
}

export interface CachedProduct extends CachedBody {
  storeId: string;
  id: string;
  slug: string;
  active: boolean;
}

/** The storefront pages answered before the router, by the exact URL a request asked for them with. */
export type UrlPageKind = 'list' | 'search';

export interface CachedUrlPage extends CachedBody {
  kind: UrlPageKind;
}

export interface CatalogChange {
  storeId: string;
  entity: repo.CatalogEntity;
  /**
   * A product id for `product`, `inventory` and `availability`, a collection id for `collection`, the store
   * id for `store`. `inventory`: the product's stock changed; `availability`: and some variant crossed zero.
   */
  entityId: string;
  seq?: number;
}

const MiB = 1024 * 1024;

/**
 * The in-process storefront cache: rendered products by id, slug → id, and list/collection/search pages.
 *
 * Pages are keyed with a per-store generation; a change that can alter a page (a product, a collection,
 * the store, or a variant's stock crossing zero) bumps it, which retires every page of that store at once
 * (the LRU evicts them). A stock change that leaves availability on the same side of zero (`inventory`)
 * drops only that product's entries: pages keep the availability counts they were rendered with until the
 * next page-level change, which is what keeps a store's pages alive through a stream of checkouts.
 *
 * Per-store epochs guard fills that raced a change: a read that started before an invalidation never
 * stores what it read. Products have their own epoch, bumped by every change; pages use the generation.
 *
 * Variants for sale (what a cart re-prices from: price, titles, product status, stock policy) are kept by
 * store and variant id. They hold no stock figures, so only a `product` change (any write to the product or
 * its variants) or a `store` change drops them; stock changes leave them alone. Their epoch moves with
 * those changes only, so a stream of checkouts does not keep carts from filling the cache.
 */
export function createCatalogCache(opts: { maxEntries: number }) {
  const products = new LRUCache<string, CachedProduct>({
    max: opts.maxEntries,
    maxSize: 512 * MiB,
    sizeCalculation: (e) => e.body.length + (e.bytes?.length ?? 0) + 128,
  });
  const slugs = new LRUCache<string, string>({ max: opts.maxEntries });
  const pages = new LRUCache<string, CachedBody>({
    max: Math.max(100, Math.floor(opts.maxEntries / 5)),
    maxSize: 256 * MiB,
    sizeCalculation: (e) => e.body.length + (e.bytes?.length ?? 0) + 64,
  });
  /**
   * The same pages again, by the path and query of a request the router answered with them: the fast path
   * looks a request up here without parsing or validating its query. Keyed with the page generation too.
   */
  const urlPages = new LRUCache<string, CachedUrlPage>({
    max: Math.max(100, Math.floor(opts.maxEntries / 5)),
    maxSize: 16 * MiB,
    // The body and its bytes are the page's own (shared), counted there.
    sizeCalculation: (_e, key) => key.length + 64,
  });
  const currencies = new Map<string, string>();
  /** Page generation per store: part of every page key, and the epoch of page fills. */
  const gens = new Map<string, number>();
  /** Product epoch per store. */
  const epochs = new Map<string, number>();
  const counts = { pageHits: 0, pageMisses: 0 };
  /** Variant keys by product key, so a product change drops that product's variants without a scan. */
  const variantKeysOf = new Map<string, Set<string>>();
  const forSale = new LRUCache<string, VariantForSale>({
    max: opts.maxEntries,
    dispose: (v, key) => {
      const pk = productKey(key.slice(0, key.indexOf('\n')), v.productId);
      const keys = variantKeysOf.get(pk);
      if (!keys) return;
      keys.delete(key);
      if (keys.size === 0) variantKeysOf.delete(pk);
    },
  });
  /** Variant-for-sale epoch per store; `clears` retires fills of every store at once. */
  const variantEpochs = new Map<string, number>();
  let clears = 0;

  const slugKey = (storeId: string, slug: string) => `${storeId}\n${slug}`;
  const variantKey = (storeId: string, variantId: string) => `${storeId}\n${variantId}`;
  const productKey = (storeId: string, productId: string) => `${storeId}\n${productId}`;
  const bump = (m: Map<string, number>, storeId: string) => m.set(storeId, (m.get(storeId) ?? 0) + 1);

  function dropProduct(id: string) {
    const e = products.get(id);
    if (!e) return;
    products.delete(id);
    const k = slugKey(e.storeId, e.slug);
    if (slugs.get(k) === id) slugs.delete(k);
  }

  const variantEpoch = (storeId: string) => `${clears}:${variantEpochs.get(storeId) ?? 0}`;

  function dropVariantsOf(storeId: string, productId: string) {
    const keys = variantKeysOf.get(productKey(storeId, productId));
    if (!keys) return;
    for (const k of [...keys]) forSale.delete(k);
    variantKeysOf.delete(productKey(storeId, productId));
  }

  function dropVariantsOfStore(storeId: string) {
    const prefix = `${storeId}\n`;
    for (const k of [...forSale.keys()]) if (k.startsWith(prefix)) forSale.delete(k);
  }

  return {
    /** The cached product by id (`prod_…`) or slug, only if it belongs to `storeId`. */
    product(storeId: string, idOrSlug: string): CachedProduct | undefined {
      if (idOrSlug.startsWith('prod_')) {
        const e = products.get(idOrSlug);
        return e && e.storeId === storeId ? e : undefined;
      }
      const id = slugs.get(slugKey(storeId, idOrSlug));
      if (id === undefined) return undefined;
      const e = products.get(id);
      // A renamed product keeps its old slug entry until invalidated; never serve it under the old slug.
      return e && e.storeId === storeId && e.slug === idOrSlug ? e : undefined;
    },

    epoch(storeId: string): number {
      return epochs.get(storeId) ?? 0;
    },

    putProduct(entry: CachedProduct, epoch: number): void {
      if ((epochs.get(entry.storeId) ?? 0) !== epoch) return;
      products.set(entry.id, entry);
      slugs.set(slugKey(entry.storeId, entry.slug), entry.id);
    },

    /** The epoch to pass to `putPage`: taken before a page is read from the database. */
    pageEpoch(storeId: string): number {
      return gens.get(storeId) ?? 0;
    },

    pageKey(storeId: string, parts: string): string {
      return `${storeId}\n${gens.get(storeId) ?? 0}\n${parts}`;
    },

    page(key: string): CachedBody | undefined {
      const e = pages.get(key);
      if (e) counts.pageHits++;
      else counts.pageMisses++;
      return e;
    },

    putPage(storeId: string, key: string, entry: CachedBody, epoch: number): void {
      if ((gens.get(storeId) ?? 0) !== epoch) return;
      pages.set(key, entry);
    },

    /** A page by the path and query it was served for (no hit/miss counting: the fast path probes it). */
    urlPage(storeId: string, url: string): CachedUrlPage | undefined {
      return urlPages.get(`${storeId}\n${gens.get(storeId) ?? 0}\n${url}`);
    },

    /** Remembers a page under a request's URL, unless the store's pages retired since `epoch` (its fill). */
    putUrlPage(storeId: string, url: string, entry: CachedUrlPage, epoch: number): void {
      if ((gens.get(storeId) ?? 0) !== epoch) return;
      urlPages.set(`${storeId}\n${epoch}\n${url}`, entry);
    },

    /** The variant for sale from memory, or undefined. */
    variantForSale(storeId: string, variantId: string): VariantForSale | undefined {
      return forSale.get(variantKey(storeId, variantId));
    },

    /** The epoch to pass to `putVariantsForSale`: taken before the variants are read from the database. */
    variantEpoch,

    /** Stores what a read returned, unless a change of the store's products was applied since it started. */
    putVariantsForSale(storeId: string, variants: Iterable<VariantForSale>, epoch: string): void {
      if (variantEpoch(storeId) !== epoch) return;
      for (const v of variants) {
        const key = variantKey(storeId, v.variantId);
        forSale.set(key, v);
        const pk = productKey(storeId, v.productId);
        const keys = variantKeysOf.get(pk);
        if (keys) keys.add(key);
        else variantKeysOf.set(pk, new Set([key]));
      }
    },

    currency(storeId: string): string | undefined {
      return currencies.get(storeId);
    },

    putCurrency(storeId: string, currency: string): void {
      currencies.set(storeId, currency);
    },

    invalidate(changes: readonly CatalogChange[]): void {
      for (const c of changes) {
        bump(epochs, c.storeId);
        if (c.entity !== 'inventory') bump(gens, c.storeId);
        switch (c.entity) {
          case 'product':
            bump(variantEpochs, c.storeId);
            dropVariantsOf(c.storeId, c.entityId);
            dropProduct(c.entityId);
            break;
          case 'inventory':
          case 'availability':
            dropProduct(c.entityId);
            break;
          case 'collection':
            break;
          case 'store':
            currencies.delete(c.storeId);
            for (const [id, e] of products.entries()) if (e.storeId === c.storeId) dropProduct(id);
            bump(variantEpochs, c.storeId);
            dropVariantsOfStore(c.storeId);
            break;
        }
      }
    },

    clear(): void {
      for (const storeId of new Set([...epochs.keys(), ...gens.keys()])) {
        bump(epochs, storeId);
        bump(gens, storeId);
      }
      clears++;
      forSale.clear();
      variantKeysOf.clear();
      products.clear();
      slugs.clear();
      pages.clear();
      urlPages.clear();
      currencies.clear();
    },

    stats() {
      return {
        products: products.size,
        slugs: slugs.size,
        pages: pages.size,
        urlPages: urlPages.size,
        variantsForSale: forSale.size,
        ...counts,
      };
    },
  };
}

export type CatalogCache = ReturnType<typeof createCatalogCache>;

export const CATALOG_CHANNEL = 'crowdstart:catalog-changes';

interface WireChange {
  s: string;
  e: repo.CatalogEntity;
  i: string;
  q?: number;
}

const ENTITIES: ReadonlySet<string> = new Set([
  'product',
  'collection',
  'store',
  'inventory',
  'availability',
]);

/** Announces committed changes to every process on Redis; best effort (polling is the safety net). */
export async function publishCatalogChanges(redis: Redis, changes: readonly CatalogChange[]): Promise<void> {
  if (changes.length === 0) return;
  const wire: WireChange[] = changes.map((c) => ({ s: c.storeId, e: c.entity, i: c.entityId, q: c.seq }));
  await redis.publish(CATALOG_CHANNEL, JSON.stringify(wire));
}

function parseWire(message: string): CatalogChange[] {
  const parsed = JSON.parse(message) as unknown;
  if (!Array.isArray(parsed)) return [];
  const out: CatalogChange[] = [];
  for (const w of parsed as Partial<WireChange>[]) {
    if (typeof w.s !== 'string' || typeof w.i !== 'string' || typeof w.e !== 'string' || !ENTITIES.has(w.e))
      continue;
    out.push({ storeId: w.s, entity: w.e, entityId: w.i, seq: typeof w.q === 'number' ? w.q : undefined });
  }
  return out;
}

const POLL_BATCH = 2000;
/** Sequence numbers skipped by a poll may belong to transactions still running; look for them this long. */
const GAP_TTL_MS = 60_000;
const MAX_GAPS = 5000;
/** After this long without a successful poll the feed may have lost rows to pruning: start cold. */
const STALE_AFTER_MS = 10 * 60_000;

/**
 * Keeps this process's cache in step with every other process: polls `catalog_change` for rows past
 * the last seen sequence (and for sequence gaps, since transactions commit out of order), and, when
 * Redis is configured, also listens on a channel for near-instant invalidation.
 */
export function createChangeFeed(deps: {
  db: Executor;
  cache: CatalogCache;
  redis: Redis | null;
  logger: Logger;
  pollMs: number;
}) {
  const { db, cache, logger } = deps;
  let lastSeq = 0;
  let lastSuccess = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let subscriber: Redis | null = null;
  let lastErrorLog = 0;
  const gaps = new Map<number, number>();
  /** Sequences already applied (own writes, Redis messages) that the poll should not apply twice. */
  const applied = new Set<number>();
  const listeners = new Set<(changes: readonly CatalogChange[]) => void>();

  function apply(changes: readonly CatalogChange[]) {
    cache.invalidate(changes);
    for (const l of listeners) {
      try {
        l(changes);
      } catch (err) {
        logger.error({ err }, 'catalog change listener failed');
      }
    }
  }

  function markApplied(changes: readonly CatalogChange[]) {
    if (applied.size > 20_000) applied.clear();
    for (const c of changes) if (c.seq !== undefined && c.seq > lastSeq) applied.add(c.seq);
  }

  /**
   * The changes of a Redis message this process has not applied yet. Its own writes come back to it as an
   * echo, and a poll may have got to a change first: applying those again would retire pages rendered since.
   * A change without a sequence number is always applied.
   */
  function unseen(changes: readonly CatalogChange[]): CatalogChange[] {
    return changes.filter(
      (c) => c.seq === undefined || (!applied.has(c.seq) && (c.seq > lastSeq || gaps.has(c.seq))),
    );
  }

  async function pollOnce(): Promise<number> {
    const batch = await repo.changesSince(db, lastSeq, [...gaps.keys()], POLL_BATCH);
    const now = Date.now();
    if (now - lastSuccess > STALE_AFTER_MS) {
      logger.warn('catalog change feed was unreachable for long; dropping the whole cache');
      cache.clear();
    }
    lastSuccess = now;
    const fresh: CatalogChange[] = [];
    for (const r of batch) {
      if (r.seq > lastSeq) {
        if (r.seq - lastSeq > 1 && r.seq - lastSeq <= MAX_GAPS) {
          for (let s = lastSeq + 1; s < r.seq; s++) gaps.set(s, now);
        }
        lastSeq = r.seq;
      } else {
        gaps.delete(r.seq);
      }
      if (applied.delete(r.seq)) continue;
      fresh.push(r);
    }
    for (const [s, at] of gaps) {
      if (now - at > GAP_TTL_MS || gaps.size > MAX_GAPS) gaps.delete(s);
      else break; // insertion order is age order
    }
    for (const s of applied) if (s <= lastSeq - MAX_GAPS) applied.delete(s);
    if (fresh.length) apply(fresh);
    return batch.length;
  }

  async function loop() {
    try {
      while ((await pollOnce()) === POLL_BATCH && !stopped) {
        // drain a backlog before sleeping
      }
    } catch (err) {
      if (Date.now() - lastErrorLog > 30_000) {
        lastErrorLog = Date.now();
        logger.warn({ err }, 'catalog change poll failed; retrying');
      }
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = loop().finally(() => {
        running = null;
        schedule();
      });
    }, deps.pollMs);
    timer.unref();
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      lastSeq = await repo.maxChangeSeq(db);
      lastSuccess = Date.now();
      schedule();
      if (deps.redis) {
        const sub = deps.redis.duplicate();
        subscriber = sub;
        sub.on('error', (err) => logger.debug({ err }, 'catalog change subscriber error'));
        sub.on('message', (channel: string, message: string) => {
          if (channel !== CATALOG_CHANNEL) return;
          try {
            const changes = unseen(parseWire(message));
            if (changes.length === 0) return;
            markApplied(changes);
            apply(changes);
          } catch (err) {
            logger.warn({ err }, 'bad catalog change message');
          }
        });
        try {
          await sub.subscribe(CATALOG_CHANNEL);
        } catch (err) {
          logger.warn({ err }, 'catalog change subscription failed; relying on polling');
        }
      }
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running.catch(() => undefined);
      if (subscriber) {
        subscriber.disconnect();
        subscriber = null;
      }
    },

    /** Runs one poll now (tests, and after a burst of writes). */
    poll: () => pollOnce(),

    /** After a local commit: invalidate here at once, skip those rows when polled, tell other processes. */
    committed(changes: readonly CatalogChange[]) {
      markApplied(changes);
      apply(changes);
      if (deps.redis) {
        publishCatalogChanges(deps.redis, changes).catch((err) =>
          logger.debug({ err }, 'catalog change publish failed; other processes will poll it'),
        );
      }
    },

    onChange(listener: (changes: readonly CatalogChange[]) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    get lastSeq() {
      return lastSeq;
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;
