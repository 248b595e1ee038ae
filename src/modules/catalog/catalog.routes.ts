import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import { cursorId, Deleted, idList, idParam, listOf } from '../../shared/http/crud.ts';
import { type AppEnv, actorOf } from '../../shared/http/env.ts';
import { type CurrentRepresentation, expectedVersion } from '../../shared/http/if-match.ts';
import {
  ANY_KEY,
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, limitParam } from '../../shared/http/pagination.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { CachedBody } from './catalog.cache.ts';
import { pathAndQuery } from './catalog.fast-path.ts';
import { catalogHeaders, etagMatches, etagOf, SLUG_MAX } from './catalog.rules.ts';
import type { CatalogService } from './catalog.service.ts';

// ---------------------------------------------------------------- schemas

const productId = idParam('product', 'product');
const variantId = idParam('variant', 'variant');
const collectionId = idParam('collection', 'collection');
const slug = z
  .string()
  .max(SLUG_MAX)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single dashes');
const productIdOrSlug = z
  .string()
  .max(SLUG_MAX)
  .regex(/^(?:prod_[0-9a-z]{26}|[a-z0-9]+(?:-[a-z0-9]+)*)$/, 'must be a product id (prod_…) or a slug')
  .openapi({ description: 'A product id (`prod_…`) or its slug.', example: 'linen-shirt' });
const collectionIdOrSlug = z
  .string()
  .max(SLUG_MAX)
  .regex(/^(?:coll_[0-9a-z]{26}|[a-z0-9]+(?:-[a-z0-9]+)*)$/, 'must be a collection id (coll_…) or a slug')
  .openapi({ description: 'A collection id (`coll_…`) or its slug.', example: 'summer' });
const sku = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dots, dashes or underscores');

const MAX_MINOR = 100_000_000_000;
const money = z.number().int().min(0).max(MAX_MINOR);
const metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .openapi({ description: 'String keys (≤ 40 chars) to string values (≤ 500 chars), at most 50 keys.' });
const tags = z.array(z.string().trim().min(1).max(64)).max(50);
const status = z.enum(['draft', 'active', 'archived']);
const optionInput = z.strictObject({
  name: z.string().trim().min(1).max(50),
  values: z.array(z.string().trim().min(1).max(100)).min(1).max(100),
});
const imageInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  alt: z.string().max(500).nullable().optional(),
});
const optionValues = z.record(z.string().min(1).max(50), z.string().min(1).max(100));

const variantInput = z.strictObject({
  sku,
  price: money.openapi({ description: 'In minor units of the store currency.' }),
  compare_at_price: money.nullable().optional(),
  option_values: optionValues.optional(),
  weight_grams: z.number().int().min(0).max(10_000_000).optional(),
  track_inventory: z.boolean().optional(),
  allow_backorder: z.boolean().optional(),
  title: z.string().trim().min(1).max(200).optional(),
});

const productCreate = z.strictObject({
  title: z.string().trim().min(1).max(200),
  slug: slug.optional().openapi({ description: 'Derived from the title when omitted.' }),
  description: z.string().max(20_000).optional(),
  status: status.optional().openapi({ description: 'Defaults to `draft`.' }),
  tags: tags.optional(),
  metadata: metadata.optional(),
  images: z.array(imageInput).max(50).optional(),
  options: z.array(optionInput).max(3).optional(),
  variants: z.array(variantInput).max(100).optional(),
  collection_ids: z.array(collectionId).max(50).optional(),
});

const version = z.number().int().min(1).max(2_147_483_647);

const productPatch = z.strictObject({
  version: version.optional().openapi({
    description: 'The version you read; or send `If-Match: "<version>"`. Required one way or the other.',
  }),
  title: z.string().trim().min(1).max(200).optional(),
  slug: slug.optional(),
  description: z.string().max(20_000).optional(),
  status: status.optional(),
  tags: tags.optional(),
  metadata: metadata.optional().openapi({ description: 'Replaces the whole metadata object.' }),
  images: z.array(imageInput).max(50).optional(),
  options: z.array(optionInput).max(3).optional(),
});

