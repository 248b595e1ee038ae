import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from './env.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface RequestTrace {
  requestId: string;
  traceId: string;
  /** The `traceparent` to answer with: the caller's trace, a new span of ours. */
  traceparent: string;
  started: number;
}

/**
 * Request ids, W3C trace context, the latency histogram and the access log, shared by the Hono middleware
 * and the catalog fast path so both stamp and record requests the same way.
 * Ids come from a random per-process prefix plus a counter: unique across processes and far cheaper than
 * asking the CSPRNG on every request (request ids are not secrets).
 */
export function createRequestTracer(deps: { logger: Logger; metrics: Metrics }) {
  const prefix = randomBytes(8).toString('hex');
  let counter = Math.floor(Math.random() * 2 ** 32);
  const accessLog = deps.logger.isLevelEnabled('info');
  return {
    begin(incomingId: string | undefined, incomingTraceparent: string | undefined): RequestTrace {
      counter = (counter + 1) % 2 ** 48;
      const unique = prefix + counter.toString(16).padStart(16, '0');
      const requestId = incomingId && SAFE_ID.test(incomingId) ? incomingId : `req_${unique.slice(8)}`;
      const tp = incomingTraceparent ? TRACEPARENT.exec(incomingTraceparent) : null;
      const traceId = tp ? tp[1]! : unique;
      return {
        requestId,
        traceId,
        traceparent: `00-${traceId}-${unique.slice(16)}-${tp ? tp[3] : '01'}`,
        started: performance.now(),
      };
    },
    end(t: RequestTrace, r: { method: string; path: string; route: string; status: number }) {
      const seconds = (performance.now() - t.started) / 1000;
      deps.metrics.httpDuration.observe({ method: r.method, route: r.route, status: r.status }, seconds);
      if (accessLog) {
        deps.logger.info(
          { request_id: t.requestId, trace_id: t.traceId, ...r, ms: Math.round(seconds * 10000) / 10 },
          'request',
        );
      }
    },
  };
}

export type RequestTracer = ReturnType<typeof createRequestTracer>;

/** Stamps every Hono-served request with its id and trace context, and records it when done. */
export function requestContext(tracer: RequestTracer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const t = tracer.begin(c.req.header('x-request-id'), c.req.header('traceparent'));
    c.set('requestId', t.requestId);
    c.set('traceId', t.traceId);
    c.header('X-Request-Id', t.requestId);
    c.header('traceparent', t.traceparent);
    await next();
    tracer.end(t, {
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath || 'unmatched',
      status: c.res.status,
    });
  };
}
