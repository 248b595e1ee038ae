import { Hono } from 'hono';
import type { AppEnv } from '../../shared/http/env.ts';
import { type AdminFile, adminPage } from './admin.assets.ts';

const SECURITY = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

/**
 * The merchant dashboard at `/admin`: a single page app built in memory on the first request (esbuild), its
 * bundle at `/admin/assets/*`, and the same HTML page for every other `/admin` path (the app routes itself).
 */
export function adminRoutes(deps: { build: () => Promise<Map<string, AdminFile>> }) {
  let built: Promise<Map<string, AdminFile>> | null = null;
  const files = () => {
    built ??= deps.build().catch((e) => {
      built = null;
      throw e;
    });
    return built;
  };
  const app = new Hono<AppEnv>();
  app.get('/admin', (c) => c.redirect('/admin/', 301));
  app.get('/admin/*', async (c) => {
    const all = await files();
    const asset = all.get(c.req.path);
    if (asset) {
      return c.body(asset.body, 200, {
        'Content-Type': asset.type,
        'Cache-Control': 'no-cache',
        ...SECURITY,
      });
    }
    if (c.req.path.startsWith('/admin/assets/')) return c.notFound();
    return c.body(adminPage(all.has('/admin/assets/app.css')), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      ...SECURITY,
    });
  });
  return app;
}
