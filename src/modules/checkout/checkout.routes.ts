import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  PUBLISHABLE_KEY,
} from '../../shared/http/openapi.ts';
import { OrderSchema, type OrdersService, serializeOrder } from '../orders/index.ts';
import type { GatewayChoice, PaymentGateway, WebhookEvent } from '../payments/index.ts';
import type { StoreSettings } from '../stores/index.ts';
import type { CheckoutService } from './checkout.service.ts';

const CardSchema = z.strictObject({
  number: z.string().trim().min(12).max(23),
  exp_month: z.number().int().min(1).max(12),
  exp_year: z.number().int().min(0).max(9999),
  cvc: z.string().trim().min(3).max(4),
});

const CheckoutBody = z.strictObject({
  cart_token: z.string().min(1).max(16_384),
  payment: z
    .strictObject({
      card: CardSchema.optional(),
      payment_method: z.string().trim().min(1).max(255).optional(),
    })
    .refine((p) => (p.card ? 1 : 0) + (p.payment_method ? 1 : 0) === 1, {
      message: 'give exactly one of card or payment_method',
    }),
  email: z.email().max(320).optional(),
});

const CheckoutResponse = z
  .object({
    order: OrderSchema,
    order_secret: z.string().openapi({
      description: 'Shown once: send it as `X-Order-Secret` to GET /v1/orders/{id}/public.',
    }),
  })
  .openapi('CheckoutResult');

const paymentErrors = {
  402: jsonContent(z.object({ error: z.any() }), 'Payment declined or failed; the stock was released'),
  409: jsonContent(z.object({ error: z.any() }), 'Insufficient stock, unavailable variant or coupon'),
  502: jsonContent(z.object({ error: z.any() }), 'Gateway unreachable; retry with the same Idempotency-Key'),
};

export function checkoutRoutes(deps: {
  checkout: CheckoutService;
  orders: OrdersService;
  gateways: { forMode(settings: StoreSettings, choice: GatewayChoice): PaymentGateway };
  stores: { getStoreCached(id: string): Promise<{ settings: StoreSettings }> };
  auth: readonly MiddlewareHandler<AppEnv>[];
  /** Resolves a `Customer-Token` to the signed-in customer of the store, or throws a 401 (from memory). */
  customerOf?: (storeId: string, token: string) => Promise<string>;
}) {
  const app = createRouter();
  app.use('/v1/checkout', ...deps.auth);
  // Before the body is even validated: a checkout without a key could never be made retry-safe.
  app.use('/v1/checkout', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const key = c.req.header('idempotency-key');
    if (key === undefined) {
      throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'Checkout needs an Idempotency-Key header.', {
        param: 'Idempotency-Key',
      });
    }
    if (key.length === 0 || key.length > 255) {
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 characters.', {
        param: 'Idempotency-Key',
      });
    }
    await next();
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/checkout',
      tags: ['Checkout'],
      summary: 'Turn a cart into an order and pay for it (Idempotency-Key required)',
      description:
        '201: the order is paid (or authorized, for stores that capture manually). 202: the gateway did not answer ' +
        'in time; the order is pending and is settled by the gateway webhook or the reconciliation job — follow it with ' +
        'GET /v1/orders/{id}/public. 402: declined or failed, the stock is released. A retry with the same ' +
        'Idempotency-Key never creates a second order or a second charge. A signed-in shopper also sends ' +
        '`Customer-Token`: the order is linked to the customer; an invalid or expired token is a 401, never a guest order.',
      // A signed-in shopper also sends `Customer-Token`: the order is linked to the customer (an invalid or
      // expired token is a 401, never a silent guest order).
      security: [...PUBLISHABLE_KEY, { publishableKey: [], customerToken: [] }],
      request: {
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: jsonBody(CheckoutBody),
      },
      responses: {
        201: jsonContent(CheckoutResponse, 'The paid order and its secret'),
        202: jsonContent(CheckoutResponse, 'The pending order and its secret; payment outcome not known yet'),
        ...commonErrors,
        ...paymentErrors,
      },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key') ?? '';
      const body = c.req.valid('json');
      const auth = c.get('auth');
      const customerToken = c.req.header('customer-token');
      let customerId: string | null = null;
      if (customerToken !== undefined) {
        if (!deps.customerOf) {
          throw new AppError('CUSTOMER_TOKEN_INVALID', 'Customer accounts are not enabled.', {
            param: 'Customer-Token',
          });
        }
        customerId = await deps.customerOf(auth.storeId, customerToken);
      }
      const out = await deps.checkout.checkout({
        customerId,
        storeId: auth.storeId,
        livemode: auth.mode === 'live',
        idempotencyKey: key,
        idempotencyKeyNew: c.get('idempotencyKeyNew') === true,
        cartToken: body.cart_token,
        payment: body.payment,
        email: body.email,
      });
      const lines = out.lines ?? (await deps.orders.linesOf(out.order.id));
      return c.json({ order: serializeOrder(out.order, lines), order_secret: out.secret }, out.status);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{gateway}/{store_id}',
      tags: ['Checkout'],
      summary: 'Payment gateway notifications (signature verified; no API key)',
      request: {
        params: z.object({
          gateway: z.enum(['test', 'stripe']),
          store_id: z.string().regex(/^store_[0-9a-z]{26}$/, 'must be a store id (store_…)'),
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            received: z.literal(true),
            order_id: z.string().nullable(),
            status: z.string().nullable(),
          }),
          'Accepted',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { gateway: name, store_id } = c.req.valid('param');
      const store = await deps.stores.getStoreCached(store_id);
      // The modes this store can receive notifications for from this gateway; the secret that verifies tells which.
      const modes: boolean[] =
        name === 'test'
          ? (store.settings.gateway ?? 'test') === 'test'
            ? [false]
            : []
          : [...(store.settings.stripe?.live ? [true] : []), ...(store.settings.stripe?.test ? [false] : [])];
      if (modes.length === 0) {
        throw new AppError('GATEWAY_NOT_CONFIGURED', `This store does not use the ${name} gateway.`, {
          param: 'gateway',
        });
      }
      const raw = await c.req.text();
      const headers: Record<string, string> = {};
      c.req.raw.headers.forEach((v, k) => {
        headers[k] = v;
      });
      let verified: { event: WebhookEvent; livemode: boolean } | null = null;
      let refusal: unknown = null;
      for (const livemode of modes) {
        try {
          const gateway = deps.gateways.forMode(store.settings, { gateway: name, livemode });
          verified = { event: gateway.verifyWebhook(raw, headers), livemode };
          break;
        } catch (e) {
          refusal ??= e;
        }
      }
      if (!verified) throw refusal;
      const { event, livemode } = verified;
      // The event only says which order to look at: the gateway of that mode is asked for the authoritative state.
      const settled = event.orderId
        ? await deps.orders.reconcileNow({ storeId: store_id, livemode }, event.orderId)
        : null;
      return c.json(
        { received: true as const, order_id: settled?.id ?? null, status: settled?.status ?? null },
        200,
      );
    },
  );

  return app;
}
