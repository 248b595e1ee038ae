import type { MiddlewareHandler } from 'hono';
import { createRandomHex } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { AppEnv, AuthContext } from './env.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C Trace Context: version-traceid-parentid-flags; a later version may append fields after a dash. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** sampled (bit 0) + random trace-id (bit 1, Trace Context level 2): our trace ids are 16 random bytes. */
const OWN_FLAGS = '03';

export interface RequestTrace {
  requestId: string;
  traceId: string;
  /** Our span: the parent-id of the `traceparent` we answer with. */
  spanId: string;
  /** The `traceparent` to answer with: the caller's trace (or a new one), a new span of ours. */
  traceparent: string;
  started: number;
}

/** The trace id and flags of a valid incoming `traceparent`, or null (then the request starts a trace). */
export function parseTraceparent(header: string | undefined): { traceId: string; flags: string } | null {
  if (!header) return null;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return null;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  if (version === '00' && rest !== undefined) return null;
  return { traceId: traceId!, flags: version === '00' ? flags! : OWN_FLAGS };
}

/**
 * Request ids, W3C trace context, the latency histogram and the access log, shared by the Hono middleware
 * and the catalog fast path so both stamp and record requests the same way.
 * Every id is random (slices of a pooled CSPRNG block): samplers that read the low bits of a trace id see
 * a uniform distribution, and no id tells how many requests came before it.
 */
export function createRequestTracer(deps: { logger: Logger; metrics: Metrics }) {
  const randomHex = createRandomHex();
  const nonZero = (bytes: number, zero: string) => {
    let id = randomHex(bytes);
    while (id === zero) id = randomHex(bytes);
    return id;
  };
  const accessLog = deps.logger.isLevelEnabled('info');
  const internalLog = deps.logger.isLevelEnabled('debug');
  return {
    begin(incomingId: string | undefined, incomingTraceparent: string | undefined): RequestTrace {
      const requestId = incomingId && SAFE_ID.test(incomingId) ? incomingId : `req_${randomHex(12)}`;
      const incoming = parseTraceparent(incomingTraceparent);
      const traceId = incoming?.traceId ?? nonZero(16, ZERO_TRACE);
      const spanId = nonZero(8, ZERO_SPAN);
      return {
        requestId,
        traceId,
        spanId,
        traceparent: `00-${traceId}-${spanId}-${incoming?.flags ?? OWN_FLAGS}`,
        started: performance.now(),
      };
    },
    end(
      t: RequestTrace,
      r: {
        method: string;
        path: string;
        route: string;
        status: number;
        auth?: AuthContext | undefined;
        /** Made by this process to itself (the storefront's reads): logged at debug, not info. */
        inProcess?: boolean;
      },
    ) {
      const seconds = (performance.now() - t.started) / 1000;
      deps.metrics.httpDuration.observe({ method: r.method, route: r.route, status: r.status }, seconds);
      if (r.inProcess ? internalLog : accessLog) {
        deps.logger[r.inProcess ? 'debug' : 'info'](
          {
            request_id: t.requestId,
            trace_id: t.traceId,
            span_id: t.spanId,
            ...(r.auth ? { store_id: r.auth.storeId, key_id: r.auth.keyId } : {}),
            method: r.method,
            path: r.path,
            route: r.route,
            status: r.status,
            ms: Math.round(seconds * 10000) / 10,
          },
          'request',
        );
      }
    },
  };
}

export type RequestTracer = ReturnType<typeof createRequestTracer>;

/**
 * The Hono env of requests the app makes to itself (`app.fetch(request, IN_PROCESS)`): an env no request from
 * the network carries, so a client cannot pass for one.
 */
export const IN_PROCESS: Readonly<{ inProcess: true }> = Object.freeze({ inProcess: true });

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
      auth: c.get('auth'),
      inProcess: (c.env as { inProcess?: unknown } | undefined)?.inProcess === true,
    });
  };
}
