import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'If-Match',
  'X-Request-Id',
  'X-Cart-Token',
  'X-Order-Secret',
  'Customer-Token',
  'traceparent',
].join(', ');
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/** The CORS headers of every publishable-key response (also written by the catalog fast path). */
export const PUBLIC_CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers':
    'ETag, X-Request-Id, Idempotent-Replayed, Retry-After, RateLimit, RateLimit-Policy, traceparent',
} as const;

/**
 * Open CORS for publishable-key routes. Headers are set before the handler runs (Hono then builds the
 * response once), which keeps this cheap on the hot read path.
 */
export function publicCors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') {
      return c.body(null, 204, {
        ...PUBLIC_CORS_HEADERS,
        'Access-Control-Allow-Methods': METHODS,
        'Access-Control-Allow-Headers': ALLOW_HEADERS,
        'Access-Control-Max-Age': '600',
      });
    }
    for (const [k, v] of Object.entries(PUBLIC_CORS_HEADERS)) c.header(k, v);
    await next();
  };
}
