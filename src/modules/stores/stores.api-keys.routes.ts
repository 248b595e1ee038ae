import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { AppError } from '../../shared/app-error.ts';
import { assertOwnerOrKey } from '../../shared/http/auth.ts';
import type { AppEnv, AuthContext } from '../../shared/http/env.ts';
import { commonErrors, createRouter, jsonBody, jsonContent, SECRET_KEY } from '../../shared/http/openapi.ts';
import { ApiKeySchema, keyIdParam } from './stores.routes.ts';
import type { StoresService } from './stores.service.ts';
import { serializeKey } from './stores.service.ts';

/** A secret key only makes keys of its own mode; an owner's staff token makes either. */
function assertMayMake(auth: AuthContext, mode: 'test' | 'live') {
  if (!auth.staff && mode === 'live' && auth.mode !== 'live') {
    throw new AppError(
      'LIVE_KEY_REQUIRED',
      'Only a live secret key (sk_live_…) or an owner makes live keys.',
      {
        param: 'mode',
      },
    );
  }
}

/**
 * The store's own API keys, without the platform's root token: an owner (staff token) or a secret key lists,
 * creates and revokes them. The key itself is shown once, in the create response.
 */
export function storeApiKeysRoutes(deps: {
  stores: StoresService;
  secret: readonly MiddlewareHandler<AppEnv>[];
}) {
  const { stores } = deps;
  const app = createRouter();
  const ownerOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
    assertOwnerOrKey(c.get('auth'));
    await next();
  };
  const guard = every(...deps.secret, ownerOnly);
  app.use('/v1/api_keys', guard);
  app.use('/v1/api_keys/*', guard);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/api_keys',
      tags: ['Store'],
      summary: "The store's API keys (owner or secret key); never the keys themselves",
      security: SECRET_KEY,
      responses: {
        200: jsonContent(z.object({ object: z.literal('list'), data: z.array(ApiKeySchema) }), 'Keys'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const keys = await stores.listKeys(c.get('auth').storeId);
      return c.json({ object: 'list' as const, data: keys.map((k) => serializeKey(k)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/api_keys',
      tags: ['Store'],
      summary: 'Create an API key of the store (owner or secret key); the key is shown once',
      security: SECRET_KEY,
      request: {
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
      const auth = c.get('auth');
      const body = c.req.valid('json');
      assertMayMake(auth, body.mode);
      const { row, plaintext } = await stores.createKey({ storeId: auth.storeId, ...body });
      return c.json(serializeKey(row, plaintext), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/api_keys/{id}/revoke',
      tags: ['Store'],
      summary: 'Revoke an API key of the store (owner or secret key); it stops working within a second',
      security: SECRET_KEY,
      request: { params: z.object({ id: keyIdParam }) },
      responses: { 200: jsonContent(ApiKeySchema, 'The revoked key'), ...commonErrors },
    }),
    async (c) => {
      const auth = c.get('auth');
      const { id } = c.req.valid('param');
      // A leaked test key must not be able to switch the live shop off.
      const target = (await stores.listKeys(auth.storeId)).find((k) => k.id === id);
      if (target) assertMayMake(auth, target.mode);
      const row = await stores.revokeKey(auth.storeId, id);
      return c.json(serializeKey(row), 200);
    },
  );

  return app;
}
