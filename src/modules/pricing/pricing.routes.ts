import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import { expectedVersion } from '../../shared/http/if-match.ts';
import {
  commonErrors,
  createRouter,
  ErrorSchema,
  jsonBody,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, decodeCursor, encodeCursor, limitParam, list } from '../../shared/http/pagination.ts';
import {
  type PricingService,
  serializeCoupon,
  serializeShippingRate,
  serializeTaxRate,
} from './pricing.service.ts';

// Amounts in minor units: well inside Number.MAX_SAFE_INTEGER even after summing many lines.
const amount = z.number().int().min(0).max(1_000_000_000_000);
const dateTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
  .transform((s) => s.toUpperCase());
const couponCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1 to 64 letters, digits, - or _');
const version = z.number().int().min(1).max(2_147_483_647);

const couponId = z.string().regex(/^cpn_[0-9a-z]{26}$/, 'must be a coupon id (cpn_…)');
const taxRateId = z.string().regex(/^txr_[0-9a-z]{26}$/, 'must be a tax rate id (txr_…)');
const shippingRateId = z.string().regex(/^shr_[0-9a-z]{26}$/, 'must be a shipping rate id (shr_…)');

const ifMatchHeaders = z.object({
  'if-match': z.string().max(64).optional().openapi({ description: 'The version you last read, e.g. "3".' }),
});

const stamps = { version: z.number().int(), created_at: z.string(), updated_at: z.string() };

const CouponSchema = z
  .object({
    id: z.string(),
    object: z.literal('coupon'),
    code: z.string(),
    kind: z.enum(['percent', 'fixed', 'free_shipping']),
    value: z.number().int(),
    min_subtotal: z.number().int(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    usage_limit: z.number().int().nullable(),
    used_count: z.number().int(),
    active: z.boolean(),
    ...stamps,
  })
  .openapi('Coupon');

const TaxRateSchema = z
  .object({
    id: z.string(),
    object: z.literal('tax_rate'),
    country: z.string(),
    region: z.string().nullable(),
    rate: z.number().int().openapi({ description: 'Basis points: 2000 = 20%.' }),
    name: z.string(),
    applies_to_shipping: z.boolean(),
    ...stamps,
  })
  .openapi('TaxRate');

const WeightBandSchema = z.strictObject({ up_to_grams: z.number().int().min(1).max(100_000_000), amount });

const ShippingRateSchema = z
  .object({
    id: z.string(),
    object: z.literal('shipping_rate'),
    name: z.string(),
    countries: z.array(z.string()),
    kind: z.enum(['flat', 'weight']),
    amount: z.number().int(),
    weight_bands: z.array(z.object({ up_to_grams: z.number().int(), amount: z.number().int() })),
    free_above: z.number().int().nullable(),
    ...stamps,
  })
  .openapi('ShippingRate');

const couponFields = {
  code: couponCode,
  kind: z.enum(['percent', 'fixed', 'free_shipping']),
  value: amount.openapi({
    description: 'Percent (1..100) for `percent`, minor units for `fixed`, 0 for `free_shipping`.',
  }),
  min_subtotal: amount,
  starts_at: dateTime.nullable(),
  ends_at: dateTime.nullable(),
  usage_limit: z.number().int().min(1).max(2_147_483_647).nullable(),
  active: z.boolean(),
};
const CouponCreate = z.strictObject({
  ...couponFields,
  value: couponFields.value.default(0),
  min_subtotal: couponFields.min_subtotal.default(0),
  starts_at: couponFields.starts_at.default(null),
  ends_at: couponFields.ends_at.default(null),
  usage_limit: couponFields.usage_limit.default(null),
  active: couponFields.active.default(true),
});
const CouponPatch = z.strictObject({
  code: couponFields.code.optional(),
  kind: couponFields.kind.optional(),
  value: couponFields.value.optional(),
  min_subtotal: couponFields.min_subtotal.optional(),
  starts_at: couponFields.starts_at.optional(),
  ends_at: couponFields.ends_at.optional(),
  usage_limit: couponFields.usage_limit.optional(),
  active: couponFields.active.optional(),
  version: version.optional(),
});

const taxFields = {
  country,
  region: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{1,3}(-[A-Za-z0-9]{1,3})?$/, 'must be a subdivision code such as CA or US-CA')
    .nullable(),
  rate: z.number().int().min(0).max(10_000).openapi({ description: 'Basis points: 2000 = 20%.' }),
  name: z.string().trim().min(1).max(100),
  applies_to_shipping: z.boolean(),
};
const TaxRateCreate = z.strictObject({
  ...taxFields,
  region: taxFields.region.default(null),
  applies_to_shipping: taxFields.applies_to_shipping.default(false),
});
const TaxRatePatch = z.strictObject({
  country: taxFields.country.optional(),
  region: taxFields.region.optional(),
  rate: taxFields.rate.optional(),
  name: taxFields.name.optional(),
  applies_to_shipping: taxFields.applies_to_shipping.optional(),
  version: version.optional(),
});

