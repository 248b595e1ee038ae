import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { AppEnv, AuthContext } from '../../shared/http/env.ts';
import { commonErrors, createRouter, jsonContent, SECRET_KEY } from '../../shared/http/openapi.ts';
import { cursorParam, decodeCursor, encodeCursor, limitParam, list } from '../../shared/http/pagination.ts';
import { EVENT_TYPES } from './events.catalogue.ts';
import { eventEnvelope, parseTypeFilter } from './events.rules.ts';
import type { EventScope, EventsService } from './events.service.ts';

const EVENT_ID = /^evt_[0-9a-z]{26}$/;

const eventScope = (auth: AuthContext): EventScope => ({
  storeId: auth.storeId,
  livemode: auth.mode === 'live',
});

export const EventSchema = z
  .object({
    id: z.string().openapi({ example: 'evt_01jq3v6y8c0000000000000000' }),
    object: z.literal('event'),
    type: z.enum(EVENT_TYPES).openapi({ example: 'order.paid' }),
    created: z.string().openapi({ description: 'ISO 8601', example: '2026-11-29T17:47:18.000Z' }),
    livemode: z.boolean().openapi({ description: 'true for events of live-mode objects' }),
    api_version: z.string().openapi({ example: '2026-11-01' }),
    data: z.object({
      object: z
        .record(z.string(), z.unknown())
        .openapi({ description: 'The object as the API shows it (an order, a product, …)' }),
    }),
  })
  .openapi('Event');

/** `GET /v1/events` and `GET /v1/events/{id}` (secret key; a key sees its own mode's events only). */
export function eventsRoutes(deps: {
  events: EventsService;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[] };
}) {
  const { events } = deps;
  const app = createRouter();
  const secret = every(...deps.auth.secret);
  app.use('/v1/events', secret);
  app.use('/v1/events/*', secret);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['Events'],
      summary: 'List events of the last 30 days, newest first',
      security: SECRET_KEY,
      request: {
        query: z.object({
          type: z.string().max(2000).optional().openapi({
            description: 'One type, a comma-separated list, or a family such as `order.*`.',
            example: 'order.paid,order.refunded',
          }),
          created_gte: z.iso.datetime({ offset: true }).optional(),
          created_lt: z.iso.datetime({ offset: true }).optional(),
          limit: limitParam,
          cursor: cursorParam,
        }),
      },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('list'),
            data: z.array(EventSchema),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          'Events',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const types = q.type === undefined ? undefined : parseTypeFilter(q.type);
      const cursor = decodeCursor('events', q.cursor, 2);
      const before =
        cursor && typeof cursor[0] === 'number' && typeof cursor[1] === 'string'
          ? { createdAt: new Date(cursor[0]), id: cursor[1] }
          : undefined;
      const rows = await events.list(eventScope(c.get('auth')), {
        types,
        createdGte: q.created_gte ? new Date(q.created_gte) : undefined,
        createdLt: q.created_lt ? new Date(q.created_lt) : undefined,
        before,
        limit: q.limit,
      });
      const page = list(rows, q.limit, (last) => encodeCursor('events', [last.createdAt.getTime(), last.id]));
      return c.json({ ...page, data: page.data.map(eventEnvelope) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/{id}',
      tags: ['Events'],
      summary: 'An event',
      security: SECRET_KEY,
      request: {
        params: z.object({
          id: z
            .string()
            .regex(EVENT_ID, 'must be an event id (evt_…)')
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: jsonContent(EventSchema, 'The event'), ...commonErrors },
    }),
    async (c) => {
      const e = await events.get(eventScope(c.get('auth')), c.req.valid('param').id);
      return c.json(eventEnvelope(e), 200);
    },
  );

  return app;
}
