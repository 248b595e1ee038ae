import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import {
  cursorId,
  Deleted,
  deleted,
  errorResponses,
  idList,
  idParams,
  listOf,
  pageQuery,
  resourceVersion,
} from '../../shared/http/crud.ts';
import { type AppEnv, answerCarriesSecrets } from '../../shared/http/env.ts';
import {
  createRouter,
  jsonBody,
  jsonContent,
  PUBLISHABLE_KEY,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, limitParam } from '../../shared/http/pagination.ts';
import { OrderSchema } from '../orders/index.ts';
import { serializeAddress, serializeCustomer } from './customers.rules.ts';
import type { CustomerOrderTotals, CustomersService } from './customers.service.ts';

const CustomerSchema = z
  .object({
    id: z.string(),
    object: z.literal('customer'),
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    email_verified_at: z.string().nullable(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Customer');

const CustomerOrderTotalsSchema = z
  .object({
    currency: z.string(),
    count: z.number().int().openapi({ description: 'Orders placed, whatever their status.' }),
    total_spent: z
      .number()
      .int()
      .openapi({ description: 'Totals of the paid orders (paid, fulfilled, completed), before refunds.' }),
    last_order_id: z.string(),
    last_order_at: z.string(),
  })
  .openapi('CustomerOrderTotals');

const CustomerDetailSchema = CustomerSchema.extend({
  orders: z.object({
    count: z.number().int().openapi({ description: 'Orders in every currency, of the key’s mode.' }),
    last_order_at: z.string().nullable(),
    last_order_id: z.string().nullable(),
    by_currency: z.array(CustomerOrderTotalsSchema),
    recent: z.array(OrderSchema).openapi({ description: 'The latest orders, newest first (at most 10).' }),
  }),
}).openapi('CustomerDetail');

const RECENT_ORDERS = 10;

function orderSummary<O>(totals: CustomerOrderTotals[], recent: O[]) {
  const last = totals.reduce<CustomerOrderTotals | null>(
    (a, t) => (a === null || t.lastOrderId > a.lastOrderId ? t : a),
    null,
  );
  return {
    count: totals.reduce((n, t) => n + t.count, 0),
    last_order_at: last ? last.lastOrderAt.toISOString() : null,
    last_order_id: last ? last.lastOrderId : null,
    by_currency: totals.map((t) => ({
      currency: t.currency,
      count: t.count,
      total_spent: t.spent,
      last_order_id: t.lastOrderId,
      last_order_at: t.lastOrderAt.toISOString(),
    })),
    recent,
  };
}

/** Staff routes live beside the shopper's under `/v1/customers`, whose middleware takes any key. */
function assertSecret(c: Context<AppEnv>) {
  if (c.get('auth').kind !== 'secret') {
    throw new AppError('SECRET_KEY_REQUIRED', 'This route needs a secret key (sk_…) or a staff session.');
  }
}

const CustomerAddressSchema = z
  .object({
    id: z.string(),
    object: z.literal('customer_address'),
    name: z.string().nullable(),
    line1: z.string().nullable(),
    line2: z.string().nullable(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string(),
    phone: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CustomerAddress');

const SessionSchema = z
  .object({
    access_token: z
      .string()
      .openapi({ description: 'Send it as `Customer-Token`; valid for `expires_in` seconds.' }),
    refresh_token: z.string().openapi({
      description: 'Exchange it once at /v1/customers/sessions/refresh; a second use ends the session.',
    }),
    expires_in: z.number().int(),
    customer: CustomerSchema,
  })
  .openapi('CustomerSession');

const email = z.string().trim().max(320).pipe(z.email('must be an email address'));
const password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');
const name = z.string().trim().min(1).max(200);
const opt = (s: z.ZodString) => s.nullable().optional();
const text = (max: number) => z.string().trim().min(1).max(max);
const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
  .transform((s) => s.toUpperCase());
const addressFields = {
  name: opt(text(200)),
  line1: opt(text(200)),
  line2: opt(text(200)),
  city: opt(text(100)),
  region: opt(text(100)),
  postal_code: opt(text(32)),
  phone: opt(text(40)),
};
const AddressCreate = z.strictObject({ ...addressFields, country });
const AddressPatch = z.strictObject({ ...addressFields, country: country.optional() });

const customerHeaders = z.object({
  'customer-token': z
    .string()
    .optional()
    .openapi({ description: "The signed-in customer's access token (required)." }),
});

const security = [{ publishableKey: [], customerToken: [] }];
const tags = ['Customers'];

/** The client's address for rate limits: the first `X-Forwarded-For` hop (set by the proxy), else the socket. */
function clientAddress(c: Context<AppEnv>): string {
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (forwarded) return forwarded;
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

export function customersRoutes<T>(deps: {
  customers: CustomersService<T>;
  serializeOrder: (row: T) => z.infer<typeof OrderSchema> & { id: string };
  auth: readonly MiddlewareHandler<AppEnv>[];
  /** Where links in emails point: the storefront (`STOREFRONT_URL`), else the origin of the request. */
  storefrontUrl: string | undefined;
}) {
  const { customers } = deps;
  const app = createRouter();
  app.use('/v1/customers', ...deps.auth);
  app.use('/v1/customers/*', ...deps.auth);
  const storeOf = (c: Context<AppEnv>) => c.get('auth').storeId;
  const linkBase = (c: Context<AppEnv>) =>
    (deps.storefrontUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
  const signedIn = (c: Context<AppEnv>) => customers.authenticate(storeOf(c), c.req.header('customer-token'));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers',
      tags,
      summary: 'Create a customer account',
      description:
        'Emails a verification link. The answer is the same whether or not the email already has an account ' +
        '(that address is told by email instead), so no session is returned: sign in next.',
      security: PUBLISHABLE_KEY,
      request: {
        body: jsonBody(z.strictObject({ email, password, name: name.nullable().optional() })),
      },
      responses: {
        201: jsonContent(z.object({ customer: CustomerSchema }).openapi('CustomerCreated'), 'The account'),
        ...errorResponses(),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const row = await customers.signUp({
        storeId: storeOf(c),
        email: body.email,
        password: body.password,
        name: body.name ?? null,
        linkBase: linkBase(c),
      });
      return c.json({ customer: serializeCustomer(row) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/sessions',
      tags,
      summary: 'Sign in',
      description:
        'A wrong password and an unknown email give the same 401 `INVALID_CREDENTIALS`. Attempts are limited per ' +
        'account and per client address (429 with `Retry-After`).',
      security: PUBLISHABLE_KEY,
      request: { body: jsonBody(z.strictObject({ email, password: z.string().min(1).max(256) })) },
      responses: { 200: jsonContent(SessionSchema, 'A new session'), ...errorResponses() },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const out = await customers.signIn({
        storeId: storeOf(c),
        email: body.email,
        password: body.password,
        clientAddress: clientAddress(c),
      });
      answerCarriesSecrets(c);
      return c.json({ ...out.session, customer: serializeCustomer(out.customer) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/sessions/refresh',
      tags,
      summary: 'Exchange a refresh token for a new session (the old refresh token is retired)',
      description:
        'Presenting a retired refresh token again revokes the whole session (theft detection): 401 `REFRESH_TOKEN_INVALID`.',
      security: PUBLISHABLE_KEY,
      request: { body: jsonBody(z.strictObject({ refresh_token: z.string().min(1).max(512) })) },
      responses: { 200: jsonContent(SessionSchema, 'The new session'), ...errorResponses() },
    }),
    async (c) => {
      const out = await customers.refresh({
        storeId: storeOf(c),
        refreshToken: c.req.valid('json').refresh_token,
      });
      answerCarriesSecrets(c);
      return c.json({ ...out.session, customer: serializeCustomer(out.customer) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/sessions/revoke',
      tags,
      summary: 'Sign out (this session, or everywhere)',
      description:
        'Revokes the refresh token and its session; with `everywhere: true`, every session of the account. Access ' +
        'tokens already issued stay valid until they expire (at most 15 minutes).',
      security: PUBLISHABLE_KEY,
      request: {
        body: jsonBody(
          z.strictObject({
            refresh_token: z.string().min(1).max(512),
            everywhere: z.boolean().default(false),
          }),
        ),
      },
      responses: { 204: { description: 'Signed out' }, ...errorResponses() },
    }),
    async (c) => {
      const body = c.req.valid('json');
      await customers.revoke({
        storeId: storeOf(c),
        refreshToken: body.refresh_token,
        everywhere: body.everywhere,
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/customers/me',
      tags,
      summary: 'The signed-in customer',
      security,
      request: { headers: customerHeaders },
      responses: { 200: jsonContent(CustomerSchema, 'The customer'), ...errorResponses() },
    }),
    async (c) => {
      const id = await signedIn(c);
      return c.json(serializeCustomer(await customers.me(storeOf(c), id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/customers/me',
      tags,
      summary: 'Update the signed-in customer (name, password)',
      description: 'A new `password` needs `current_password`. With `version`, a concurrent change is a 409.',
      security,
      request: {
        headers: customerHeaders,
        body: jsonBody(
          z
            .strictObject({
              name: name.nullable().optional(),
              password: password.optional(),
              current_password: z.string().min(1).max(256).optional(),
              version: resourceVersion.optional(),
            })
            .refine((b) => b.password === undefined || b.current_password !== undefined, {
              message: 'current_password is required to set a new password',
              path: ['current_password'],
            }),
        ),
      },
      responses: {
        200: jsonContent(CustomerSchema, 'The customer'),
        ...errorResponses({ 409: 'Version conflict' }),
      },
    }),
    async (c) => {
      const id = await signedIn(c);
      const body = c.req.valid('json');
      const row = await customers.updateMe({
        storeId: storeOf(c),
        customerId: id,
        name: body.name,
        password:
          body.password !== undefined
            ? { current: body.current_password ?? '', next: body.password }
            : undefined,
        expectedVersion: body.version,
      });
      return c.json(serializeCustomer(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/customers/me/addresses',
      tags,
      summary: "The signed-in customer's addresses",
      security,
      request: { headers: customerHeaders, query: pageQuery },
      responses: { 200: jsonContent(listOf(CustomerAddressSchema), 'Newest first'), ...errorResponses() },
    }),
    async (c) => {
      const id = await signedIn(c);
      const q = c.req.valid('query');
      const rows = await customers.listAddresses({
        customerId: id,
        beforeId: cursorId('customer_addresses', q.cursor),
        limit: q.limit,
      });
      return c.json(idList('customer_addresses', rows.map(serializeAddress), q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/me/addresses',
      tags,
      summary: 'Add an address',
      security,
      request: { headers: customerHeaders, body: jsonBody(AddressCreate) },
      responses: { 201: jsonContent(CustomerAddressSchema, 'The address'), ...errorResponses() },
    }),
    async (c) => {
      const id = await signedIn(c);
      const row = await customers.createAddress({
        storeId: storeOf(c),
        customerId: id,
        address: c.req.valid('json'),
      });
      return c.json(serializeAddress(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/customers/me/addresses/{id}',
      tags,
      summary: 'Change an address',
      security,
      request: {
        headers: customerHeaders,
        params: idParams('customerAddress', 'address'),
        body: jsonBody(AddressPatch),
      },
      responses: { 200: jsonContent(CustomerAddressSchema, 'The address'), ...errorResponses() },
    }),
    async (c) => {
      const customerId = await signedIn(c);
      const row = await customers.updateAddress({
        customerId,
        id: c.req.valid('param').id,
        address: c.req.valid('json'),
      });
      return c.json(serializeAddress(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/customers/me/addresses/{id}',
      tags,
      summary: 'Remove an address',
      security,
      request: { headers: customerHeaders, params: idParams('customerAddress', 'address') },
      responses: { 200: jsonContent(Deleted, 'Deleted'), ...errorResponses() },
    }),
    async (c) => {
      const customerId = await signedIn(c);
      const { id } = c.req.valid('param');
      await customers.deleteAddress({ customerId, id });
      return c.json(deleted(id, 'customer_address'), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/customers/me/orders',
      tags,
      summary: "The signed-in customer's orders, newest first",
      description:
        "Orders placed while signed in, and guest orders with the customer's email once that email is verified. " +
        'Orders of the key’s mode only.',
      security,
      request: { headers: customerHeaders, query: pageQuery },
      responses: { 200: jsonContent(listOf(OrderSchema), 'Newest first'), ...errorResponses() },
    }),
    async (c) => {
      const customerId = await signedIn(c);
      const q = c.req.valid('query');
      const auth = c.get('auth');
      const rows = await customers.orders({
        storeId: auth.storeId,
        livemode: auth.mode === 'live',
        customerId,
        beforeId: cursorId('customer_orders', q.cursor),
        limit: q.limit,
      });
      return c.json(idList('customer_orders', rows.map(deps.serializeOrder), q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/verify_email',
      tags,
      summary: 'Confirm the email address with the token from the verification email',
      security: PUBLISHABLE_KEY,
      request: { body: jsonBody(z.strictObject({ token: z.string().min(1).max(256) })) },
      responses: { 200: jsonContent(CustomerSchema, 'The customer, verified'), ...errorResponses() },
    }),
    async (c) => {
      const row = await customers.verifyEmail({ storeId: storeOf(c), token: c.req.valid('json').token });
      return c.json(serializeCustomer(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/password_reset',
      tags,
      summary: 'Email a password reset link',
      description: 'Always 202, whether or not the email has an account. Limited per client address.',
      security: PUBLISHABLE_KEY,
      request: { body: jsonBody(z.strictObject({ email })) },
      responses: { 202: { description: 'Accepted' }, ...errorResponses() },
    }),
    async (c) => {
      await customers.requestPasswordReset({
        storeId: storeOf(c),
        email: c.req.valid('json').email,
        clientAddress: clientAddress(c),
        linkBase: linkBase(c),
      });
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/customers/password_reset/confirm',
      tags,
      summary: 'Set a new password with the token from the reset email',
      description: 'Ends every session of the account; sign in with the new password.',
      security: PUBLISHABLE_KEY,
      request: { body: jsonBody(z.strictObject({ token: z.string().min(1).max(256), password })) },
      responses: { 204: { description: 'Password changed' }, ...errorResponses() },
    }),
    async (c) => {
      const body = c.req.valid('json');
      await customers.confirmPasswordReset({
        storeId: storeOf(c),
        token: body.token,
        password: body.password,
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/customers',
      tags,
      summary: "The store's customers, newest first",
      description:
        '`q` keeps the customers whose email or name starts with it (case-insensitive); `verified` keeps those ' +
        'whose email is (or is not) verified. Secret key or staff session.',
      security: SECRET_KEY,
      request: {
        query: z.object({
          q: z.string().trim().min(1).max(200).optional().openapi({ description: 'Email or name prefix.' }),
          verified: z
            .enum(['true', 'false'])
            .optional()
            .transform((v) => (v === undefined ? undefined : v === 'true')),
          limit: limitParam,
          cursor: cursorParam,
        }),
      },
      responses: { 200: jsonContent(listOf(CustomerSchema), 'Newest first'), ...errorResponses() },
    }),
    async (c) => {
      assertSecret(c);
      const q = c.req.valid('query');
      // A search has its own cursors: a cursor of another search would skip or repeat customers.
      const listName = `customers:${q.q ?? ''}:${q.verified ?? ''}`;
      const rows = await customers.list({
        storeId: storeOf(c),
        q: q.q,
        verified: q.verified,
        beforeId: cursorId(listName, q.cursor),
        limit: q.limit,
      });
      return c.json(idList(listName, rows.map(serializeCustomer), q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/customers/{id}',
      tags,
      summary: 'A customer, with their orders',
      description:
        'The account, its order figures (count, spend and last order, per currency, in the key’s mode) and its ' +
        'latest orders. Orders are those placed signed in, and guest orders with the email once it is verified.',
      security: SECRET_KEY,
      request: { params: idParams('customer', 'customer') },
      responses: { 200: jsonContent(CustomerDetailSchema, 'The customer'), ...errorResponses() },
    }),
    async (c) => {
      assertSecret(c);
      const auth = c.get('auth');
      const d = await customers.detail({
        storeId: auth.storeId,
        livemode: auth.mode === 'live',
        customerId: c.req.valid('param').id,
        recent: RECENT_ORDERS,
      });
      return c.json(
        {
          ...serializeCustomer(d.customer),
          orders: orderSummary(d.totals, d.recent.map(deps.serializeOrder)),
        },
        200,
      );
    },
  );

  return app;
}
