import type { IncomingMessage, ServerResponse } from 'node:http';
import { PUBLIC_CORS_HEADERS } from '../../shared/http/cors.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import { type RateDecision, type RateLimiter, rateLimitHeaders } from '../../shared/http/rate-limit.ts';
import type { RequestTracer } from '../../shared/http/request-id.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { CachedBody, UrlPageKind } from './catalog.cache.ts';
import { catalogHeaders, etagMatches } from './catalog.rules.ts';
import type { CatalogService } from './catalog.service.ts';

const PREFIX = '/v1/products/';
const PLAIN_SEGMENT = /^[A-Za-z0-9_-]{1,200}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Longer URLs are never remembered (catalog.cache.ts) and go to the router. */
const URL_MAX = 2048;
const SEARCH_TYPE = 'application/json; charset=UTF-8';

/** The path and query of a request URL as the router sees it: what a page is remembered under. */
export function pathAndQuery(href: string): string {
  const u = new URL(href);
  return u.pathname + u.search;
}

/** Pages answered by URL: the route label of their access log and metrics, and the kind they were stored as. */
const URL_PAGES: ReadonlyMap<string, UrlPageKind> = new Map([
  ['/v1/products', 'list'],
  ['/v1/products/search', 'search'],
]);

/** What one answer sends: the rendered body, and how the route would send it. */
interface Answer {
  entry: CachedBody;
  path: string;
  route: string;
  /** Catalog reads: public cache headers and `If-None-Match`; search results: the ETag only. */
  catalog: boolean;
  hits: { inc: () => void };
}

/**
 * The hottest requests of a store — publishable-key reads of a cached product, of a cached list page and
 * of a repeated search — answered at the node:http layer, before the router: a map lookup for the key, one
 * token from the rate limiter, one lookup for the rendered body. A product is found by its id or slug; a
 * list page or search result by the exact path and query the router last served it for (the route
 * remembers it, under the page generation, so a change that retires the page retires that too, and the
 * query is never parsed here). It answers exactly what the Hono route would (same body, validators, cache,
 * CORS and trace headers, same metrics and access log). Anything else — a cache miss, a secret key, an
 * unknown or malformed key, a URL not served before, a rate-limited key — answers false and goes through
 * the full router, which validates it and produces the error. With the in-process limiter the answer is
 * synchronous; with a shared limiter (Redis) it is a promise, settled after the one round trip for the token.
 */
export function createCatalogFastPath(deps: {
  service: Pick<CatalogService, 'cachedProduct' | 'cachedUrlPage'>;
  peekKey: (key: string) => AuthContext | null | undefined;
  /** The rate limiter: in process (synchronous) or shared through Redis (a promise). */
  limiter: { policy: RateLimiter['policy']; take: (keyId: string) => RateDecision | Promise<RateDecision> };
  tracer: RequestTracer;
  metrics: Metrics;
  cacheMaxAgeSeconds: number;
}) {
  const hits = {
    product: deps.metrics.cacheHits.labels('product'),
    list: deps.metrics.cacheHits.labels('list'),
    search: deps.metrics.cacheHits.labels('search'),
  };
  const cache = { isPublic: true, maxAgeSeconds: deps.cacheMaxAgeSeconds };
  const { limiter } = deps;

  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    o: Answer & { auth: AuthContext; decision: RateDecision },
  ): boolean {
    const { entry, auth, decision } = o;
    if (decision.wait > 0) return false; // the router answers the 429
    o.hits.inc();
    const t = deps.tracer.begin(
      req.headers['x-request-id'] as string | undefined,
      req.headers.traceparent as string | undefined,
    );
    const bytes = entry.bytes ?? Buffer.from(entry.body);
    const notModified = o.catalog && etagMatches(req.headers['if-none-match'], entry.etag);
    const status = notModified ? 304 : 200;
    res.writeHead(status, {
      ...(o.catalog ? catalogHeaders(entry.etag, cache) : { 'Content-Type': SEARCH_TYPE, ETag: entry.etag }),
      ...PUBLIC_CORS_HEADERS,
      ...rateLimitHeaders(limiter.policy, decision),
      'X-Request-Id': t.requestId,
      traceparent: t.traceparent,
      ...(notModified ? {} : { 'Content-Length': bytes.length }),
    });
    res.end(notModified ? undefined : bytes);
    deps.tracer.end(t, { method: 'GET', path: o.path, route: o.route, status, auth });
    return true;
  }

  /** The cached answer to a publishable-key request, if there is one. */
  function lookup(url: string, storeId: string): Answer | undefined {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const kind = URL_PAGES.get(path);
    if (kind) {
      if (url.length > URL_MAX) return undefined;
      const entry = deps.service.cachedUrlPage(storeId, url);
      if (entry?.kind !== kind) return undefined;
      return { entry, path, route: path, catalog: kind === 'list', hits: hits[kind] };
    }
    if (q >= 0 || !url.startsWith(PREFIX)) return undefined;
    const idOrSlug = url.slice(PREFIX.length);
    if (!PLAIN_SEGMENT.test(idOrSlug) || idOrSlug === 'search') return undefined;
    const entry = deps.service.cachedProduct(storeId, idOrSlug);
    if (!entry?.active) return undefined;
    return { entry, path: url, route: '/v1/products/:id', catalog: true, hits: hits.product };
  }

  return function serveCached(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    const url = req.url;
    if (req.method !== 'GET' || !url || !url.startsWith('/v1/products')) return false;
    const key = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!key) return false;
    const auth = deps.peekKey(key);
    if (auth?.kind !== 'publishable') return false;
    const found = lookup(url, auth.storeId);
    if (!found) return false;
    const decision = limiter.take(auth.keyId);
    if (!(decision instanceof Promise)) return answer(req, res, { ...found, auth, decision });
    return decision.then((d) => answer(req, res, { ...found, auth, decision: d }));
  };
}

export type CatalogFastPath = ReturnType<typeof createCatalogFastPath>;
