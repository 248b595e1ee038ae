import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  ROOT_TOKEN,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { currencySchema } from '../../shared/money.ts';
import type { StoresService } from './stores.service.ts';
import { serializeKey, serializeStore } from './stores.service.ts';

const stripeCredentials = (mode: 'test' | 'live') =>
  z.strictObject({
    secret_key: z
      .string()
      .max(256)
      .regex(
        new RegExp(`^(sk|rk)_${mode}_[A-Za-z0-9_]{8,}$`),
        `must be a Stripe ${mode} secret or restricted key (sk_${mode}_… or rk_${mode}_…)`,
      )
      .openapi({ example: `sk_${mode}_51ExampleKeyOnly` }),
    webhook_secret: z.string().min(8).max(256).optional(),
  });

const StoreSettingsSchema = z.strictObject({
  tax_inclusive: z.boolean().optional(),
  gateway: z.enum(['test', 'stripe']).optional().openapi({
    description: 'Gateway of test-mode checkouts. Live-mode checkouts always use `stripe.live`.',
  }),
  stripe: z
    .strictObject({
      test: stripeCredentials('test').optional(),
      live: stripeCredentials('live').optional(),
    })
    .optional()
    .openapi({ description: 'Stripe credentials per mode; only a live secret key may set `live`.' }),
  test_gateway: z
    .strictObject({ webhook_secret: z.string().min(24).max(256) })
    .optional()
    .openapi({ description: "Signs the built-in test gateway's webhooks; generated with the store." }),
  capture: z.enum(['automatic', 'manual']).optional(),
  hold_ttl_seconds: z.number().int().min(10).max(86_400).optional(),
  low_stock_threshold: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .openapi({ description: 'inventory.low_stock fires at or below this many units (default 5).' }),
  email: z
    .strictObject({
      from_name: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .regex(/^[^\r\n]*$/, 'must be one line')
        .optional()
        .openapi({ example: 'Tea & Cups' }),
      from_address: z
        .string()
        .max(254)
        .regex(
          /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/,
          'must be a bare email address like orders@example.com',
        )
        .optional()
        .openapi({ example: 'orders@shop.example' }),
    })
    .optional()
    .openapi({
      description:
        "Sender of the store's emails: `from_name` (the store's name when unset) and `from_address` (the operator's MAIL_FROM when unset).",
    }),
  storefront_url: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional()
    .openapi({
      description: 'Base URL of the storefront; order emails link to `<storefront_url>/orders/<id>`.',
    }),
});

const StoreSchema = z
  .object({
    id: z.string(),
    object: z.literal('store'),
    name: z.string(),
    currency: z.string(),
    settings: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi('Store');

export const ApiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    store_id: z.string(),
    kind: z.enum(['publishable', 'secret']),
    mode: z.enum(['test', 'live']),
    name: z.string().nullable(),
    hint: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
    key: z
      .string()
      .optional()
      .openapi({ description: 'The key itself; present only in the create response.' }),
  })
  .openapi('ApiKey');

const storeIdParam = z.string().regex(/^store_[0-9a-z]{26}$/, 'must be a store id (store_…)');
export const keyIdParam = z.string().regex(/^key_[0-9a-z]{26}$/, 'must be an API key id (key_…)');

export function storesRoutes(deps: {
  stores: StoresService;
  root: MiddlewareHandler<AppEnv>;
  secret: readonly MiddlewareHandler<AppEnv>[];
}) {
  const { stores } = deps;
  const app = createRouter();
  app.use('/v1/stores', deps.root);
  app.use('/v1/stores/*', deps.root);
  app.use('/v1/store', ...deps.secret);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stores',
      tags: ['Platform'],
      summary: 'Create a store (root token)',
      security: ROOT_TOKEN,
      request: {
        body: jsonBody(
          z.strictObject({
            name: z.string().trim().min(1).max(200),
            currency: currencySchema.default('USD'),
            settings: StoreSettingsSchema.optional(),
          }),
        ),
      },
      responses: { 201: jsonContent(StoreSchema, 'The store'), ...commonErrors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const s = await stores.createStore(body);
      return c.json(serializeStore(s), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/stores/{store_id}',
      tags: ['Platform'],
      summary: 'Get a store (root token)',
      security: ROOT_TOKEN,
      request: { params: z.object({ store_id: storeIdParam }) },
      responses: { 200: jsonContent(StoreSchema, 'The store'), ...commonErrors },
    }),
    async (c) => c.json(serializeStore(await stores.getStore(c.req.valid('param').store_id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stores/{store_id}/keys',
      tags: ['Platform'],
      summary: 'Create an API key (root token); the key is shown once',
      security: ROOT_TOKEN,
      request: {
        params: z.object({ store_id: storeIdParam }),
        body: jsonBody(
          z.strictObject({
            kind: z.enum(['publishable', 'secret']),
            mode: z.enum(['test', 'live']).default('test'),
            name: z.string().max(200).optional(),
          }),
        ),
      },
      responses: { 201: jsonContent(ApiKeySchema, 'The new key, with `key` in plain text'), ...commonErrors },
    }),
    async (c) => {
      const { store_id } = c.req.valid('param');
      const { row, plaintext } = await stores.createKey({ storeId: store_id, ...c.req.valid('json') });
      return c.json(serializeKey(row, plaintext), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/stores/{store_id}/keys',
      tags: ['Platform'],
      summary: "List a store's API keys (root token)",
      security: ROOT_TOKEN,
      request: { params: z.object({ store_id: storeIdParam }) },
      responses: {
        200: jsonContent(z.object({ object: z.literal('list'), data: z.array(ApiKeySchema) }), 'Keys'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const keys = await stores.listKeys(c.req.valid('param').store_id);
      return c.json({ object: 'list' as const, data: keys.map((k) => serializeKey(k)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stores/{store_id}/keys/{key_id}/revoke',
      tags: ['Platform'],
      summary: 'Revoke an API key (root token)',
      security: ROOT_TOKEN,
      request: { params: z.object({ store_id: storeIdParam, key_id: keyIdParam }) },
      responses: { 200: jsonContent(ApiKeySchema, 'The revoked key'), ...commonErrors },
    }),
    async (c) => {
      const { store_id, key_id } = c.req.valid('param');
      return c.json(serializeKey(await stores.revokeKey(store_id, key_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/store',
      tags: ['Store'],
      summary: 'The store of the secret key',
      security: SECRET_KEY,
      responses: { 200: jsonContent(StoreSchema, 'The store'), ...commonErrors },
    }),
    async (c) => c.json(serializeStore(await stores.getStore(c.get('auth').storeId)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/store',
      tags: ['Store'],
      summary: "Update the store's name or settings (tax, gateway, capture)",
      security: SECRET_KEY,
      request: {
        body: jsonBody(
          z.strictObject({
            name: z.string().trim().min(1).max(200).optional(),
            settings: StoreSettingsSchema.optional(),
          }),
        ),
      },
      responses: { 200: jsonContent(StoreSchema, 'The store'), ...commonErrors },
    }),
    async (c) => {
      const auth = c.get('auth');
      const body = c.req.valid('json');
      // A leaked test key must not be able to send live payments to another Stripe account.
      if (body.settings?.stripe?.live && auth.mode !== 'live') {
        throw new AppError(
          'LIVE_KEY_REQUIRED',
          'Only a live secret key (sk_live_…) may set settings.stripe.live.',
          {
            param: 'settings.stripe.live',
          },
        );
      }
      return c.json(serializeStore(await stores.updateStore(auth.storeId, body)), 200);
    },
  );

  return app;
}
