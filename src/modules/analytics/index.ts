import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { KeyResolver } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { reportsRoutes } from './analytics.reports.routes.ts';
import { createReports } from './analytics.reports.ts';
import { createRollups, type RollupDeps } from './analytics.rollups.ts';
import { analyticsRoutes } from './analytics.routes.ts';
import { createAnalyticsService } from './analytics.service.ts';
import { searchMiss } from './analytics.tables.ts';

export { FUNNEL_STEPS, funnelOf } from './analytics.reports.ts';
export { RAW_RETENTION_DAYS } from './analytics.rollups.ts';
export { ANALYTICS_EVENTS_PATH } from './analytics.routes.ts';
export { FUNNEL_EVENT_TYPES, type FunnelEventType } from './analytics.rules.ts';

/** Funnel events from storefronts (`POST /v1/analytics/events`), stored for the daily reports. */
export function createAnalyticsModule(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  resolveKey: KeyResolver;
  limited: MiddlewareHandler<AppEnv>;
}) {
  const service = createAnalyticsService(deps);
  return {
    service,
    routes: analyticsRoutes({ service, resolveKey: deps.resolveKey, limited: deps.limited }),
  };
}

/**
 * Reports on the funnel events and the orders: daily rollups rebuilt by the `analytics.rollup` task (one
 * transaction per store and day, safe with any number of workers), the `/v1/reports/*` routes, the raw
 * events' 90-day retention, and the record of searches that found nothing (fed by the search module).
 */
export function createReportsModule(deps: {
  db: Executor;
  clock: Clock;
  logger: Logger;
  secret: readonly MiddlewareHandler<AppEnv>[];
  salesByDay: RollupDeps['salesByDay'];
  storesWithSales: RollupDeps['storesWithSales'];
  rollupEveryMs: number;
}) {
  const { db, clock, logger } = deps;
  const rollups = createRollups(deps);
  const reports = createReports(deps);
  const tasks: PeriodicTask[] = [
    { name: 'analytics.rollup', everyMs: deps.rollupEveryMs, run: () => rollups.rollupRecent() },
    { name: 'analytics.retention', everyMs: 3_600_000, run: () => rollups.purgeRaw() },
  ];
  return {
    rollups,
    reports,
    tasks,
    routes: reportsRoutes({ reports, secret: deps.secret }),
    /** For the search module: a query that matched nothing, recorded without holding up the search. */
    recordSearchMiss(miss: { storeId: string; livemode: boolean; term: string }): void {
      const term = miss.term.trim().toLowerCase().slice(0, 200);
      if (!term) return;
      db.insert(searchMiss)
        .values({ storeId: miss.storeId, livemode: miss.livemode, term, occurredAt: clock.now() })
        .then(
          () => undefined,
          (err: unknown) => logger.warn({ err }, 'zero-result search not recorded'),
        );
    },
  };
}
