import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import {
  crudRoutes,
  cursorId,
  deleted,
  idList,
  idParam,
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
  jsonBody,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, limitParam } from '../../shared/http/pagination.ts';
import { EVENT_TYPES } from '../events/index.ts';
import {
  serializeAttempt,
  serializeDelivery,
  serializeEndpoint,
  type WebhooksService,
} from './webhooks.service.ts';

const tags = ['Webhooks'];
const security = SECRET_KEY;

const stamps = { version: z.number().int(), created_at: z.string(), updated_at: z.string() };

const EndpointSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()),
    disabled: z.boolean(),
    disabled_reason: z
      .enum(['gone', 'failing'])
      .nullable()
      .openapi({ description: 'Why the platform disabled it: `gone` (answered 410) or `failing` (3 days).' }),
    livemode: z.boolean(),
    secret: z.string().optional().openapi({
      description: 'The signing secret (`whsec_…`): only in the answers to create and rotate_secret.',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
    ...stamps,
  })
  .openapi('WebhookEndpoint');

const DeliverySchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_delivery'),
    endpoint_id: z.string(),
    event_id: z.string().openapi({ description: 'Also the `webhook-id` header: the same on every attempt.' }),
    event_type: z.string(),
    livemode: z.boolean(),
    state: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_attempt_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookDelivery');

const AttemptSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_attempt'),
    started_at: z.string(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    latency_ms: z.number().int(),
    response_body: z.string().nullable().openapi({ description: 'The first 4 KB of the answer.' }),
  })
  .openapi('WebhookAttempt');

const DeliveryDetailSchema = DeliverySchema.extend({ attempt_log: z.array(AttemptSchema) }).openapi(
  'WebhookDeliveryDetail',
);