const variantPatch = z.strictObject({
  version: version
    .optional()
    .openapi({ description: "The product's version, checked when sent (or `If-Match`)." }),
  sku: sku.optional(),
  price: money.optional(),
  compare_at_price: money.nullable().optional(),
  option_values: optionValues.optional(),
  weight_grams: z.number().int().min(0).max(10_000_000).optional(),
  track_inventory: z.boolean().optional(),
  allow_backorder: z.boolean().optional(),
  title: z.string().trim().min(1).max(200).optional(),
});

const collectionCreate = z.strictObject({
  title: z.string().trim().min(1).max(200),
  slug: slug.optional(),
  description: z.string().max(20_000).optional(),
  metadata: metadata.optional(),
  product_ids: z.array(productId).max(10_000).optional(),
});

const collectionPatch = z.strictObject({
  version: version.optional().openapi({ description: 'The version you read; or send `If-Match`. Required.' }),
  title: z.string().trim().min(1).max(200).optional(),
  slug: slug.optional(),
  description: z.string().max(20_000).optional(),
  metadata: metadata.optional(),
});

const Availability = z.object({ in_stock: z.boolean(), available: z.number().int().nullable() });
const VariantSchema = z
  .object({
    id: z.string(),
    object: z.literal('variant'),
    product_id: z.string(),
    sku: z.string(),
    title: z.string(),
    option_values: z.record(z.string(), z.string()),
    price: z.number().int(),
    compare_at_price: z.number().int().nullable(),
    currency: z.string(),
    weight_grams: z.number().int(),
    track_inventory: z.boolean(),
    allow_backorder: z.boolean(),
    position: z.number().int(),
    availability: Availability,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Variant');

const ProductSchema = z
  .object({
    id: z.string(),
    object: z.literal('product'),
    title: z.string(),
    slug: z.string(),
    description: z.string(),
    status,
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.string()),
    images: z.array(z.object({ id: z.string(), url: z.string(), alt: z.string().nullable() })),
    options: z.array(z.object({ name: z.string(), values: z.array(z.string()) })),
    variants: z.array(VariantSchema),
    price_range: z.object({
      min: z.number().int().nullable(),
      max: z.number().int().nullable(),
      currency: z.string(),
    }),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Product');

const CollectionSchema = z
  .object({
    id: z.string(),
    object: z.literal('collection'),
    title: z.string(),
    slug: z.string(),
    description: z.string(),
    metadata: z.record(z.string(), z.string()),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Collection');

const ProductList = listOf(ProductSchema).openapi('ProductList');
const CollectionWithProducts = CollectionSchema.extend({ products: listOf(ProductSchema) }).openapi(
  'CollectionWithProducts',
);

const conflict = {
  409: jsonContent(z.object({ error: z.object({ code: z.string() }) }), 'Version conflict or slug/SKU taken'),
};
const notModified = { 304: { description: 'Not modified (the `If-None-Match` ETag matches)' } };

const ifMatchHeader = z.object({
  'if-match': z.string().optional().openapi({
    description:
      'The version you read, e.g. `"3"` (instead of `version` in the body), or the product\'s `ETag`.',
  }),
});

// ---------------------------------------------------------------- HTTP helpers

/** Typed routes expect typed JSON; pre-serialised bodies go out as they are. */
const raw = (r: Response) => r as never;

/** The version an update expects: body `version` and/or `If-Match` (a version, or an ETag when `current` is given). */
function versionOf(
  c: Context<AppEnv>,
  bodyVersion: number | undefined,
  current?: CurrentRepresentation,
): Promise<number | undefined> {
  return expectedVersion({ bodyVersion, ifMatch: c.req.header('if-match'), current });
}

const HistoryEntrySchema = z
  .object({
    id: z.string(),
    object: z.literal('catalog_history_entry'),
    action: z.string(),
    subject_id: z.string().nullable(),
    actor: z.string().openapi({ description: '`staff:<id>`, `key:<id>` or `system`.' }),
    created_at: z.string(),
  })
  .openapi('CatalogHistoryEntry');

export function catalogRoutes(deps: {
  service: CatalogService;
  metrics: Metrics;
  cacheMaxAgeSeconds: number;
  auth: {
    secret: readonly MiddlewareHandler<AppEnv>[];
    any: readonly MiddlewareHandler<AppEnv>[];
  };
}) {
  const { service } = deps;
  const app = createRouter();
  /** What a secret-key GET of the product returns: its ETag and version (If-Match with that ETag). */
  const productNow =
    (storeId: string, id: string): CurrentRepresentation =>
    async () => {
      const p = await service.getProduct(storeId, id);
      return { etag: etagOf(JSON.stringify(p)), version: p.version };
    };
  /** Variant updates check the product's version, so an ETag is the product's. */
  const productOfVariantNow =
    (storeId: string, variantId: string): CurrentRepresentation =>
    async () => {
      const v = await service.getVariant(storeId, { id: variantId }, { activeOnly: false });
      return productNow(storeId, v.product_id)();
    };
  const secret = [...deps.auth.secret];
  const any = [...deps.auth.any];
  const hit = {
    product: deps.metrics.cacheHits.labels('product'),
    list: deps.metrics.cacheHits.labels('list'),
    collection: deps.metrics.cacheHits.labels('collection'),
  };
  const miss = {
    product: deps.metrics.cacheMisses.labels('product'),
    list: deps.metrics.cacheMisses.labels('list'),
    collection: deps.metrics.cacheMisses.labels('collection'),
  };
  const maxAgeSeconds = deps.cacheMaxAgeSeconds;
  const publicHeaders = (etag: string) => catalogHeaders(etag, { isPublic: true, maxAgeSeconds });
  const privateHeaders = (etag: string) => catalogHeaders(etag, { isPublic: false, maxAgeSeconds });

  /** Sends a rendered body with its validators; 304 when the client already has it. */
  function send(c: Context<AppEnv>, entry: CachedBody, isPublic: boolean): Response {
    const headers = isPublic ? publicHeaders(entry.etag) : privateHeaders(entry.etag);
    if (etagMatches(c.req.header('if-none-match'), entry.etag)) return c.body(null, 304, headers);
    return c.body(entry.body, 200, headers);
  }

  const sendFresh = (c: Context<AppEnv>, value: unknown) => {
    const body = JSON.stringify(value);
    return send(c, { body, etag: etagOf(body) }, false);
  };

  /**
   * `/v1/products/search` belongs to the search module. Whatever the mount order, this module steps
   * aside for that literal segment: its middleware and handler call `next()` so the search route
   * (registered on the same app) answers, or the app's 404 when there is none. "search" is also a
   * reserved slug, so no product can ever be shadowed by it.
   */
  const unlessSearch =
    (mw: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
    async (c, next) =>
      c.req.param('id') === 'search' ? next() : mw(c, next);

  // ------------------------------------------------------------ products

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/products',
      tags: ['Catalog'],
      summary: 'List products (publishable keys see active products only)',
      security: ANY_KEY,
      middleware: any,
      request: {
        query: z.object({
          limit: limitParam,
          cursor: cursorParam,
          status: status.optional().openapi({ description: 'Secret keys only.' }),
        }),
      },
      responses: { 200: jsonContent(ProductList, 'Products in id order'), ...notModified, ...commonErrors },
    }),
    async (c) => {
      const auth = c.get('auth');
      const q = c.req.valid('query');
      if (auth.kind === 'publishable') {
        if (q.status !== undefined && q.status !== 'active') {
          throw new AppError('SECRET_KEY_REQUIRED', 'Filtering by status needs a secret key.', {
            param: 'status',
          });
        }
        // Remembered under the request's URL too: the same request is then answered before the router.
        const at = { url: pathAndQuery(c.req.url), kind: 'list' as const };
        const cached = service.cachedPage(auth.storeId, `p\n${q.limit}\n${q.cursor ?? ''}`);
        if (cached) {
          hit.list.inc();
          service.rememberUrl(auth.storeId, cached, at);
          return raw(send(c, cached, true));
        }
        miss.list.inc();
        const entry = await service.listActiveProductsCached(
          { storeId: auth.storeId, limit: q.limit, cursor: q.cursor },
          at,
        );
        return raw(send(c, entry, true));
      }
      const page = await service.listProducts({
        storeId: auth.storeId,
        status: q.status,
        limit: q.limit,
        cursor: q.cursor,
      });
      return raw(sendFresh(c, page));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/products',
      tags: ['Catalog'],
      summary: 'Create a product with its options, variants and images',
      security: SECRET_KEY,
      middleware: secret,
      request: { body: jsonBody(productCreate) },
      responses: { 201: jsonContent(ProductSchema, 'The product'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const p = await service.createProduct(
        c.get('auth').storeId,
        c.req.valid('json'),
        actorOf(c.get('auth')),
      );
      c.header('Cache-Control', 'private, no-store');
      return c.json(p, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/products/{id}',
      tags: ['Catalog'],
      summary:
        'Get a product by id or slug (publishable keys: active products only), with ETag and CDN headers',
      security: ANY_KEY,
      middleware: any.map(unlessSearch),
      request: { params: z.object({ id: productIdOrSlug }) },
      responses: { 200: jsonContent(ProductSchema, 'The product'), ...notModified, ...commonErrors },
    }),
    async (c, next) => {
      const idOrSlug = c.req.valid('param').id;
      if (idOrSlug === 'search') {
        await next();
        return undefined as never;
      }
      const auth = c.get('auth');
      if (auth.kind === 'publishable') {
        // The hot path: no database, no serialisation, no hashing.
        let entry = service.cachedProduct(auth.storeId, idOrSlug);
        if (entry) hit.product.inc();
        else {
          miss.product.inc();
          entry = await service.loadProductEntry(auth.storeId, idOrSlug);
        }
        if (!entry?.active) {
          throw new AppError('PRODUCT_NOT_FOUND', `No product ${idOrSlug}.`, { param: 'id' });
        }
        return raw(send(c, entry, true));
      }
      return raw(sendFresh(c, await service.getProduct(auth.storeId, idOrSlug)));
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/products/{id}',
      tags: ['Catalog'],
      summary: 'Update a product (optimistic concurrency: `version` or `If-Match`)',
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: productId }), headers: ifMatchHeader, body: jsonBody(productPatch) },
      responses: { 200: jsonContent(ProductSchema, 'The product'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const { version: bodyVersion, ...patch } = c.req.valid('json');
      const p = await service.updateProduct(
        c.get('auth').storeId,
        c.req.valid('param').id,
        await versionOf(c, bodyVersion, productNow(c.get('auth').storeId, c.req.valid('param').id)),
        patch,
        actorOf(c.get('auth')),
      );
      c.header('Cache-Control', 'private, no-store');
      return c.json(p, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/products/{id}',
      tags: ['Catalog'],
      summary: 'Delete a product and its variants (`If-Match` optional)',
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: productId }), headers: ifMatchHeader },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...conflict, ...commonErrors },
    }),
    async (c) =>
      c.json(
        await service.deleteProduct(
          c.get('auth').storeId,
          c.req.valid('param').id,
          await versionOf(c, undefined, productNow(c.get('auth').storeId, c.req.valid('param').id)),
          actorOf(c.get('auth')),
        ),
        200,
      ),
  );

  // ------------------------------------------------------------ variants

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/products/{id}/variants',
      tags: ['Catalog'],
      summary: 'Add a variant to a product',
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: productId }), headers: ifMatchHeader, body: jsonBody(variantInput) },
      responses: { 201: jsonContent(VariantSchema, 'The variant'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const v = await service.createVariant(
        c.get('auth').storeId,
        c.req.valid('param').id,
        c.req.valid('json'),
        await versionOf(c, undefined, productNow(c.get('auth').storeId, c.req.valid('param').id)),
        actorOf(c.get('auth')),
      );
      return c.json(v, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/variants/by-sku/{sku}',
      tags: ['Catalog'],
      summary: 'Get a variant by SKU (publishable keys: of active products only)',
      security: ANY_KEY,
      middleware: any,
      request: { params: z.object({ sku }) },
      responses: { 200: jsonContent(VariantSchema, 'The variant'), ...notModified, ...commonErrors },
    }),
    async (c) => {
      const auth = c.get('auth');
      const v = await service.getVariant(
        auth.storeId,
        { sku: c.req.valid('param').sku },
        {
          activeOnly: auth.kind === 'publishable',
        },
      );
      return raw(sendFresh(c, v));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/variants/{id}',
      tags: ['Catalog'],
      summary: 'Get a variant (publishable keys: of active products only)',
      security: ANY_KEY,
      middleware: any,
      request: { params: z.object({ id: variantId }) },
      responses: { 200: jsonContent(VariantSchema, 'The variant'), ...notModified, ...commonErrors },
    }),
    async (c) => {
      const auth = c.get('auth');
      const v = await service.getVariant(
        auth.storeId,
        { id: c.req.valid('param').id },
        {
          activeOnly: auth.kind === 'publishable',
        },
      );
      return raw(sendFresh(c, v));
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/variants/{id}',
      tags: ['Catalog'],
      summary: "Update a variant (the product's `version` or `If-Match` is checked when sent)",
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: variantId }), headers: ifMatchHeader, body: jsonBody(variantPatch) },
      responses: { 200: jsonContent(VariantSchema, 'The variant'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const { version: bodyVersion, ...patch } = c.req.valid('json');
      const v = await service.updateVariant(
        c.get('auth').storeId,
        c.req.valid('param').id,
        patch,
        await versionOf(c, bodyVersion, productOfVariantNow(c.get('auth').storeId, c.req.valid('param').id)),
        actorOf(c.get('auth')),
      );
      return c.json(v, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/variants/{id}',
      tags: ['Catalog'],
      summary: 'Delete a variant',
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: variantId }), headers: ifMatchHeader },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...conflict, ...commonErrors },
    }),
    async (c) =>
      c.json(
        await service.deleteVariant(
          c.get('auth').storeId,
          c.req.valid('param').id,
          await versionOf(c, undefined, productOfVariantNow(c.get('auth').storeId, c.req.valid('param').id)),
          actorOf(c.get('auth')),
        ),
        200,
      ),
  );

  // ------------------------------------------------------------ collections

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/collections',
      tags: ['Catalog'],
      summary: 'List collections',
      security: ANY_KEY,
      middleware: any,
      request: { query: z.object({ limit: limitParam, cursor: cursorParam }) },
      responses: {
        200: jsonContent(listOf(CollectionSchema).openapi('CollectionList'), 'Collections in id order'),
        ...notModified,
        ...commonErrors,
      },
    }),
    async (c) => {
      const auth = c.get('auth');
      const q = c.req.valid('query');
      if (auth.kind === 'secret') {
        return raw(sendFresh(c, await service.listCollections({ storeId: auth.storeId, ...q })));
      }
      const cached = service.cachedPage(auth.storeId, `l\n${q.limit}\n${q.cursor ?? ''}`);
      if (cached) {
        hit.list.inc();
        return raw(send(c, cached, true));
      }
      miss.list.inc();
      return raw(send(c, await service.listCollectionsCached({ storeId: auth.storeId, ...q }), true));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/collections',
      tags: ['Catalog'],
      summary: 'Create a collection, optionally with its products in order',
      security: SECRET_KEY,
      middleware: secret,
      request: { body: jsonBody(collectionCreate) },
      responses: { 201: jsonContent(CollectionSchema, 'The collection'), ...conflict, ...commonErrors },
    }),
    async (c) =>
      c.json(
        await service.createCollection(c.get('auth').storeId, c.req.valid('json'), actorOf(c.get('auth'))),
        201,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/collections/{id}',
      tags: ['Catalog'],
      summary: 'Get a collection by id or slug with a page of its products, in collection order',
      security: ANY_KEY,
      middleware: any,
      request: {
        params: z.object({ id: collectionIdOrSlug }),
        query: z.object({ limit: limitParam, cursor: cursorParam }),
      },
      responses: {
        200: jsonContent(CollectionWithProducts, 'The collection and a page of products'),
        ...notModified,
        ...commonErrors,
      },
    }),
    async (c) => {
      const auth = c.get('auth');
      const { id: idOrSlug } = c.req.valid('param');
      const q = c.req.valid('query');
      if (auth.kind === 'publishable') {
        const cached = service.cachedPage(auth.storeId, `c\n${idOrSlug}\n${q.limit}\n${q.cursor ?? ''}`);
        if (cached) {
          hit.collection.inc();
          return raw(send(c, cached, true));
        }
        miss.collection.inc();
        const entry = await service.collectionWithProductsCached({
          storeId: auth.storeId,
          idOrSlug,
          limit: q.limit,
          cursor: q.cursor,
        });
        return raw(send(c, entry, true));
      }
      const value = await service.collectionWithProducts({
        storeId: auth.storeId,
        idOrSlug,
        activeOnly: false,
        limit: q.limit,
        cursor: q.cursor,
      });
      return raw(sendFresh(c, value));
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/collections/{id}',
      tags: ['Catalog'],
      summary: 'Update a collection (optimistic concurrency: `version` or `If-Match`)',
      security: SECRET_KEY,
      middleware: secret,
      request: {
        params: z.object({ id: collectionId }),
        headers: ifMatchHeader,
        body: jsonBody(collectionPatch),
      },
      responses: { 200: jsonContent(CollectionSchema, 'The collection'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const { version: bodyVersion, ...patch } = c.req.valid('json');
      const col = await service.updateCollection(
        c.get('auth').storeId,
        c.req.valid('param').id,
        await versionOf(c, bodyVersion),
        patch,
        actorOf(c.get('auth')),
      );
      return c.json(col, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/collections/{id}',
      tags: ['Catalog'],
      summary: 'Delete a collection (its products stay)',
      security: SECRET_KEY,
      middleware: secret,
      request: { params: z.object({ id: collectionId }), headers: ifMatchHeader },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...conflict, ...commonErrors },
    }),
    async (c) =>
      c.json(
        await service.deleteCollection(
          c.get('auth').storeId,
          c.req.valid('param').id,
          await versionOf(c, undefined),
          actorOf(c.get('auth')),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/collections/{id}/products',
      tags: ['Catalog'],
      summary: "Set a collection's products and their order",
      security: SECRET_KEY,
      middleware: secret,
      request: {
        params: z.object({ id: collectionId }),
        headers: ifMatchHeader,
        body: jsonBody(
          z.strictObject({ product_ids: z.array(productId).max(10_000), version: version.optional() }),
        ),
      },
      responses: { 200: jsonContent(CollectionSchema, 'The collection'), ...conflict, ...commonErrors },
    }),
    async (c) => {
      const { product_ids, version: bodyVersion } = c.req.valid('json');
      const col = await service.setCollectionProducts(
        c.get('auth').storeId,
        c.req.valid('param').id,
        product_ids,
        await versionOf(c, bodyVersion),
        actorOf(c.get('auth')),
      );
      return c.json(col, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/products/{id}/history',
      tags: ['Catalog'],
      summary: 'Who changed a product, its variants and its collections, newest first',
      description:
        'One entry per change made through the API: `action` (`product.updated`, `variant.created`, …), ' +
        '`subject_id` (the variant or collection concerned) and `actor` (`staff:<id>`, `key:<id>` or `system`).',
      security: SECRET_KEY,
      middleware: secret,
      request: {
        params: z.object({ id: productId }),
        query: z.object({ limit: limitParam, cursor: cursorParam }),
      },
      responses: { 200: jsonContent(listOf(HistoryEntrySchema), 'Newest first'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = cursorId('product_history', q.cursor);
      const rows = await service.productHistory({
        storeId: c.get('auth').storeId,
        productId: c.req.valid('param').id,
        beforeSeq: before === null ? null : Number(before),
        limit: q.limit,
      });
      const entries = rows.map((r) => ({
        id: String(r.seq),
        object: 'catalog_history_entry' as const,
        action: r.action,
        subject_id: r.subjectId,
        actor: r.actor,
        created_at: r.createdAt.toISOString(),
      }));
      return c.json(idList('product_history', entries, q.limit), 200);
    },
  );

  return app;
}
