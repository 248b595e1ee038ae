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

/**
 * Serves the storefront from memory: pre-rendered pages, pictures, island bundles and the SDK builds, each
 * with a strong ETag (304 on `If-None-Match`) and cache headers a CDN can keep.
 */
export function storefrontRoutes(deps: { files: ReadonlyMap<string, ServedFile>; ready: () => boolean }) {
  const app = new Hono<AppEnv>();
  app.on(['GET', 'HEAD'], '*', (c) => {
    const path = c.req.path;
    if (NOT_OURS.test(path)) return c.notFound();
    const key = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const file = deps.files.get(key) ?? deps.files.get(key.replace(/\.html$/, ''));
    if (!file) {
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
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      ETag: file.etag,
      'Cache-Control': cacheControl(key, file.type),
      ...SECURITY,
    };
    const match = c.req.header('if-none-match');
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) {
      return c.body(null, 304, headers);
    }
    return c.body(file.body as string, 200, headers);
  });
  return app;
}
