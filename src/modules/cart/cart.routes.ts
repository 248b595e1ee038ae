import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import { ANY_KEY, commonErrors, createRouter, jsonBody, jsonContent } from '../../shared/http/openapi.ts';
import { CURRENCIES } from '../../shared/money.ts';
import { AddressSchema, MAX_QTY, VARIANT_ID } from './cart.rules.ts';
import { type CartService, serializeCart } from './cart.service.ts';

// Publishable or secret key; typed for createRoute (the shared constant's inferred type is too narrow).
const Money = z.number().int();

const CartLineSchema = z.object({
  variant_id: z.string(),
  product_id: z.string(),
  product_slug: z.string(),
  sku: z.string(),
  title: z.string(),
  product_title: z.string(),
  variant_title: z.string(),
  option_values: z.record(z.string(), z.string()),
  quantity: z.number().int(),
  unit_price: Money,
  compare_at_price: Money.nullable(),
  subtotal: Money,
  discount: Money,
  tax: Money,
  total: Money,
  available: z
    .boolean()
    .openapi({ description: 'False when the variant is not for sale now; the line is not priced.' }),
});

const ShippingOptionSchema = z.object({ id: z.string(), name: z.string(), amount: Money });

const CartSchema = z
  .object({
    object: z.literal('cart'),
    id: z.string(),
    token: z
      .string()
      .openapi({ description: 'The new cart token: send it as `X-Cart-Token` on the next call.' }),
    currency: z.string(),
    lines: z.array(CartLineSchema),
    subtotal: Money,
    discount_total: Money,
    shipping_total: Money,
    tax_total: Money,
    total: Money,
    tax_inclusive: z.boolean(),
    coupon: z
      .object({ code: z.string(), applied: z.boolean(), reason: z.string().optional() })
      .nullable()
      .openapi({
        description: '`reason` says why a coupon in the cart does not apply (e.g. `min_subtotal`).',
      }),
    email: z.string().nullable(),
    shipping_address: AddressSchema.nullable(),
    billing_address: AddressSchema.nullable(),
    shipping_options: z.array(ShippingOptionSchema),
    shipping: ShippingOptionSchema.nullable(),
    expires_at: z.string(),
    problems: z.array(z.object({ code: z.string(), message: z.string(), variant_id: z.string().optional() })),
  })
  .openapi('Cart');

const cartToken = z
  .string()
  .optional()
  .openapi({ description: 'The cart token, when it cannot be sent in the `X-Cart-Token` header.' });
const TokenHeaders = z.object({
  'x-cart-token': z
    .string()
    .optional()
    .openapi({ description: 'The cart token from the previous cart response.' }),
});
const variantId = z.string().regex(VARIANT_ID, 'must be a variant id (var_…)');
const VariantParam = z.object({ variant_id: variantId });
const TokenOnlyBody = z.strictObject({ cart_token: cartToken });

const ok = {
  200: jsonContent(CartSchema, 'The re-priced cart and its new token'),
  ...commonErrors,
  409: {
    description: 'Not enough stock, or the variant is not for sale',
    content: commonErrors[404].content,
  },
};

function tokenOf(c: Context<AppEnv>, body?: { cart_token?: string }): string | undefined {
  return c.req.header('x-cart-token') ?? body?.cart_token;
}

/** DELETE and GET carry no body; a DELETE may still send `{ cart_token }` when headers are out of reach. */
async function optionalBodyToken(c: Context<AppEnv>): Promise<string | undefined> {
  const header = c.req.header('x-cart-token');
  if (header !== undefined) return header;
  if (c.req.method !== 'DELETE' || !c.req.header('content-type')) return undefined;
  const parsed = TokenOnlyBody.safeParse(await c.req.json().catch(() => ({})));
  return parsed.success ? parsed.data.cart_token : undefined;
}