const shippingFields = {
  name: z.string().trim().min(1).max(100),
  countries: z
    .array(z.union([z.literal('*'), country]))
    .min(1)
    .max(250)
    .openapi({ description: "ISO 3166-1 alpha-2 codes, or ['*'] for the rest of the world." }),
  kind: z.enum(['flat', 'weight']),
  amount,
  weight_bands: z.array(WeightBandSchema).max(50),
  free_above: amount.nullable(),
};
const ShippingRateCreate = z.strictObject({
  ...shippingFields,
  kind: shippingFields.kind.default('flat'),
  amount: shippingFields.amount.default(0),
  weight_bands: shippingFields.weight_bands.default([]),
  free_above: shippingFields.free_above.default(null),
});
const ShippingRatePatch = z.strictObject({
  name: shippingFields.name.optional(),
  countries: shippingFields.countries.optional(),
  kind: shippingFields.kind.optional(),
  amount: shippingFields.amount.optional(),
  weight_bands: shippingFields.weight_bands.optional(),
  free_above: shippingFields.free_above.optional(),
  version: version.optional(),
});

const bands = (b: { up_to_grams: number; amount: number }[] | undefined) =>
  b?.map((x) => ({ upToGrams: x.up_to_grams, amount: x.amount }));

const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  });

const Deleted = z.object({ id: z.string(), object: z.string(), deleted: z.literal(true) }).openapi('Deleted');
const conflictErrors = {
  ...commonErrors,
  409: jsonContent(ErrorSchema, 'Conflict: code taken, duplicate rate, or version changed'),
};

