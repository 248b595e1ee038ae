import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from './env.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Request ids (propagated from `X-Request-Id` when sane), W3C trace context, one access-log line and
 * the latency histogram per request.
 */
export function requestContext(deps: { logger: Logger; metrics: Metrics }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SAFE_ID.test(incoming) ? incoming : `req_${randomBytes(12).toString('hex')}`;
    const tp = TRACEPARENT.exec(c.req.header('traceparent') ?? '');
    const traceId = tp ? tp[1]! : randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    const log = deps.logger.child({ request_id: requestId, trace_id: traceId });
    c.set('requestId', requestId);
    c.set('log', log);
    await next();
    c.header('X-Request-Id', requestId);
    c.header('traceparent', `00-${traceId}-${spanId}-${tp ? tp[3] : '01'}`);
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath || 'unmatched';
    deps.metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    log.info(
      { method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 10000) / 10 },
      'request',
    );
  };
}
