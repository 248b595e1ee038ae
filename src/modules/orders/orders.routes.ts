import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { type AppEnv, type AuthContext, actorOf } from '../../shared/http/env.ts';
import { commonErrors, createRouter, jsonBody, jsonContent, SECRET_KEY } from '../../shared/http/openapi.ts';
import { cursorParam, decodeCursor, encodeCursor, limitParam, list } from '../../shared/http/pagination.ts';
import { EmailSchema } from '../mail/index.ts';
import {
  serializeEvent,
  serializeFulfillment,
  serializeOrder,
  serializePayment,
  serializePublicOrder,
  serializeRefund,
} from './orders.serialize.ts';
import type { OrderScope, OrdersService } from './orders.service.ts';
import { ORDER_STATUSES } from './orders.tables.ts';

export const ORDER_ID = /^ord_[0-9a-z]{26}$/;

/** What a key sees of orders: its store, in its mode (test keys never see live orders, nor the other way). */
export const orderScope = (auth: AuthContext): OrderScope => ({
  storeId: auth.storeId,
  livemode: auth.mode === 'live',
  actor: actorOf(auth),
});
const ANY_KEY: Record<string, string[]>[] = [{ publishableKey: [] }, { secretKey: [] }];

const money = z.number().int();
const LineSchema = z.object({
  object: z.literal('order_line'),
  variant_id: z.string(),
  product_id: z.string().nullable(),
  sku: z.string(),
  product_title: z.string(),
  title: z.string(),
  unit_price: money,
  quantity: z.number().int(),
  subtotal: money,
  discount: money,
  tax: money,
  total: money,
});

export const OrderSchema = z
  .looseObject({
    id: z.string(),
    object: z.literal('order'),
    livemode: z.boolean().openapi({ description: 'true for orders placed with a live key', example: false }),
    status: z.enum(ORDER_STATUSES).openapi({ example: 'paid' }),
    payment_status: z.string(),
    fulfillment_status: z.string(),
    currency: z.string(),
    email: z.string(),
    subtotal: money,
    discount_total: money,
    shipping_total: money,
    tax_total: money,
    total: money,
    lines: z.array(LineSchema),
    created_at: z.string(),
  })
  .openapi('Order');

const OrderDetailSchema = OrderSchema.and(
  z.object({
    events: z.array(z.looseObject({ id: z.string(), type: z.string() })),
    payments: z.array(z.looseObject({ id: z.string(), status: z.string() })),
    refunds: z.array(z.looseObject({ id: z.string(), amount: money, status: z.string() })),
    fulfillments: z.array(z.looseObject({ id: z.string(), carrier: z.string() })),
  }),
).openapi('OrderDetail');

const RefundSchema = z
  .looseObject({ id: z.string(), object: z.literal('refund'), amount: money, status: z.string() })
  .openapi('Refund');

