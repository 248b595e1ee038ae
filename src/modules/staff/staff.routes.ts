import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { assertOwnerOrKey } from '../../shared/http/auth.ts';
import { idParams, resourceVersion } from '../../shared/http/crud.ts';
import { type AppEnv, answerCarriesSecrets } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  ROOT_TOKEN,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { type StaffService, serializeStaff, serializeTokens } from './staff.service.ts';
import { STAFF_ROLES } from './staff.tables.ts';

const StaffUserSchema = z
  .object({
    id: z.string(),
    object: z.literal('staff_user'),
    store_id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(STAFF_ROLES),
    status: z.enum(['invited', 'active', 'removed']),
    invited_by: z.string().nullable(),
    accepted_at: z.string().nullable(),
    version: z.number().int(),
    created_at: z.string(),
  })
  .openapi('StaffUser');

const StaffSessionSchema = z
  .object({
    object: z.literal('staff_session'),
    access_token: z.string().openapi({ description: 'Send as `Authorization: Bearer <access_token>`.' }),
    refresh_token: z
      .string()
      .openapi({ description: 'Trade for a new pair at `/v1/staff/sessions/refresh`.' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the access token expires.' }),
    mode: z.enum(['test', 'live']).openapi({ description: 'The data the access token acts on.' }),
    staff_user: StaffUserSchema.optional(),
  })
  .openapi('StaffSession');

const modeField = z.enum(['test', 'live']).default('test').openapi({
  description: 'Whether the session acts on test or live data (like a `sk_test_` / `sk_live_` key).',
});
const password = z.string().min(10).max(200);
const storeIdField = z.string().regex(/^store_[0-9a-z]{26}$/, 'must be a store id (store_…)');

/**
 * Staff sign-in (no key: email and password), invitations, and staff management (an owner's staff token or a
 * secret key). A staff access token also works on every secret-key route, narrowed by its role.
 */
export function staffRoutes(deps: {
  staff: StaffService;
  secret: readonly MiddlewareHandler<AppEnv>[];
  root: MiddlewareHandler<AppEnv>;
  /** Rate limit for the routes without a key (sign-in, refresh, accept), counted per client address. */
  limited: MiddlewareHandler<AppEnv>;
}) {
  const { staff } = deps;
  const app = createRouter();
  // Staff management is for owners (and secret keys); `me` is for everyone signed in.
  const ownerOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!/^\/v1\/staff\/me\/?$/.test(c.req.path)) assertOwnerOrKey(c.get('auth'));
    await next();
  };
  const secret = every(...deps.secret, ownerOnly);
  const open = /^\/v1\/staff\/(sessions(\/refresh|\/revoke)?|accept)\/?$/;
  app.use('/v1/staff', secret);
  app.use('/v1/staff/*', (c, next) => (open.test(c.req.path) ? deps.limited(c, next) : secret(c, next)));

  app.use('/v1/stores/:store_id/owner_link', deps.root);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stores/{store_id}/owner_link',
      tags: ['Platform'],
      summary: "A store's first owner (root token): a one-time link to set the password and sign in",
      security: ROOT_TOKEN,
      request: {
        params: z.object({ store_id: storeIdField }),
        body: jsonBody(z.strictObject({ email: z.email().max(320) })),
      },
      responses: {
        201: jsonContent(
          z.object({
            object: z.literal('staff_link'),
            url: z
              .string()
              .openapi({ description: 'Open it to set a password (`/admin/accept?token=…`); works once.' }),
            expires_at: z.string(),
            staff_user: StaffUserSchema,
          }),
          'The link',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const r = await staff.createOwner({
        storeId: c.req.valid('param').store_id,
        email: c.req.valid('json').email,
        by: 'root',
      });
      return c.json(
        {
          object: 'staff_link' as const,
          url: r.link,
          expires_at: r.expiresAt.toISOString(),
          staff_user: serializeStaff(r.user),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/staff/sessions',
      tags: ['Staff'],
      summary: 'Sign in as a staff user (email and password)',
      request: {
        body: jsonBody(
          z.strictObject({
            store_id: storeIdField,
            email: z.email().max(320),
            password: z.string().min(1).max(200),
            mode: modeField,
          }),
        ),
      },
      responses: { 201: jsonContent(StaffSessionSchema, 'Access and refresh tokens'), ...commonErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const s = await staff.signIn({
        storeId: b.store_id,
        email: b.email,
        password: b.password,
        mode: b.mode,
      });
      answerCarriesSecrets(c);
      return c.json({ ...serializeTokens(s.tokens, s.mode), staff_user: serializeStaff(s.user) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/staff/sessions/refresh',
      tags: ['Staff'],
      summary: 'Trade a refresh token for a new access and refresh token (the old one stops working)',
      request: {
        body: jsonBody(z.strictObject({ refresh_token: z.string().min(1).max(512), mode: modeField })),
      },
      responses: { 200: jsonContent(StaffSessionSchema, 'New tokens'), ...commonErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const s = await staff.refresh({ refreshToken: b.refresh_token, mode: b.mode });
      answerCarriesSecrets(c);
      return c.json(serializeTokens(s.tokens, s.mode), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/staff/sessions/revoke',
      tags: ['Staff'],
      summary: 'Sign out: revoke a refresh token (the access token lapses within minutes)',
      request: { body: jsonBody(z.strictObject({ refresh_token: z.string().min(1).max(512) })) },
      responses: {
        200: jsonContent(
          z.object({ object: z.literal('staff_session'), revoked: z.literal(true) }),
          'Revoked',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      await staff.revoke(c.req.valid('json').refresh_token);
      return c.json({ object: 'staff_session' as const, revoked: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/staff/accept',
      tags: ['Staff'],
      summary: 'Accept an invitation (or a set-password link): set the password and sign in',
      request: {
        body: jsonBody(
          z.strictObject({
            token: z.string().min(1).max(200),
            password,
            name: z.string().trim().min(1).max(200).optional(),
            mode: modeField,
          }),
        ),
      },
      responses: { 201: jsonContent(StaffSessionSchema, 'Signed in'), ...commonErrors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const s = await staff.accept({ token: b.token, password: b.password, name: b.name, mode: b.mode });
      answerCarriesSecrets(c);
      return c.json({ ...serializeTokens(s.tokens, s.mode), staff_user: serializeStaff(s.user) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/staff/me',
      tags: ['Staff'],
      summary: 'The signed-in staff user (staff access token)',
      security: SECRET_KEY,
      responses: { 200: jsonContent(StaffUserSchema, 'You'), ...commonErrors },
    }),
    async (c) => c.json(serializeStaff(await staff.me(c.get('auth'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/staff',
      tags: ['Staff'],
      summary: 'Invite a staff user by email (owner)',
      security: SECRET_KEY,
      request: {
        body: jsonBody(
          z.strictObject({
            email: z.email().max(320),
            role: z.enum(STAFF_ROLES),
            name: z.string().trim().min(1).max(200).optional(),
          }),
        ),
      },
      responses: { 201: jsonContent(StaffUserSchema, 'The invited staff user'), ...commonErrors },
    }),
    async (c) => c.json(serializeStaff(await staff.invite(c.get('auth'), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/staff',
      tags: ['Staff'],
      summary: "The store's staff users (owner)",
      security: SECRET_KEY,
      responses: {
        200: jsonContent(z.object({ object: z.literal('list'), data: z.array(StaffUserSchema) }), 'Staff'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const rows = await staff.list(c.get('auth').storeId);
      return c.json({ object: 'list' as const, data: rows.map(serializeStaff) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/staff/{id}',
      tags: ['Staff'],
      summary: "Change a staff user's role or name (owner); takes effect at their next refresh",
      security: SECRET_KEY,
      request: {
        params: idParams('staffUser', 'staff user'),
        body: jsonBody(
          z.strictObject({
            role: z.enum(STAFF_ROLES).optional(),
            name: z.string().trim().min(1).max(200).nullable().optional(),
            version: resourceVersion.optional(),
          }),
        ),
      },
      responses: { 200: jsonContent(StaffUserSchema, 'The staff user'), ...commonErrors },
    }),
    async (c) => {
      const { version, ...patch } = c.req.valid('json');
      const u = await staff.update(c.get('auth').storeId, c.req.valid('param').id, patch, version);
      return c.json(serializeStaff(u), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/staff/{id}',
      tags: ['Staff'],
      summary: 'Remove a staff user (owner): their sessions end',
      security: SECRET_KEY,
      request: { params: idParams('staffUser', 'staff user') },
      responses: { 200: jsonContent(StaffUserSchema, 'The removed staff user'), ...commonErrors },
    }),
    async (c) =>
      c.json(serializeStaff(await staff.remove(c.get('auth').storeId, c.req.valid('param').id)), 200),
  );

  return app;
}
