import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  crudRoutes,
  cursorId,
  deleted,
  idList,
  money,
  pageQuery,
  resourceVersion,
  versionETag,
  versionOf,
} from '../../shared/http/crud.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  ErrorSchema,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, limitParam } from '../../shared/http/pagination.ts';
import {
  type PricingService,
  serializeCoupon,
  serializeShippingRate,
  serializeTaxRate,
} from './pricing.service.ts';

const amount = money;
const dateTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
  .transform((s) => s.toUpperCase());
const couponCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1 to 64 letters, digits, - or _');
const version = resourceVersion;

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

const conflictErrors = {
  ...commonErrors,
  409: jsonContent(ErrorSchema, 'Conflict: code taken, duplicate rate, or version changed'),
};

const pricing = { tags: ['Pricing'], security: SECRET_KEY };
const coupons = crudRoutes({
  path: '/v1/coupons',
  kind: 'coupon',
  noun: 'coupon',
  schema: CouponSchema,
  one: 'The coupon',
  ...pricing,
});
const taxRates = crudRoutes({
  path: '/v1/tax-rates',
  kind: 'taxRate',
  noun: 'tax rate',
  schema: TaxRateSchema,
  one: 'The tax rate',
  ...pricing,
});
const shippingRates = crudRoutes({
  path: '/v1/shipping-rates',
  kind: 'shippingRate',
  noun: 'shipping rate',
  schema: ShippingRateSchema,
  one: 'The shipping rate',
  ...pricing,
});

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
    coupons.create({ summary: 'Create a coupon', body: CouponCreate, errors: conflictErrors }),
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
    coupons.list({ summary: 'List coupons, newest first', query: pageQuery, description: 'Coupons' }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await service.listCoupons(c.get('auth').storeId, {
        limit: q.limit,
        before: cursorId('coupons', q.cursor),
      });
      return c.json(idList('coupons', rows.map(serializeCoupon), q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/coupons/code/{code}',
      tags: pricing.tags,
      summary: 'Look up a coupon by code (case-insensitive)',
      security: pricing.security,
      request: { params: z.object({ code: couponCode }) },
      responses: { 200: jsonContent(CouponSchema, 'The coupon'), ...commonErrors },
    }),
    async (c) => {
      const row = await service.getCouponByCode(c.get('auth').storeId, c.req.valid('param').code);
      versionETag(c, row);
      return c.json(serializeCoupon(row), 200);
    },
  );

  app.openapi(coupons.get({ summary: 'Get a coupon' }), async (c) => {
    const row = await service.getCoupon(c.get('auth').storeId, c.req.valid('param').id);
    versionETag(c, row);
    return c.json(serializeCoupon(row), 200);
  });

  app.openapi(
    coupons.patch({
      summary: 'Update a coupon (optimistic: `version` or `If-Match`)',
      body: CouponPatch,
      errors: conflictErrors,
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateCoupon(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await versionOf(c, b.version),
        code: b.code,
        kind: b.kind,
        value: b.value,
        minSubtotal: b.min_subtotal,
        startsAt: b.starts_at,
        endsAt: b.ends_at,
        usageLimit: b.usage_limit,
        active: b.active,
      });
      versionETag(c, row);
      return c.json(serializeCoupon(row), 200);
    },
  );

  app.openapi(coupons.delete({ summary: 'Delete a coupon' }), async (c) => {
    const { id } = c.req.valid('param');
    await service.deleteCoupon(c.get('auth').storeId, id);
    return c.json(deleted(id, 'coupon'), 200);
  });

  // ---- tax rates

  app.openapi(
    taxRates.create({
      summary: 'Create a tax rate for a country, or a region of it',
      body: TaxRateCreate,
      errors: conflictErrors,
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
    taxRates.list({
      summary: 'List tax rates, newest first',
      query: z.object({
        limit: limitParam,
        cursor: cursorParam,
        country: country.optional().openapi({ param: { name: 'country', in: 'query' } }),
      }),
      description: 'Tax rates',
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await service.listTaxRates(c.get('auth').storeId, {
        limit: q.limit,
        before: cursorId('tax_rates', q.cursor),
        country: q.country,
      });
      return c.json(idList('tax_rates', rows.map(serializeTaxRate), q.limit), 200);
    },
  );

  app.openapi(taxRates.get({ summary: 'Get a tax rate' }), async (c) => {
    const row = await service.getTaxRate(c.get('auth').storeId, c.req.valid('param').id);
    versionETag(c, row);
    return c.json(serializeTaxRate(row), 200);
  });

  app.openapi(
    taxRates.patch({
      summary: 'Update a tax rate (optimistic: `version` or `If-Match`)',
      body: TaxRatePatch,
      errors: conflictErrors,
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateTaxRate(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await versionOf(c, b.version),
        country: b.country,
        region: b.region,
        rate: b.rate,
        name: b.name,
        appliesToShipping: b.applies_to_shipping,
      });
      versionETag(c, row);
      return c.json(serializeTaxRate(row), 200);
    },
  );

  app.openapi(taxRates.delete({ summary: 'Delete a tax rate' }), async (c) => {
    const { id } = c.req.valid('param');
    await service.deleteTaxRate(c.get('auth').storeId, id);
    return c.json(deleted(id, 'tax_rate'), 200);
  });

  // ---- shipping rates

  app.openapi(
    shippingRates.create({
      summary: 'Create a shipping rate (flat or by weight band)',
      body: ShippingRateCreate,
      errors: commonErrors,
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
    shippingRates.list({
      summary: 'List shipping rates, newest first',
      query: pageQuery,
      description: 'Shipping rates',
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await service.listShippingRates(c.get('auth').storeId, {
        limit: q.limit,
        before: cursorId('shipping_rates', q.cursor),
      });
      return c.json(idList('shipping_rates', rows.map(serializeShippingRate), q.limit), 200);
    },
  );

  app.openapi(shippingRates.get({ summary: 'Get a shipping rate' }), async (c) => {
    const row = await service.getShippingRate(c.get('auth').storeId, c.req.valid('param').id);
    versionETag(c, row);
    return c.json(serializeShippingRate(row), 200);
  });

  app.openapi(
    shippingRates.patch({
      summary: 'Update a shipping rate (optimistic: `version` or `If-Match`)',
      body: ShippingRatePatch,
      errors: conflictErrors,
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.updateShippingRate(c.get('auth').storeId, c.req.valid('param').id, {
        expectedVersion: await versionOf(c, b.version),
        name: b.name,
        countries: b.countries,
        kind: b.kind,
        amount: b.amount,
        weightBands: bands(b.weight_bands),
        freeAbove: b.free_above,
      });
      versionETag(c, row);
      return c.json(serializeShippingRate(row), 200);
    },
  );

  app.openapi(shippingRates.delete({ summary: 'Delete a shipping rate' }), async (c) => {
    const { id } = c.req.valid('param');
    await service.deleteShippingRate(c.get('auth').storeId, id);
    return c.json(deleted(id, 'shipping_rate'), 200);
  });

  return app;
}