const idParams = z.object({
  id: z
    .string()
    .regex(ORDER_ID, 'must be an order id (ord_…)')
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const conflict = { 409: jsonContent(z.object({ error: z.any() }), 'Conflict (state or amount)') };

function detailBody(d: Awaited<ReturnType<OrdersService['detail']>>) {
  return {
    ...serializeOrder(d.order, d.lines),
    events: d.events.map(serializeEvent),
    payments: d.payments.map(serializePayment),
    refunds: d.refunds.map(serializeRefund),
    fulfillments: d.fulfillments.map(serializeFulfillment),
  };
}

/**
 * Admin order routes (secret key) and the shopper's order page (publishable key + order secret).
 */
export function ordersRoutes(deps: {
  orders: OrdersService;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[]; any: readonly MiddlewareHandler<AppEnv>[] };
  /** The emails sent (or queued) about an order, from the mail module. */
  emailsOf: (scope: OrderScope, orderId: string) => Promise<z.infer<typeof EmailSchema>[]>;
}) {
  const { orders } = deps;
  const app = createRouter();
  const secret = every(...deps.auth.secret);
  const any = every(...deps.auth.any);
  app.use('/v1/orders', secret);
  // The public page takes a publishable key; everything else under /v1/orders needs the secret key.
  app.use('/v1/orders/*', (c, next) =>
    /^\/v1\/orders\/[^/]+\/public\/?$/.test(c.req.path) ? any(c, next) : secret(c, next),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders',
      tags: ['Orders'],
      summary: 'List orders, newest first',
      security: SECRET_KEY,
      request: {
        query: z.object({
          status: z.enum(ORDER_STATUSES).optional(),
          email: z.string().trim().min(1).max(320).optional(),
          created_from: z.iso.datetime({ offset: true }).optional(),
          created_to: z.iso.datetime({ offset: true }).optional(),
          limit: limitParam,
          cursor: cursorParam,
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('list'),
            data: z.array(OrderSchema),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          'Orders',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const cursor = decodeCursor('orders', q.cursor, 1);
      const rows = await orders.list({
        ...orderScope(c.get('auth')),
        status: q.status,
        email: q.email,
        createdFrom: q.created_from ? new Date(q.created_from) : undefined,
        createdTo: q.created_to ? new Date(q.created_to) : undefined,
        beforeId: cursor ? String(cursor[0]) : undefined,
        limit: q.limit,
      });
      const page = list(
        rows.map((r) => serializeOrder(r.order, r.lines)),
        q.limit,
        (last) => encodeCursor('orders', [last.id]),
      );
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}',
      tags: ['Orders'],
      summary: 'An order with its lines, events, payments, refunds and fulfilments',
      security: SECRET_KEY,
      request: { params: idParams },
      responses: { 200: jsonContent(OrderDetailSchema, 'The order'), ...commonErrors },
    }),
    async (c) =>
      c.json(detailBody(await orders.detail(orderScope(c.get('auth')), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}/public',
      tags: ['Orders'],
      summary: "The shopper's view of an order, with the order secret given at checkout",
      security: ANY_KEY,
      request: {
        params: idParams,
        headers: z.object({ 'x-order-secret': z.string().max(200).optional() }),
      },
      responses: { 200: jsonContent(OrderSchema, 'The order'), ...commonErrors },
    }),
    async (c) => {
      const v = await orders.publicView(
        orderScope(c.get('auth')),
        c.req.valid('param').id,
        c.req.header('x-order-secret'),
      );
      c.header('Cache-Control', 'private, no-store');
      return c.json(serializePublicOrder(v.order, v.lines, v.fulfillments), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/fulfill',
      tags: ['Orders'],
      summary: 'Mark a paid order fulfilled (captures first when the store captures manually)',
      security: SECRET_KEY,
      request: {
        params: idParams,
        body: jsonBody(
          z.strictObject({
            carrier: z.string().trim().min(1).max(100),
            tracking_number: z.string().trim().min(1).max(200),
            tracking_url: z
              .url({ protocol: /^https?$/ })
              .max(2000)
              .optional(),
          }),
        ),
      },
      responses: { 200: jsonContent(OrderDetailSchema, 'The fulfilled order'), ...commonErrors, ...conflict },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const d = await orders.fulfill(orderScope(c.get('auth')), c.req.valid('param').id, {
        carrier: b.carrier,
        trackingNumber: b.tracking_number,
        trackingUrl: b.tracking_url ?? null,
      });
      return c.json(detailBody(d), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/cancel',
      tags: ['Orders'],
      summary: 'Cancel an order: voids or refunds the payment and returns the stock',
      security: SECRET_KEY,
      request: {
        params: idParams,
        body: {
          content: {
            'application/json': {
              schema: z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }),
            },
          },
          required: false,
        },
      },
      responses: { 200: jsonContent(OrderDetailSchema, 'The cancelled order'), ...commonErrors, ...conflict },
    }),
    async (c) => {
      const b = (c.req.valid('json') as { reason?: string } | undefined) ?? {};
      const d = await orders.cancel(orderScope(c.get('auth')), c.req.valid('param').id, {
        reason: b.reason ?? null,
      });
      return c.json(detailBody(d), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/refund',
      tags: ['Orders'],
      summary: 'Refund part or all of what was captured (idempotent with Idempotency-Key)',
      security: SECRET_KEY,
      request: {
        params: idParams,
        body: jsonBody(
          z.strictObject({
            amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
            reason: z.string().trim().min(1).max(500).optional(),
          }),
        ),
      },
      responses: {
        201: jsonContent(
          z.object({ refund: RefundSchema, order: OrderDetailSchema }),
          'The refund and the order',
        ),
        ...commonErrors,
        ...conflict,
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const r = await orders.refund(orderScope(c.get('auth')), c.req.valid('param').id, {
        amount: b.amount,
        reason: b.reason ?? null,
        key: c.req.header('idempotency-key') ?? null,
      });
      return c.json({ refund: serializeRefund(r.refund), order: detailBody(r.detail) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orders/{id}/complete',
      tags: ['Orders'],
      summary: 'Mark a fulfilled order completed',
      security: SECRET_KEY,
      request: { params: idParams },
      responses: { 200: jsonContent(OrderDetailSchema, 'The completed order'), ...commonErrors, ...conflict },
    }),
    async (c) =>
      c.json(detailBody(await orders.complete(orderScope(c.get('auth')), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orders/{id}/emails',
      tags: ['Orders'],
      summary: 'The emails sent (or waiting to be sent) about an order, oldest first',
      description:
        'Confirmation, shipping notice and one per refund, with their delivery status and attempts.',
      security: SECRET_KEY,
      request: { params: idParams },
      responses: {
        200: jsonContent(
          z.object({ object: z.literal('list'), data: z.array(EmailSchema) }).openapi('OrderEmails'),
          'Oldest first',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const scope = orderScope(c.get('auth'));
      const { id } = c.req.valid('param');
      await orders.mustFindInMode(scope, id);
      return c.json({ object: 'list' as const, data: await deps.emailsOf(scope, id) }, 200);
    },
  );

  return app;
}
