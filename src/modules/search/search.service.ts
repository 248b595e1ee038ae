import client from 'prom-client';
import { AppError } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/db.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/pagination.ts';
import type { Metrics } from '../../shared/metrics.ts';
import * as repo from './search.repo.ts';
import {
  type Correction,
  type PriceBucket,
  planQuery,
  priceBuckets,
  type QueryWord,
  tokenizeQuery,
  type WordMatch,
} from './search.rules.ts';

/** Facets are counted over at most this many matches (the best ones in sort order). */
export const FACET_LIMIT = 500;
/** Relevance pages are offsets; deeper than this a shopper should refine the query. */
export const MAX_OFFSET = 10_000;

export type SearchSort = repo.SearchSort;

export interface SearchParams {
  q?: string;
  collection?: string;
  priceMin?: number;
  priceMax?: number;
  options?: Map<string, string[]>;
  inStock?: boolean;
  sort?: SearchSort;
  limit: number;
  cursor?: string;
}

export interface ProductSummary {
  id: string;
  object: 'product_summary';
  title: string;
  slug: string;
  price_range: { min: number; max: number; currency: string };
  tags: string[];
  image: { id: string; url: string; alt: string | null } | null;
  in_stock: boolean;
  score?: number;
}

export interface SearchFacets {
  /** Matches the facets were counted over. */
  total: number;
  /** False when there were more than `total` matches and facets cover only the best `total`. */
  exhaustive: boolean;
  collections: Array<{ id: string; title: string; count: number }>;
  options: Record<string, Record<string, number>>;
  price: { min: number; max: number; buckets: PriceBucket[] } | null;
  in_stock: number;
}

export interface SearchResult {
  object: 'list';
  data: ProductSummary[];
  has_more: boolean;
  next_cursor: string | null;
  facets: SearchFacets;
  query: { q: string | null; corrected: Correction[] };
}

const PRODUCT_ID = /^prod_[0-9a-z]{26}$/;

/**
 * Memoises a rendered value of a store (as JSON text) until the store's catalog or stock changes; concurrent
 * misses of one key share one render. The catalog's page cache, injected from the composition root.
 */
/**
 * Memoises a rendered page of a store until its catalog or stock changes; `url` (the request's path and
 * query) lets the same request be answered again before the router.
 */
export type StorePageCache = (
  storeId: string,
  key: string,
  render: () => Promise<unknown>,
  url?: string,
) => Promise<{ body: string; etag: string; hit: boolean }>;

function decodePosition(sort: SearchSort, cursor: string | undefined): repo.SearchPosition | null {
  const list = `search.${sort}`;
  const invalid = () =>
    new AppError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.', {
      param: 'cursor',
    });
  if (sort === 'relevance') {
    const v = decodeCursor(list, cursor, 1);
    if (v === null) return null;
    const [offset] = v;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 1 || offset > MAX_OFFSET)
      throw invalid();
    return { kind: 'offset', offset };
  }
  const v = decodeCursor(list, cursor, 2);
  if (v === null) return null;
  const [key, id] = v;
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || typeof id !== 'string' || !PRODUCT_ID.test(id))
    throw invalid();
  return sort === 'newest' ? { kind: 'created', micros: key, id } : { kind: 'price', price: key, id };
}

function emptyFacets(): SearchFacets {
  return { total: 0, exhaustive: true, collections: [], options: {}, price: null, in_stock: 0 };
}

