import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { appliedMigrationCount, type Executor, expectedMigrationCount, rows } from '../../shared/db.ts';
import { requireBearer } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { createRouter, jsonContent } from '../../shared/http/openapi.ts';
import type { Metrics } from '../../shared/metrics.ts';
import { docsPage } from './docs-page.ts';

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

/** Serves the OpenAPI document and a self-contained reference page (no CDN needed). */
export function mountOpenApi(app: OpenAPIHono<AppEnv>) {
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Crowdstart API',
      version: '1.0.0',
      description:
        'Headless commerce: catalog, search, carts, inventory, checkout, payments and orders. ' +
        'Errors have the shape `{ error: { type, code, message, param?, request_id } }`.',
    },
    servers: [{ url: '/' }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'publishableKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'Publishable key `pk_test_…` / `pk_live_…`: storefront reads, carts, checkout.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'secretKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'Secret key `sk_test_…` / `sk_live_…`: everything in the store.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'rootToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The platform root token (`CROWDSTART_ROOT_TOKEN`): creates stores and keys.',
  });
  app.get('/docs', (c) => c.html(docsPage('/v1/openapi.json')));
}
