import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { type AppEnv, actorOf } from '../../shared/http/env.ts';
import {
  commonErrors,
  createRouter,
  ErrorSchema,
  jsonBody,
  jsonContent,
  SECRET_KEY,
} from '../../shared/http/openapi.ts';
import { cursorParam, limitParam, list } from '../../shared/http/pagination.ts';
import { type InventoryService, serializeMovement } from './inventory.service.ts';

const MAX_UNITS = 1_000_000_000;

const LevelSchema = z
  .object({
    object: z.literal('inventory_level'),
    variant_id: z.string(),
    on_hand: z.number().int(),
    committed: z.number().int().openapi({ description: 'Units reserved by orders not yet captured.' }),
    held: z.number().int().openapi({ description: 'Units in live cart holds.' }),
    available: z
      .number()
      .int()
      .openapi({ description: 'on_hand − committed − held; negative when oversold.' }),
  })
  .openapi('InventoryLevel');

const MovementSchema = z
  .object({
    id: z.string(),
    object: z.literal('inventory_movement'),
    variant_id: z.string(),
    delta_on_hand: z.number().int(),
    delta_committed: z.number().int(),
    reason: z.enum(['set', 'adjust', 'reserve', 'commit', 'release', 'expire', 'return', 'cancel']),
    reference: z.string().nullable().openapi({ description: 'The order id, for order-driven movements.' }),
    note: z.string().nullable(),
    actor: z.string().nullable().openapi({
      description: 'Who set or adjusted it by hand (`staff:<id>`, `key:<id>`); null for orders.',
    }),
    created_at: z.string(),
  })
  .openapi('InventoryMovement');

const params = z.object({
  variant_id: z
    .string()
    .regex(/^var_[0-9a-z]{26}$/, 'must be a variant id (var_…)')
    .openapi({ param: { name: 'variant_id', in: 'path' } }),
});

export function inventoryRoutes(deps: {
  service: InventoryService;
  secret: readonly MiddlewareHandler<AppEnv>[];
}) {
  const { service } = deps;
  const app = createRouter();
  app.use('/v1/inventory/*', ...deps.secret);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inventory/{variant_id}',
      tags: ['Inventory'],
      summary: "A variant's stock: on hand, committed to orders, held by carts, available",
      security: SECRET_KEY,
      request: { params },
      responses: { 200: jsonContent(LevelSchema, 'The stock level'), ...commonErrors },
    }),
    async (c) => c.json(await service.getLevel(c.get('auth').storeId, c.req.valid('param').variant_id), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/inventory/{variant_id}',
      tags: ['Inventory'],
      summary: 'Set on-hand stock (a count); recorded as a `set` movement with the difference',
      security: SECRET_KEY,
      request: {
        params,
        body: jsonBody(z.strictObject({ on_hand: z.number().int().min(0).max(MAX_UNITS) })),
      },
      responses: { 200: jsonContent(LevelSchema, 'The stock level'), ...commonErrors },
    }),
    async (c) => {
      const { variant_id } = c.req.valid('param');
      return c.json(
        await service.setLevel(
          c.get('auth').storeId,
          variant_id,
          c.req.valid('json').on_hand,
          actorOf(c.get('auth')),
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/inventory/{variant_id}/adjust',
      tags: ['Inventory'],
      summary: 'Add or remove on-hand units (receipt, loss); never below zero on hand',
      description:
        'Recorded as an `adjust` movement. On-hand may end below `committed` (a count that finds fewer units is ' +
        'recorded as it is), but a negative delta larger than the on-hand stock is refused with `INSUFFICIENT_STOCK`.',
      security: SECRET_KEY,
      request: {
        params,
        body: jsonBody(
          z.strictObject({
            delta: z
              .number()
              .int()
              .min(-MAX_UNITS)
              .max(MAX_UNITS)
              .refine((d) => d !== 0, 'must not be 0'),
            note: z.string().max(500).optional(),
          }),
        ),
      },
      responses: {
        200: jsonContent(LevelSchema, 'The stock level'),
        409: jsonContent(ErrorSchema, 'Not enough stock on hand for the removal (`INSUFFICIENT_STOCK`)'),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { variant_id } = c.req.valid('param');
      const { delta, note } = c.req.valid('json');
      const auth = c.get('auth');
      return c.json(await service.adjust(auth.storeId, variant_id, delta, note, actorOf(auth)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/inventory/{variant_id}/movements',
      tags: ['Inventory'],
      summary: "A variant's stock ledger, newest first",
      security: SECRET_KEY,
      request: { params, query: z.object({ limit: limitParam, cursor: cursorParam }) },
      responses: {
        200: jsonContent(
          z.object({
            object: z.literal('list'),
            data: z.array(MovementSchema),
            has_more: z.boolean(),
            next_cursor: z.string().nullable(),
          }),
          'Movements',
        ),
        ...commonErrors,
      },
    }),
    async (c) => {
      const { variant_id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const page = await service.listMovements(c.get('auth').storeId, variant_id, { limit, cursor });
      const l = list(page.rows, limit, page.cursorOf);
      return c.json({ ...l, data: l.data.map(serializeMovement) }, 200);
    },
  );

  return app;
}
