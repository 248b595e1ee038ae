import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { ANY_KEY, commonErrors, createRouter, jsonContent } from '../../shared/http/openapi.ts';
import { cursorParam, limitParam } from '../../shared/http/pagination.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { parseOptionsFilter } from './search.rules.ts';
import { FACET_LIMIT, type SearchService, type StorePageCache } from './search.service.ts';

const minorUnits = (name: string, description: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer amount in minor units')
    .optional()
    .openapi({ param: { name, in: 'query' }, description, example: '2500' });

const SearchQuery = z.strictObject({
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({
      param: { name: 'q', in: 'query' },
      description:
        'Words to find, ranked title > tags > description. Misspelt words are matched to similar words of the catalog ' +
        '(`query.corrected` says which); the last word also matches as a prefix unless the query ends with a space.',
      example: 'leather wallet',
    }),
  collection: z
    .string()
    .regex(/^coll_[0-9a-z]{26}$/, 'must be a collection id (coll_…)')
    .optional()
    .openapi({
      param: { name: 'collection', in: 'query' },
      description: 'Only products in this collection.',
    }),
  price_min: minorUnits('price_min', 'Only products with a variant priced at least this (minor units).'),
  price_max: minorUnits('price_max', 'Only products with a variant priced at most this (minor units).'),
  options: z
    .string()
    .min(3)
    .max(1000)
    .optional()
    .openapi({
      param: { name: 'options', in: 'query' },
      description:
        'Option filter, `Name:Value` pairs separated by commas, e.g. `Color:Red,Size:M`. Names and values match exactly ' +
        '(as the `facets.options` keys). The same name twice accepts either value (`Color:Red,Color:Blue`). ' +
        'All names, the price range and `in_stock` must hold on one and the same variant.',
      example: 'Color:Red,Size:M',
    }),
  in_stock: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      param: { name: 'in_stock', in: 'query' },
      description:
        '`true`: only products with a sellable variant (stock on hand not committed, untracked, or backorder allowed). `false` or absent: no stock filter.',
    }),
  sort: z
    .enum(['relevance', 'price_asc', 'price_desc', 'newest'])
    .optional()
    .openapi({
      param: { name: 'sort', in: 'query' },
      description:
        'Default `relevance` with `q`, `newest` without (relevance without `q` is newest). Prices sort by the cheapest variant.',
    }),
  limit: limitParam,
  cursor: cursorParam,
});

const ProductSummarySchema = z
  .object({
    id: z.string(),
    object: z.literal('product_summary'),
    title: z.string(),
    slug: z.string(),
    price_range: z.object({ min: z.number().int(), max: z.number().int(), currency: z.string() }),
    tags: z.array(z.string()),
    image: z.object({ id: z.string(), url: z.string(), alt: z.string().nullable() }).nullable(),
    in_stock: z.boolean(),
    score: z.number().optional().openapi({ description: 'Relevance (with `q` only); higher is better.' }),
  })
  .openapi('ProductSummary');

const SearchResultSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(ProductSummarySchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
    facets: z.object({
      total: z.number().int().openapi({ description: 'Matches the facets were counted over.' }),
      exhaustive: z.boolean().openapi({
        description: `False when more than ${FACET_LIMIT} products match: facets then cover the best ${FACET_LIMIT} in sort order.`,
      }),
      collections: z.array(z.object({ id: z.string(), title: z.string(), count: z.number().int() })),
      options: z.record(z.string(), z.record(z.string(), z.number().int())).openapi({
        description: 'Option name → value → number of products with a variant of that value.',
        example: { Color: { Red: 3 } },
      }),
      price: z
        .object({
          min: z.number().int(),
          max: z.number().int(),
          buckets: z.array(
            z.object({
              min: z.number().int().openapi({ description: 'Inclusive, minor units.' }),
              max: z.number().int().openapi({ description: 'Exclusive, minor units.' }),
              count: z.number().int(),
            }),
          ),
        })
        .nullable()
        .openapi({
          description: 'Cheapest-variant prices of the matches, in up to 6 buckets of equal width.',
        }),
      in_stock: z.number().int().openapi({ description: 'Matches with a sellable variant.' }),
    }),
    query: z.object({
      q: z.string().nullable(),
      corrected: z.array(z.object({ word: z.string(), replacements: z.array(z.string()) })).openapi({
        description: 'Query words not found in the catalog, and the similar words searched instead.',
      }),
    }),
  })
  .openapi('ProductSearchResult');

export function searchRoutes(deps: {
  service: SearchService;
  any: readonly MiddlewareHandler<AppEnv>[];
  pageCache?: StorePageCache;
  metrics?: Metrics;
}) {
  const { service } = deps;
  const hits = deps.metrics?.cacheHits.labels('search');
  const misses = deps.metrics?.cacheMisses.labels('search');
  const app = createRouter();
  app.use('/v1/products/search', ...deps.any);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/products/search',
      tags: ['Search'],
      summary: 'Search products: ranked full text with typo tolerance, filters, facets',
      description: 'Publishable keys see active products only; secret keys see every status.',
      security: ANY_KEY,
      request: { query: SearchQuery },
      responses: { 200: jsonContent(SearchResultSchema, 'Matching products, with facets'), ...commonErrors },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const priceMin = query.price_min !== undefined ? Number(query.price_min) : undefined;
      const priceMax = query.price_max !== undefined ? Number(query.price_max) : undefined;
      if (priceMin !== undefined && priceMax !== undefined && priceMin > priceMax) {
        throw new AppError('VALIDATION_FAILED', 'price_max: must not be below price_min', {
          param: 'price_max',
        });
      }
      let options: Map<string, string[]> | undefined;
      if (query.options !== undefined) {
        options = parseOptionsFilter(query.options) ?? undefined;
        if (!options) {
          throw new AppError(
            'VALIDATION_FAILED',
            'options: must be Name:Value pairs separated by commas, e.g. Color:Red,Size:M',
            {
              param: 'options',
            },
          );
        }
      }
      const auth = c.get('auth');
      const run = () =>
        service.search(auth, {
          q: query.q,
          collection: query.collection,
          priceMin,
          priceMax,
          options,
          inStock: query.in_stock === 'true',
          sort: query.sort,
          limit: query.limit,
          cursor: query.cursor,
        });
      if (auth.kind !== 'publishable' || !deps.pageCache) return c.json(await run(), 200);
      // Storefront searches repeat (popular queries, pagination): one render per store and query until
      // the store's catalog or stock changes. Keyed on the validated query, so spelling of the URL doesn't matter.
      const url = new URL(c.req.url);
      const entry = await deps.pageCache(
        auth.storeId,
        `search\n${JSON.stringify(query)}`,
        run,
        url.pathname + url.search,
      );
      (entry.hit ? hits : misses)?.inc();
      return c.body(entry.body, 200, {
        'Content-Type': 'application/json; charset=UTF-8',
        ETag: entry.etag,
      }) as never;
    },
  );

  return app;
}