export function cartRoutes(deps: { carts: CartService; auth: readonly MiddlewareHandler<AppEnv>[] }) {
  const { carts } = deps;
  const app = createRouter();
  app.use('/v1/carts', ...deps.auth);
  app.use('/v1/carts/*', ...deps.auth);
  const store = (c: Context<AppEnv>) => c.get('auth').storeId;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/carts',
      tags: ['Carts'],
      summary: 'Start a cart; holds stock for its lines',
      security: ANY_KEY,
      request: {
        body: jsonBody(
          z.strictObject({
            currency: z.enum(CURRENCIES).optional(),
            email: z.email().max(254).optional(),
            lines: z
              .array(
                z.strictObject({ variant_id: variantId, quantity: z.number().int().min(1).max(MAX_QTY) }),
              )
              .optional(),
          }),
        ),
      },
      responses: { ...ok, 201: jsonContent(CartSchema, 'The new cart and its token') },
    }),
    async (c) => c.json(serializeCart(await carts.create(store(c), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/carts/current',
      tags: ['Carts'],
      summary: 'The cart of the token, re-priced from the catalog',
      security: ANY_KEY,
      request: { headers: TokenHeaders },
      responses: ok,
    }),
    async (c) => c.json(serializeCart(await carts.get(store(c), tokenOf(c))), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/carts/current/lines',
      tags: ['Carts'],
      summary: 'Add a quantity of a variant (adds to the line if present)',
      security: ANY_KEY,
      request: {
        headers: TokenHeaders,
        body: jsonBody(
          z.strictObject({
            variant_id: variantId,
            quantity: z.number().int().min(1).max(MAX_QTY).default(1),
            cart_token: cartToken,
          }),
        ),
      },
      responses: ok,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        serializeCart(
          await carts.addLine(store(c), tokenOf(c, body), {
            variantId: body.variant_id,
            quantity: body.quantity,
          }),
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/carts/current/lines/{variant_id}',
      tags: ['Carts'],
      summary: "Set a line's quantity (0 removes it)",
      security: ANY_KEY,
      request: {
        headers: TokenHeaders,
        params: VariantParam,
        body: jsonBody(
          z.strictObject({ quantity: z.number().int().min(0).max(MAX_QTY), cart_token: cartToken }),
        ),
      },
      responses: ok,
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { variant_id } = c.req.valid('param');
      const cart = await carts.setLineQuantity(store(c), tokenOf(c, body), {
        variantId: variant_id,
        quantity: body.quantity,
      });
      return c.json(serializeCart(cart), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/carts/current/lines/{variant_id}',
      tags: ['Carts'],
      summary: 'Remove a line',
      security: ANY_KEY,
      request: { headers: TokenHeaders, params: VariantParam },
      responses: ok,
    }),
    async (c) =>
      c.json(
        serializeCart(
          await carts.removeLine(store(c), await optionalBodyToken(c), c.req.valid('param').variant_id),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/carts/current/coupon',
      tags: ['Carts'],
      summary: 'Apply a coupon code',
      security: ANY_KEY,
      request: {
        headers: TokenHeaders,
        body: jsonBody(z.strictObject({ code: z.string().trim().min(1).max(64), cart_token: cartToken })),
      },
      responses: ok,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(serializeCart(await carts.setCoupon(store(c), tokenOf(c, body), body.code)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/carts/current/coupon',
      tags: ['Carts'],
      summary: 'Remove the coupon',
      security: ANY_KEY,
      request: { headers: TokenHeaders },
      responses: ok,
    }),
    async (c) =>
      c.json(serializeCart(await carts.setCoupon(store(c), await optionalBodyToken(c), null)), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/carts/current/email',
      tags: ['Carts'],
      summary: "Set the shopper's email",
      security: ANY_KEY,
      request: {
        headers: TokenHeaders,
        body: jsonBody(z.strictObject({ email: z.email().max(254).nullable(), cart_token: cartToken })),
      },
      responses: ok,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(serializeCart(await carts.setEmail(store(c), tokenOf(c, body), body.email)), 200);
    },
  );

  for (const which of ['shipping', 'billing'] as const) {
    app.openapi(
      createRoute({
        method: 'put',
        path: `/v1/carts/current/${which}-address`,
        tags: ['Carts'],
        summary: `Set the ${which} address`,
        security: ANY_KEY,
        request: {
          headers: TokenHeaders,
          // One flat object: `Address.extend()` documents as `allOf` of two closed objects, which no address satisfies.
          body: jsonBody(z.strictObject({ ...AddressSchema.shape, cart_token: cartToken })),
        },
        responses: ok,
      }),
      async (c) => {
        const { cart_token, ...address } = c.req.valid('json');
        return c.json(
          serializeCart(await carts.setAddress(store(c), tokenOf(c, { cart_token }), which, address)),
          200,
        );
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/carts/current/shipping-rate',
      tags: ['Carts'],
      summary: 'Choose a shipping rate among `shipping_options`',
      security: ANY_KEY,
      request: {
        headers: TokenHeaders,
        body: jsonBody(
          z.strictObject({ shipping_rate_id: z.string().min(1).max(64), cart_token: cartToken }),
        ),
      },
      responses: ok,
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(
        serializeCart(await carts.setShippingRate(store(c), tokenOf(c, body), body.shipping_rate_id)),
        200,
      );
    },
  );

  return app;
}