export function pricingRoutes(deps: {
  service: PricingService;
  secret: readonly MiddlewareHandler<AppEnv>[];
}) {
  const { service } = deps;
  const app = createRouter();
  for (const p of [
    '/v1/coupons',
    '/v1/coupons/*',
    '/v1/tax-rates',
    '/v1/tax-rates/*',
    '/v1/shipping-rates',
    '/v1/shipping-rates/*',
  ]) {
    app.use(p, ...deps.secret);
  }

  // ---- coupons

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/coupons',
      tags: ['Pricing'],
      summary: 'Create a coupon',
      security: SECRET_KEY,
      request: { body: jsonBody(CouponCreate) },
      responses: { 201: jsonContent(CouponSchema, 'The coupon'), ...conflictErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.createCoupon(c.get('auth').storeId, {
        code: b.code,
        kind: b.kind,
        value: b.value,
        minSubtotal: b.min_subtotal,
        startsAt: b.starts_at,
        endsAt: b.ends_at,
        usageLimit: b.usage_limit,
        active: b.active,
      });
      return c.json(serializeCoupon(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/coupons',
      tags: ['Pricing'],
      summary: 'List coupons, newest first',
      security: SECRET_KEY,
      request: { query: z.object({ limit: limitParam, cursor: cursorParam }) },
      responses: { 200: jsonContent(listOf(CouponSchema), 'Coupons'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor('coupons', q.cursor, 1)?.[0];
      const rows = await service.listCoupons(c.get('auth').storeId, {
        limit: q.limit,
        before: before ? String(before) : null,
      });
      return c.json(
        list(rows.map(serializeCoupon), q.limit, (l) => encodeCursor('coupons', [l.id])),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/coupons/code/{code}',
      tags: ['Pricing'],
      summary: 'Look up a coupon by code (case-insensitive)',
      security: SECRET_KEY,
      request: { params: z.object({ code: couponCode }) },
      responses: { 200: jsonContent(CouponSchema, 'The coupon'), ...commonErrors },
    }),
    async (c) => {
      const row = await service.getCouponByCode(c.get('auth').storeId, c.req.valid('param').code);
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeCoupon(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/coupons/{id}',
      tags: ['Pricing'],
      summary: 'Get a coupon',
      security: SECRET_KEY,
      request: { params: z.object({ id: couponId }) },
      responses: { 200: jsonContent(CouponSchema, 'The coupon'), ...commonErrors },
    }),
    async (c) => {
      const row = await service.getCoupon(c.get('auth').storeId, c.req.valid('param').id);
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeCoupon(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/coupons/{id}',
      tags: ['Pricing'],
      summary: 'Update a coupon (optimistic: `version` or `If-Match`)',
      security: SECRET_KEY,
      request: { params: z.object({ id: couponId }), headers: ifMatchHeaders, body: jsonBody(CouponPatch) },
      responses: { 200: jsonContent(CouponSchema, 'The coupon'), ...conflictErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateCoupon(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await expectedVersion({
          bodyVersion: b.version,
          ifMatch: c.req.valid('header')['if-match'],
        }),
        code: b.code,
        kind: b.kind,
        value: b.value,
        minSubtotal: b.min_subtotal,
        startsAt: b.starts_at,
        endsAt: b.ends_at,
        usageLimit: b.usage_limit,
        active: b.active,
      });
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeCoupon(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/coupons/{id}',
      tags: ['Pricing'],
      summary: 'Delete a coupon',
      security: SECRET_KEY,
      request: { params: z.object({ id: couponId }) },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await service.deleteCoupon(c.get('auth').storeId, id);
      return c.json({ id, object: 'coupon', deleted: true as const }, 200);
    },
  );

  // ---- tax rates

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tax-rates',
      tags: ['Pricing'],
      summary: 'Create a tax rate for a country, or a region of it',
      security: SECRET_KEY,
      request: { body: jsonBody(TaxRateCreate) },
      responses: { 201: jsonContent(TaxRateSchema, 'The tax rate'), ...conflictErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.createTaxRate(c.get('auth').storeId, {
        country: b.country,
        region: b.region,
        rate: b.rate,
        name: b.name,
        appliesToShipping: b.applies_to_shipping,
      });
      return c.json(serializeTaxRate(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tax-rates',
      tags: ['Pricing'],
      summary: 'List tax rates, newest first',
      security: SECRET_KEY,
      request: {
        query: z.object({
          limit: limitParam,
          cursor: cursorParam,
          country: country.optional().openapi({ param: { name: 'country', in: 'query' } }),
        }),
      },
      responses: { 200: jsonContent(listOf(TaxRateSchema), 'Tax rates'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor('tax_rates', q.cursor, 1)?.[0];
      const rows = await service.listTaxRates(c.get('auth').storeId, {
        limit: q.limit,
        before: before ? String(before) : null,
        country: q.country,
      });
      return c.json(
        list(rows.map(serializeTaxRate), q.limit, (l) => encodeCursor('tax_rates', [l.id])),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tax-rates/{id}',
      tags: ['Pricing'],
      summary: 'Get a tax rate',
      security: SECRET_KEY,
      request: { params: z.object({ id: taxRateId }) },
      responses: { 200: jsonContent(TaxRateSchema, 'The tax rate'), ...commonErrors },
    }),
    async (c) => {
      const row = await service.getTaxRate(c.get('auth').storeId, c.req.valid('param').id);
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeTaxRate(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/tax-rates/{id}',
      tags: ['Pricing'],
      summary: 'Update a tax rate (optimistic: `version` or `If-Match`)',
      security: SECRET_KEY,
      request: { params: z.object({ id: taxRateId }), headers: ifMatchHeaders, body: jsonBody(TaxRatePatch) },
      responses: { 200: jsonContent(TaxRateSchema, 'The tax rate'), ...conflictErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateTaxRate(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await expectedVersion({
          bodyVersion: b.version,
          ifMatch: c.req.valid('header')['if-match'],
        }),
        country: b.country,
        region: b.region,
        rate: b.rate,
        name: b.name,
        appliesToShipping: b.applies_to_shipping,
      });
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeTaxRate(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tax-rates/{id}',
      tags: ['Pricing'],
      summary: 'Delete a tax rate',
      security: SECRET_KEY,
      request: { params: z.object({ id: taxRateId }) },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await service.deleteTaxRate(c.get('auth').storeId, id);
      return c.json({ id, object: 'tax_rate', deleted: true as const }, 200);
    },
  );

  // ---- shipping rates

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipping-rates',
      tags: ['Pricing'],
      summary: 'Create a shipping rate (flat or by weight band)',
      security: SECRET_KEY,
      request: { body: jsonBody(ShippingRateCreate) },
      responses: { 201: jsonContent(ShippingRateSchema, 'The shipping rate'), ...commonErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.createShippingRate(c.get('auth').storeId, {
        name: b.name,
        countries: b.countries,
        kind: b.kind,
        amount: b.amount,
        weightBands: bands(b.weight_bands) ?? [],
        freeAbove: b.free_above,
      });
      return c.json(serializeShippingRate(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipping-rates',
      tags: ['Pricing'],
      summary: 'List shipping rates, newest first',
      security: SECRET_KEY,
      request: { query: z.object({ limit: limitParam, cursor: cursorParam }) },
      responses: { 200: jsonContent(listOf(ShippingRateSchema), 'Shipping rates'), ...commonErrors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = decodeCursor('shipping_rates', q.cursor, 1)?.[0];
      const rows = await service.listShippingRates(c.get('auth').storeId, {
        limit: q.limit,
        before: before ? String(before) : null,
      });
      return c.json(
        list(rows.map(serializeShippingRate), q.limit, (l) => encodeCursor('shipping_rates', [l.id])),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipping-rates/{id}',
      tags: ['Pricing'],
      summary: 'Get a shipping rate',
      security: SECRET_KEY,
      request: { params: z.object({ id: shippingRateId }) },
      responses: { 200: jsonContent(ShippingRateSchema, 'The shipping rate'), ...commonErrors },
    }),
    async (c) => {
      const row = await service.getShippingRate(c.get('auth').storeId, c.req.valid('param').id);
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeShippingRate(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/shipping-rates/{id}',
      tags: ['Pricing'],
      summary: 'Update a shipping rate (optimistic: `version` or `If-Match`)',
      security: SECRET_KEY,
      request: {
        params: z.object({ id: shippingRateId }),
        headers: ifMatchHeaders,
        body: jsonBody(ShippingRatePatch),
      },
      responses: { 200: jsonContent(ShippingRateSchema, 'The shipping rate'), ...conflictErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateShippingRate(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await expectedVersion({
          bodyVersion: b.version,
          ifMatch: c.req.valid('header')['if-match'],
        }),
        name: b.name,
        countries: b.countries,
        kind: b.kind,
        amount: b.amount,
        weightBands: bands(b.weight_bands),
        freeAbove: b.free_above,
      });
      c.header('ETag', `"${row.version}"`);
      return c.json(serializeShippingRate(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/shipping-rates/{id}',
      tags: ['Pricing'],
      summary: 'Delete a shipping rate',
      security: SECRET_KEY,
      request: { params: z.object({ id: shippingRateId }) },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await service.deleteShippingRate(c.get('auth').storeId, id);
      return c.json({ id, object: 'shipping_rate', deleted: true as const }, 200);
    },
  );

  return app;
}
