import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { KeyResolver } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { analyticsRoutes } from './analytics.routes.ts';
import { createAnalyticsService } from './analytics.service.ts';

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