const url = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .openapi({ example: 'https://example.com/webhooks/crowdstart' });
const enabledEvents = z
  .array(z.enum(['*', ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .transform((a) => (a.includes('*') ? ['*'] : [...new Set(a)]))
  .openapi({ description: "Event types to receive, or ['*'] for every type." });
const description = z.string().trim().max(500).nullable();

const EndpointCreate = z.strictObject({
  url,
  enabled_events: enabledEvents,
  description: description.default(null),
  disabled: z.boolean().default(false),
});
const EndpointPatch = z.strictObject({
  url: url.optional(),
  enabled_events: enabledEvents.optional(),
  description: description.optional(),
  disabled: z.boolean().optional(),
  version: resourceVersion.optional(),
});

const endpointsCrud = crudRoutes({
  path: '/v1/webhook_endpoints',
  kind: 'webhookEndpoint',
  noun: 'webhook endpoint',
  schema: EndpointSchema,
  one: 'The webhook endpoint',
  tags,
  security,
});

const endpointParams = z.object({ id: idParam('webhookEndpoint', 'webhook endpoint') });
const deliveryParams = endpointParams.extend({ delivery_id: idParam('webhookDelivery', 'webhook delivery') });

const post = <R extends RouteConfig['request'], S extends z.ZodType>(
  path: string,
  summary: string,
  request: R,
  ok: { description: string; content: { 'application/json': { schema: S } } },
) =>
  createRoute({
    method: 'post',
    path,
    tags,
    summary,
    security,
    request,
    responses: { 200: ok, ...commonErrors },
  });

const urlErrors = {
  ...commonErrors,
  409: jsonContent(ErrorSchema, 'The endpoint changed since you read it'),
};

export function webhooksRoutes(deps: {
  service: WebhooksService;
  secret: readonly MiddlewareHandler<AppEnv>[];
}) {
  const { service } = deps;
  const app = createRouter();
  for (const p of ['/v1/webhook_endpoints', '/v1/webhook_endpoints/*']) app.use(p, ...deps.secret);
  const scope = (c: Context<AppEnv>) => {
    const a = c.get('auth');
    return { storeId: a.storeId, livemode: a.mode === 'live' };
  };

  app.openapi(
    endpointsCrud.create({
      summary: 'Create a webhook endpoint (the answer carries its signing secret, shown this once)',
      body: EndpointCreate,
      errors: commonErrors,
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.endpoints.create(scope(c), {
        url: b.url,
        enabledEvents: b.enabled_events,
        description: b.description,
        disabled: b.disabled,
      });
      return c.json(serializeEndpoint(row, { secret: true }), 201);
    },
  );

  app.openapi(
    endpointsCrud.list({
      summary: 'List webhook endpoints of the key’s mode, newest first',
      query: pageQuery,
      description: 'Webhook endpoints',
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await service.endpoints.list(scope(c), {
        limit: q.limit,
        before: cursorId('webhook_endpoints', q.cursor),
      });
      return c.json(
        idList(
          'webhook_endpoints',
          rows.map((r) => serializeEndpoint(r)),
          q.limit,
        ),
        200,
      );
    },
  );

  app.openapi(endpointsCrud.get({ summary: 'Get a webhook endpoint' }), async (c) => {
    const row = await service.endpoints.get(scope(c), c.req.valid('param').id);
    versionETag(c, row);
    return c.json(serializeEndpoint(row), 200);
  });

  app.openapi(
    endpointsCrud.patch({
      summary: 'Update a webhook endpoint (optimistic: `version` or `If-Match`)',
      body: EndpointPatch,
      errors: urlErrors,
    }),
    async (c) => {
      const b = c.req.valid('json');
      const row = await service.endpoints.update(scope(c), c.req.valid('param').id, {
        expectedVersion: await versionOf(c, b.version),
        url: b.url,
        enabledEvents: b.enabled_events,
        description: b.description,
        disabled: b.disabled,
      });
      versionETag(c, row);
      return c.json(serializeEndpoint(row), 200);
    },
  );

  app.openapi(
    endpointsCrud.delete({ summary: 'Delete a webhook endpoint and its delivery log' }),
    async (c) => {
      const { id } = c.req.valid('param');
      await service.endpoints.delete(scope(c), id);
      return c.json(deleted(id, 'webhook_endpoint'), 200);
    },
  );

  app.openapi(
    post(
      '/v1/webhook_endpoints/{id}/rotate_secret',
      'Rotate the signing secret; the previous one keeps signing beside it for 24 hours',
      { params: endpointParams },
      jsonContent(EndpointSchema, 'The endpoint with its new secret'),
    ),
    async (c) => {
      const row = await service.endpoints.rotateSecret(scope(c), c.req.valid('param').id);
      return c.json(serializeEndpoint(row, { secret: true }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/{id}/deliveries',
      tags,
      summary: 'List the deliveries of an endpoint, newest first',
      security,
      request: {
        params: endpointParams,
        query: z.object({
          limit: limitParam,
          cursor: cursorParam,
          state: z
            .enum(['pending', 'succeeded', 'failed', 'cancelled'])
            .optional()
            .openapi({ param: { name: 'state', in: 'query' } }),
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('list'),
            data: z.array(DeliverySchema),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          'Deliveries',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await service.deliveries.list(scope(c), c.req.valid('param').id, {
        state: q.state,
        limit: q.limit,
        before: cursorId('webhook_deliveries', q.cursor),
      });
      return c.json(idList('webhook_deliveries', rows.map(serializeDelivery), q.limit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhook_endpoints/{id}/deliveries/{delivery_id}',
      tags,
      summary: 'Get a delivery with the log of its attempts',
      security,
      request: { params: deliveryParams },
      responses: { 200: jsonContent(DeliveryDetailSchema, 'The delivery'), ...commonErrors },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const { delivery, attempts } = await service.deliveries.get(scope(c), p.id, p.delivery_id);
      return c.json({ ...serializeDelivery(delivery), attempt_log: attempts.map(serializeAttempt) }, 200);
    },
  );

  app.openapi(
    post(
      '/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry',
      'Send a delivery again now (same event, same webhook-id)',
      { params: deliveryParams },
      jsonContent(DeliverySchema, 'The delivery, due now'),
    ),
    async (c) => {
      const p = c.req.valid('param');
      const d = await service.deliveries.retry(scope(c), p.id, p.delivery_id);
      return c.json(serializeDelivery(d), 200);
    },
  );

  app.openapi(
    post(
      '/v1/webhook_endpoints/{id}/redeliver',
      'Send again every failed or cancelled delivery of events since a time',
      {
        params: endpointParams,
        body: jsonBody(
          z.strictObject({
            since: z.iso
              .datetime({ offset: true })
              .transform((s) => new Date(s))
              .openapi({ example: '2026-11-01T00:00:00Z' }),
          }),
        ),
      },
      jsonContent(
        z.object({ object: z.literal('redelivery'), requeued: z.number().int() }).openapi('Redelivery'),
        'How many deliveries are due again',
      ),
    ),
    async (c) => {
      const n = await service.deliveries.redeliver(
        scope(c),
        c.req.valid('param').id,
        c.req.valid('json').since,
      );
      return c.json({ object: 'redelivery' as const, requeued: n }, 200);
    },
  );

  app.openapi(
    post(
      '/v1/webhook_endpoints/{id}/test',
      'Send a `webhook.test` event to this endpoint only',
      { params: endpointParams },
      jsonContent(DeliverySchema, 'The test delivery, due now'),
    ),
    async (c) => {
      const d = await service.deliveries.sendTest(scope(c), c.req.valid('param').id);
      return c.json(serializeDelivery(d), 200);
    },
  );

  return app;
}
