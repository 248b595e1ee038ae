import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import { authenticateKey, bearer, type KeyResolver } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { ANY_KEY, commonErrors, createRouter, ErrorSchema, jsonContent } from '../../shared/http/openapi.ts';
import {
  batchRefusal,
  type FunnelBatch,
  FunnelBatchSchema,
  MAX_BATCH_BYTES,
  MAX_EVENTS_PER_BATCH,
} from './analytics.rules.ts';
import type { AnalyticsService } from './analytics.service.ts';

export const ANALYTICS_EVENTS_PATH = '/v1/analytics/events';

type BatchEnv = { Variables: AppEnv['Variables'] & { batch: FunnelBatch } };

const tooLarge = () =>
  new AppError('PAYLOAD_TOO_LARGE', `A batch of funnel events is at most ${MAX_BATCH_BYTES} bytes.`, {
    param: 'body',
  });

const route = createRoute({
  method: 'post',
  path: ANALYTICS_EVENTS_PATH,
  tags: ['Analytics'],
  summary: 'Record a batch of funnel events (works with navigator.sendBeacon)',
  description:
    `Up to ${MAX_EVENTS_PER_BATCH} events and ${MAX_BATCH_BYTES / 1024} KB per batch, stored whole or refused whole. ` +
    'The key (publishable or secret) goes in `Authorization: Bearer …` or, where headers cannot be set ' +
    '(`navigator.sendBeacon` with a `text/plain` body), in the body as `key`. Events may be up to 7 days old and ' +
    'at most 24 hours ahead of the server clock.',
  security: ANY_KEY,
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: FunnelBatchSchema.openapi('FunnelEventBatch') },
        'text/plain': {
          schema: z.string().openapi({ description: 'The same JSON document, sent as text (sendBeacon).' }),
        },
      },
    },
  },
  responses: {
    202: jsonContent(z.object({ accepted: z.number().int() }).openapi('FunnelEventsAccepted'), 'Stored'),
    ...commonErrors,
    413: jsonContent(ErrorSchema, 'The batch is larger than 32 KB'),
  },
});

/**
 * POST /v1/analytics/events. The body is read by hand rather than by the router's JSON validator: it may come
 * as `text/plain` (a beacon cannot send JSON without a preflight) and may carry the key that authenticates it.
 */
export function analyticsRoutes(deps: {
  service: AnalyticsService;
  resolveKey: KeyResolver;
  /** Runs after authentication (per-key rate limit). */
  limited: MiddlewareHandler<AppEnv>;
}) {
  const app = createRouter();
  app.openAPIRegistry.registerPath(route);

  const readBatch: MiddlewareHandler<BatchEnv> = async (c, next) => {
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > MAX_BATCH_BYTES) throw tooLarge();
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_BATCH_BYTES) throw tooLarge();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError('MALFORMED_JSON', 'The request body is not valid JSON.', { param: 'body' });
    }
    const headerKey = bearer(c.req.header('authorization'));
    const bodyKey =
      body && typeof body === 'object' && typeof (body as { key?: unknown }).key === 'string'
        ? (body as { key: string }).key
        : null;
    if (headerKey && bodyKey && headerKey !== bodyKey) {
      throw new AppError('VALIDATION_FAILED', 'key: differs from the key in the Authorization header.', {
        param: 'key',
      });
    }
    const key = headerKey ?? bodyKey;
    if (!key) {
      throw new AppError(
        'AUTH_REQUIRED',
        'Send your API key as `Authorization: Bearer <key>` or as `key` in the body.',
      );
    }
    c.set('auth', await authenticateKey(deps.resolveKey, key, 'any'));
    const parsed = FunnelBatchSchema.safeParse(body);
    if (!parsed.success) throw batchRefusal(parsed.error);
    c.set('batch', parsed.data);
    await next();
  };

  app.post(
    ANALYTICS_EVENTS_PATH,
    readBatch,
    deps.limited as unknown as MiddlewareHandler<BatchEnv>,
    async (c) => {
      const auth = c.get('auth');
      const out = await deps.service.ingest(
        { storeId: auth.storeId, livemode: auth.mode === 'live' },
        c.get('batch'),
      );
      return c.json(out, 202);
    },
  );

  return app;
}