export function createSearchService(deps: {
  db: Executor;
  metrics?: Metrics;
  /**
   * Keeps publishable-key vocabulary lookups, word by word, for as long as the store's search pages: a query
   * whose words were all looked up since the catalog last changed costs one statement, not two.
   */
  pageCache?: StorePageCache;
  /** Told of every query that matched nothing (the analytics module records them); must not throw. */
  onZeroResults?: (miss: { storeId: string; livemode: boolean; term: string }) => void;
}) {
  const { db } = deps;
  const registers = deps.metrics ? [deps.metrics.registry] : [];
  const duration = new client.Histogram({
    name: 'search_duration_seconds',
    help: 'Product search latency (vocabulary lookup, matching, facets)',
    labelNames: ['corrected'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  const zeroResults = new client.Counter({
    name: 'search_zero_results_total',
    help: 'Product searches with a query that matched nothing',
    registers,
  });

  /**
   * The query words' vocabulary entries: from the page cache for a publishable key (the words it misses read
   * together, in one statement), else from the database.
   */
  async function matchWords(
    auth: AuthContext,
    words: QueryWord[],
    activeOnly: boolean,
  ): Promise<WordMatch[]> {
    const cache = deps.pageCache;
    if (!cache || auth.kind !== 'publishable' || words.length === 0) {
      return repo.matchWords(db, { storeId: auth.storeId, words, activeOnly });
    }
    // The cache asks for each missing word in turn; they are queued and read by one statement once every word
    // has been asked for. A word asked for after that (a cache that renders later) is read on its own.
    let queue: Array<{ word: string; done: (r: Promise<repo.WordLookup>) => void }> | null = [];
    const readOne = (word: string) =>
      repo.lookUpWords(db, { storeId: auth.storeId, words: [word], activeOnly }).then((r) => r[0]!);
    const entries = words.map((w) =>
      cache(auth.storeId, `search.word\n${activeOnly}\n${w.word}`, () =>
        queue === null
          ? readOne(w.word)
          : new Promise<repo.WordLookup>((resolve) => queue!.push({ word: w.word, done: resolve })),
      ),
    );
    const missing = queue;
    queue = null;
    if (missing.length > 0) {
      const read = repo.lookUpWords(db, {
        storeId: auth.storeId,
        words: missing.map((m) => m.word),
        activeOnly,
      });
      missing.forEach((m, i) => {
        m.done(read.then((r) => r[i]!));
      });
    }
    const found = await Promise.all(entries);
    return found.map((e, i) => ({ ...(JSON.parse(e.body) as repo.WordLookup), typing: words[i]!.typing }));
  }

  async function search(auth: AuthContext, params: SearchParams): Promise<SearchResult> {
    const started = performance.now();
    const storeId = auth.storeId;
    const activeOnly = auth.kind !== 'secret';
    const q = params.q?.trim() ? params.q : undefined;
    // Relevance needs a query; without one it is the same as newest.
    let sort: SearchSort = params.sort ?? (q ? 'relevance' : 'newest');
    if (sort === 'relevance' && !q) sort = 'newest';
    const position = decodePosition(sort, params.cursor);

    let tsquery: string | null = null;
    let corrected: Correction[] = [];
    if (q) {
      const matches = await matchWords(auth, tokenizeQuery(q), activeOnly);
      const plan = planQuery(matches);
      corrected = plan.corrected;
      tsquery = plan.tsquery;
      if (tsquery === null) {
        // Only stop words, or a word nothing resembles: nothing can match.
        zeroResults.inc();
        deps.onZeroResults?.({ storeId, livemode: auth.mode === 'live', term: q });
        duration.observe({ corrected: String(corrected.length > 0) }, (performance.now() - started) / 1000);
        return {
          object: 'list',
          data: [],
          has_more: false,
          next_cursor: null,
          facets: emptyFacets(),
          query: { q: q ?? null, corrected },
        };
      }
    }

    const found = await repo.searchProducts(db, {
      filters: {
        storeId,
        activeOnly,
        tsquery,
        collectionId: params.collection,
        priceMin: params.priceMin,
        priceMax: params.priceMax,
        options: params.options,
        inStock: params.inStock,
      },
      sort,
      position,
      limit: params.limit,
      facetLimit: FACET_LIMIT,
    });

    const hasMore = found.page.length > params.limit;
    const page = hasMore ? found.page.slice(0, params.limit) : found.page;
    let nextCursor: string | null = null;
    const last = page[page.length - 1];
    if (hasMore && last) {
      if (sort === 'relevance') {
        const next = (position?.kind === 'offset' ? position.offset : 0) + page.length;
        nextCursor = next <= MAX_OFFSET ? encodeCursor(`search.${sort}`, [next]) : null;
      } else if (sort === 'newest') {
        nextCursor = encodeCursor(`search.${sort}`, [last.created_micros, last.id]);
      } else {
        nextCursor = encodeCursor(`search.${sort}`, [last.price_min, last.id]);
      }
    }

    const data = page.map(
      (r): ProductSummary => ({
        id: r.id,
        object: 'product_summary',
        title: r.title,
        slug: r.slug,
        price_range: { min: r.price_min, max: r.price_max, currency: found.currency },
        tags: r.tags,
        image: r.image ? { id: r.image.id, url: r.image.url, alt: r.image.alt ?? null } : null,
        in_stock: r.in_stock,
        ...(tsquery !== null && r.score !== null ? { score: Math.round(r.score * 1e6) / 1e6 } : {}),
      }),
    );

    const f = found.facets;
    const exhaustive = f.total <= FACET_LIMIT;
    const options: Record<string, Record<string, number>> = {};
    for (const o of f.options ?? []) {
      options[o.name] ??= {};
      options[o.name]![o.value] = o.count;
    }
    const prices = f.prices ?? [];
    const facets: SearchFacets = {
      total: Math.min(f.total, FACET_LIMIT),
      exhaustive,
      collections: f.collections ?? [],
      options,
      price:
        prices.length > 0
          ? { min: Math.min(...prices), max: Math.max(...prices), buckets: priceBuckets(prices) }
          : null,
      in_stock: f.in_stock,
    };

    if (q && f.total === 0) {
      zeroResults.inc();
      deps.onZeroResults?.({ storeId, livemode: auth.mode === 'live', term: q });
    }
    duration.observe({ corrected: String(corrected.length > 0) }, (performance.now() - started) / 1000);
    return {
      object: 'list',
      data,
      has_more: hasMore && nextCursor !== null,
      next_cursor: nextCursor,
      facets,
      query: { q: q ?? null, corrected },
    };
  }

  return { search };
}

export type SearchService = ReturnType<typeof createSearchService>;
