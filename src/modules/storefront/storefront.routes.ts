import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import type { ServedFile } from './storefront.builder.ts';

/** Paths that belong to the API and operations, never to the storefront. */
const NOT_OURS = /^\/(v1|docs|healthz|readyz|metrics|\.well-known)(\/|$)/;

function cacheControl(path: string, type: string): string {
  if (/^\/assets\/chunk-/.test(path)) return 'public, max-age=31536000, immutable';
  if (type.startsWith('text/html')) return 'public, max-age=60, stale-while-revalidate=600';
  return 'public, max-age=300, stale-while-revalidate=3600';
}

const SECURITY = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

const etagMatches = (header: string | undefined, etag: string) =>
  header?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);

function lookup(files: ReadonlyMap<string, ServedFile>, path: string) {
  const key = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const file = files.get(key) ?? files.get(key.replace(/\.html$/, ''));
  return file ? { key, file } : null;
}

/**
 * Answers GET/HEAD of a storefront file straight from node:http, before the router (like the catalog's fast
 * path): the pages are bytes in memory, gzipped once, so a page view costs a map lookup. False: not ours.
 */
export function storefrontFastPath(files: ReadonlyMap<string, ServedFile>) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (NOT_OURS.test(path)) return false;
    const found = lookup(files, path);
    if (!found) return false;
    const { key, file } = found;
    const headers: Record<string, string | number> = {
      'Content-Type': file.type,
      ETag: file.etag,
      'Cache-Control': cacheControl(key, file.type),
      Vary: 'Accept-Encoding',
      ...SECURITY,
    };
    if (etagMatches(req.headers['if-none-match'], file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = file.gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? file.gzip : null;
    const body = gzip ?? file.bytes;
    if (gzip) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/**
 * Serves the storefront from memory: pre-rendered pages, pictures, island bundles and the SDK builds, each
 * with a strong ETag (304 on `If-None-Match`) and cache headers a CDN can keep.
 */
export function storefrontRoutes(deps: { files: ReadonlyMap<string, ServedFile>; ready: () => boolean }) {
  const app = new Hono<AppEnv>();
  app.on(['GET', 'HEAD'], '*', (c) => {
    const path = c.req.path;
    if (NOT_OURS.test(path)) return c.notFound();
    const found = lookup(deps.files, path);
    if (!found) {
      const missing = deps.files.get('/404.html');
      if (!missing) {
        return c.text(
          deps.ready()
            ? 'Not found'
            : 'The storefront is not configured on this server (see STOREFRONT_PUBLISHABLE_KEY).',
          404,
        );
      }
      return c.body(missing.body as string, 404, {
        'Content-Type': missing.type,
        'Cache-Control': 'no-store',
        ...SECURITY,
      });
    }
    const { key, file } = found;
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      ETag: file.etag,
      'Cache-Control': cacheControl(key, file.type),
      ...SECURITY,
    };
    if (etagMatches(c.req.header('if-none-match'), file.etag)) {
      return c.body(null, 304, headers);
    }
    return c.body(new Uint8Array(file.bytes), 200, headers);
  });
  return app;
}
