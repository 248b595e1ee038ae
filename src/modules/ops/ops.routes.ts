import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { appliedMigrationCount, type Executor, expectedMigrationCount, rows } from '../../shared/db.ts';
import { requireBearer } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { createRouter, jsonContent } from '../../shared/http/openapi.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { DOCS_BUNDLE_PATH, docsPage } from './docs-page.ts';
import type { OpenApiDocument } from './openapi-document.ts';

const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), z.string()).optional(),
});

export function opsRoutes(deps: {
  db: Executor;
  metrics: Metrics;
  isShuttingDown: () => boolean;
  /** When set, `/metrics` answers only requests bearing it. */
  metricsToken?: string;
}) {
  const app = createRouter();
  const expected = expectedMigrationCount();
  let migrationsOk = false;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Operations'],
      summary: 'Liveness: the process is up',
      responses: { 200: jsonContent(Health, 'Alive') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Operations'],
      summary: 'Readiness: database reachable, migrations applied, not shutting down',
      responses: { 200: jsonContent(Health, 'Ready'), 503: jsonContent(Health, 'Not ready') },
    }),
    async (c) => {
      const checks: Record<string, string> = {};
      try {
        await rows(deps.db, sql`select 1`);
        checks.database = 'ok';
        if (!migrationsOk) migrationsOk = (await appliedMigrationCount(deps.db)) >= expected;
        checks.migrations = migrationsOk ? 'ok' : `pending (expected ${expected})`;
      } catch {
        checks.database = 'unreachable';
      }
      checks.shutdown = deps.isShuttingDown() ? 'in progress' : 'no';
      const ok = checks.database === 'ok' && migrationsOk && !deps.isShuttingDown();
      return c.json({ status: ok ? ('ok' as const) : ('unavailable' as const), checks }, ok ? 200 : 503);
    },
  );

  const metricsAuth: MiddlewareHandler<AppEnv> = deps.metricsToken
    ? requireBearer(deps.metricsToken, 'METRICS_TOKEN', 'INVALID_METRICS_TOKEN')
    : async (_c, next) => next();
  app.get('/metrics', metricsAuth, async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  return app;
}

/**
 * Serves the OpenAPI document and the API reference at /docs: Redoc's standalone bundle, read once from the
 * package in node_modules (no CDN: a laptop without network still has its docs).
 */
export function mountOpenApi(app: OpenAPIHono<AppEnv>, document: () => OpenApiDocument) {
  app.get('/v1/openapi.json', (c) => c.json(document()));
  const bundle = readFileSync(createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'));
  const bundleTag = `"${createHash('sha256').update(bundle).digest('base64url').slice(0, 27)}"`;
  app.get(DOCS_BUNDLE_PATH, (c) => {
    c.header('ETag', bundleTag);
    c.header('Cache-Control', 'public, max-age=3600');
    if (c.req.header('if-none-match') === bundleTag) return c.body(null, 304);
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(bundle);
  });
  const page = docsPage({ specUrl: '/v1/openapi.json', bundleUrl: DOCS_BUNDLE_PATH });
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', page.csp);
    return c.html(page.html);
  });
}
