import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, jsonContent } from '../../shared/http/openapi.ts';
import type { KeyRing } from './sessions.keys.ts';

const JwksSchema = z
  .object({
    keys: z.array(
      z.object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string() }).catchall(z.unknown()),
    ),
  })
  .openapi('JSONWebKeySet');

/** `GET /.well-known/jwks.json`: the public keys that verify session access tokens (RFC 7517). */
export function sessionsRoutes(deps: { keys: KeyRing }) {
  const app = createRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/jwks.json',
      tags: ['Customers'],
      summary: 'Public keys that verify session access tokens (JWKS)',
      description:
        'Every active signing key and the keys retired recently enough that tokens they signed may not have ' +
        'expired. Verifiers that meet an unknown `kid` fetch this again.',
      responses: { 200: jsonContent(JwksSchema, 'The key set') },
    }),
    async (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      return c.json((await deps.keys.jwks()) as z.infer<typeof JwksSchema>, 200);
    },
  );
  return app;
}
