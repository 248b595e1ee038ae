import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { AppError } from '../../shared/app-error.ts';
import { idParam } from '../../shared/http/crud.ts';
import type { AppEnv, AuthContext } from '../../shared/http/env.ts';
import { commonErrors, createRouter, jsonContent, SECRET_KEY } from '../../shared/http/openapi.ts';
import type { Reports } from './analytics.reports.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD (UTC)')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real day');
const range = {
  from: day
    .optional()
    .openapi({ description: 'First day (UTC), inclusive; 29 days before `to` by default.' }),
  to: day.optional().openapi({ description: 'Last day (UTC), inclusive; today by default.' }),
};
const limit = z.coerce.number().int().min(1).max(100).default(20);
const rate = z.number().nullable();
const StepSchema = z.object({
  step: z.enum(['product_viewed', 'product_added', 'checkout_started', 'order_completed']),
  sessions: z.number().int(),
  conversion_rate: rate.openapi({ description: 'Sessions of this step / sessions of the step before.' }),
  drop_off_rate: rate,
});
const SalesSchema = z.object({
  currency: z.string(),
  orders: z.number().int(),
  revenue: z.number().int(),
  average_order_value: z.number().int(),
});
const scopeOf = (auth: AuthContext) => ({ storeId: auth.storeId, livemode: auth.mode === 'live' });

/**
 * Reports on the daily rollups (`analytics.rollup`, every few minutes) and, for the overview, on live data.
 * A secret key or a staff token of any role; the key's mode picks test or live data.
 */
export function reportsRoutes(deps: { reports: Reports; secret: readonly MiddlewareHandler<AppEnv>[] }) {
  const { reports } = deps;
  const app = createRouter();
  app.use('/v1/reports/*', every(...deps.secret));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/funnel',
      tags: ['Reports'],
      summary: 'Funnel: product viewed → added → checkout started → order completed, in sessions, per day',
      security: SECRET_KEY,
      request: {
        query: z.object({
          ...range,
          product_id: idParam('product', 'product').optional().openapi({
            description:
              'Only sessions that viewed or added this product (checkouts and orders: that added it).',
          }),
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('funnel_report'),
            from: z.string(),
            to: z.string(),
            product_id: z.string().nullable(),
            total: z.array(StepSchema),
            days: z.array(z.object({ day: z.string(), steps: z.array(StepSchema) })),
          }),
          'The funnel',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await reports.funnel(scopeOf(c.get('auth')), { ...q, productId: q.product_id }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/sales',
      tags: ['Reports'],
      summary: 'Revenue, orders and average order value per day (paid orders, by day of payment)',
      security: SECRET_KEY,
      request: { query: z.object({ ...range, interval: z.enum(['day']).default('day') }) },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('sales_report'),
            from: z.string(),
            to: z.string(),
            interval: z.literal('day'),
            totals: z.array(SalesSchema),
            data: z.array(SalesSchema.extend({ day: z.string() })),
          }),
          'Sales',
        ),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await reports.sales(scopeOf(c.get('auth')), c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/top_products',
      tags: ['Reports'],
      summary: 'Products by sessions that added them to a cart, then by views',
      security: SECRET_KEY,
      request: { query: z.object({ ...range, limit }) },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('top_products_report'),
            from: z.string(),
            to: z.string(),
            data: z.array(
              z.object({
                product_id: z.string(),
                views: z.number().int(),
                adds: z.number().int(),
                checkouts: z.number().int(),
                orders: z.number().int(),
                add_rate: rate,
              }),
            ),
          }),
          'Top products',
        ),
        ...commonErrors,
      },
    }),
    async (c) => c.json(await reports.topProducts(scopeOf(c.get('auth')), c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/search_terms',
      tags: ['Reports'],
      summary: 'Searches that found nothing, most frequent first',
      security: SECRET_KEY,
      request: {
        query: z.object({
          ...range,
          no_results: z
            .enum(['true', 'false'])
            .default('true')
            .openapi({ description: 'Only `true` is kept: searches that matched nothing.' }),
          limit,
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('search_terms_report'),
            from: z.string(),
            to: z.string(),
            no_results: z.literal(true),
            data: z.array(
              z.object({ term: z.string(), searches: z.number().int(), last_searched_at: z.string() }),
            ),
          }),
          'Search terms',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      if (q.no_results !== 'true') {
        throw new AppError(
          'VALIDATION_FAILED',
          'Only searches without results are recorded: no_results=true.',
          {
            param: 'no_results',
          },
        );
      }
      return c.json(await reports.searchTerms(scopeOf(c.get('auth')), q), 200);
    },
  );

  const WindowSchema = z.object({
    from: z.string(),
    sales: z.array(SalesSchema),
    sessions: z.number().int().openapi({ description: 'Sessions with a `page_viewed` event.' }),
    converted_sessions: z
      .number()
      .int()
      .openapi({ description: 'Sessions with an `order_completed` event.' }),
    conversion_rate: rate,
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/reports/overview',
      tags: ['Reports'],
      summary:
        'Today and the last 30 days: revenue, orders, average order value, conversion rate (live data)',
      security: SECRET_KEY,
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('overview_report'),
            generated_at: z.string(),
            today: WindowSchema,
            last_30_days: WindowSchema,
          }),
          'Overview',
        ),
        ...commonErrors,
      },
    }),
    async (c) => c.json((await reports.overview(scopeOf(c.get('auth')))) as never, 200),
  );

  return app;
}
