import type { IncomingMessage, ServerResponse } from 'node:http';
import { PUBLIC_CORS_HEADERS } from '../../shared/http/cors.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import { type RateDecision, type RateLimiter, rateLimitHeaders } from '../../shared/http/rate-limit.ts';
import type { RequestTracer } from '../../shared/http/request-id.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { CachedProduct } from './catalog.cache.ts';
import { catalogHeaders, etagMatches } from './catalog.rules.ts';
import type { CatalogService } from './catalog.service.ts';

const PREFIX = '/v1/products/';
const PLAIN_SEGMENT = /^[A-Za-z0-9_-]{1,200}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The hottest request of a store — a publishable-key read of a cached product — answered at the
 * node:http layer, before the router: a map lookup for the key, one token from the rate limiter, one for
 * the rendered body. It answers exactly what the Hono route would (same body, validators, cache, CORS and
 * trace headers, same metrics and access log). Anything else — a cache miss, a secret key, an unknown or
 * malformed key, a query string, a rate-limited key — answers false and goes through the full router,
 * which validates it and produces the error. With the in-process limiter the answer is synchronous; with a
 * shared limiter (Redis) it is a promise, settled after the one round trip for the token.
 */
export function createCatalogFastPath(deps: {
  service: Pick<CatalogService, 'cachedProduct'>;
  peekKey: (key: string) => AuthContext | null | undefined;
  /** The rate limiter: in process (synchronous) or shared through Redis (a promise). */
  limiter: { policy: RateLimiter['policy']; take: (keyId: string) => RateDecision | Promise<RateDecision> };
  tracer: RequestTracer;
  metrics: Metrics;
  cacheMaxAgeSeconds: number;
}) {
  const hits = deps.metrics.cacheHits.labels('product');
  const cache = { isPublic: true, maxAgeSeconds: deps.cacheMaxAgeSeconds };
  const { limiter } = deps;

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    o: { url: string; auth: AuthContext; entry: CachedProduct; decision: RateDecision },
  ): boolean {
    const { url, auth, entry, decision } = o;
    if (decision.wait > 0) return false; // the router answers the 429
    hits.inc();
    const t = deps.tracer.begin(
      req.headers['x-request-id'] as string | undefined,
      req.headers.traceparent as string | undefined,
    );
    const notModified = etagMatches(req.headers['if-none-match'], entry.etag);
    const status = notModified ? 304 : 200;
    res.writeHead(status, {
      ...catalogHeaders(entry.etag, cache),
      ...PUBLIC_CORS_HEADERS,
      ...rateLimitHeaders(limiter.policy, decision),
      'X-Request-Id': t.requestId,
      traceparent: t.traceparent,
      ...(notModified ? {} : { 'Content-Length': Buffer.byteLength(entry.body) }),
    });
    res.end(notModified ? undefined : entry.body);
    deps.tracer.end(t, { method: 'GET', path: url, route: '/v1/products/:id', status, auth });
    return true;
  }

  return function serveCachedProduct(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    const url = req.url;
    if (req.method !== 'GET' || !url || !url.startsWith(PREFIX)) return false;
    const idOrSlug = url.slice(PREFIX.length);
    if (!PLAIN_SEGMENT.test(idOrSlug) || idOrSlug === 'search') return false;
    const key = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!key) return false;
    const auth = deps.peekKey(key);
    if (auth?.kind !== 'publishable') return false;
    const entry = deps.service.cachedProduct(auth.storeId, idOrSlug);
    if (!entry?.active) return false;
    const decision = limiter.take(auth.keyId);
    if (!(decision instanceof Promise)) return answer(req, res, { url, auth, entry, decision });
    return decision.then((d) => answer(req, res, { url, auth, entry, decision: d }));
  };
}

export type CatalogFastPath = ReturnType<typeof createCatalogFastPath>;
