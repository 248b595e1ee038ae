/**
 * Events: the transactional outbox of the product. A change worth telling a merchant appends an event in its own
 * transaction (`appendEvent`); the relay hands committed events to the subscribed consumers (webhooks, mail) in
 * (created_at, id) order, at least once; `GET /v1/events` lists them for 30 days.
 */

import type { MiddlewareHandler } from 'hono';
import client from 'prom-client';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { createEventRelay } from './events.relay.ts';
import { appendEvent } from './events.repo.ts';
import { eventsRoutes } from './events.routes.ts';
import { createEventsService } from './events.service.ts';

export {
  EVENT_CATALOGUE,
  EVENT_TYPES,
  type EventObjectKind,
  type EventType,
  type EventTypeEntry,
  isEventType,
} from './events.catalogue.ts';
export type { EventConsumer } from './events.relay.ts';
export {
  API_VERSION,
  appendEvent,
  appendEvents,
  appendEventsFromQuery,
  type EventRecord,
  type NewEvent,
} from './events.repo.ts';
export { EventSchema } from './events.routes.ts';
export { EVENT_RETENTION_DAYS, type EventEnvelope, eventEnvelope, parseTypeFilter } from './events.rules.ts';

export interface EventsConfig {
  /** Pause between relay runs of a worker: short, so events reach consumers soon after commit. */
  EVENTS_RELAY_POLL_MS: number;
  /** A warning is logged while the oldest undispatched event is older than this. */
  EVENTS_STALE_AFTER_SECONDS: number;
}

/** How often the relay task refreshes the backlog gauges while there is a backlog (a count is not free). */
const BACKLOG_REFRESH_MS = 5_000;

export function createEventsModule(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[] };
  config: EventsConfig;
}) {
  const { db, clock, logger } = deps;
  const relay = createEventRelay({ db, clock, logger });
  const service = createEventsService({ db, clock });
  const backlogGauge = new client.Gauge({
    name: 'events_backlog',
    help: 'Events committed and not yet handed to the consumers',
    registers: [deps.metrics.registry],
  });
  const oldestGauge = new client.Gauge({
    name: 'events_oldest_undispatched_age_seconds',
    help: 'Age of the oldest event not yet handed to the consumers (0 when none waits)',
    registers: [deps.metrics.registry],
  });
  // The last gauge refresh (monotonic ms): a count is not free, so the relay refreshes at most this often.
  let gaugesAt = Number.NEGATIVE_INFINITY;

  /** Sets the backlog gauges and warns when the oldest waiting event is older than the threshold. */
  async function refreshBacklogMetrics(): Promise<{ count: number; oldestAgeSeconds: number }> {
    gaugesAt = performance.now();
    const b = await relay.backlog();
    backlogGauge.set(b.count);
    oldestGauge.set(b.oldestAgeSeconds);
    if (b.oldestAgeSeconds > deps.config.EVENTS_STALE_AFTER_SECONDS) {
      logger.warn(
        { backlog: b.count, oldest_age_seconds: Math.round(b.oldestAgeSeconds) },
        'events wait for the relay longer than EVENTS_STALE_AFTER_SECONDS',
      );
    }
    return b;
  }

  /** One relay turn: drain the feed, then (every few seconds) the gauges. */
  async function relayTask(): Promise<number> {
    const relayed = await relay.drain();
    if (performance.now() - gaugesAt >= BACKLOG_REFRESH_MS) await refreshBacklogMetrics();
    return relayed;
  }

  const tasks: PeriodicTask[] = [
    { name: 'events.relay', everyMs: deps.config.EVENTS_RELAY_POLL_MS, run: relayTask },
    { name: 'events.retention', everyMs: 60_000, run: () => service.deleteExpired() },
  ];

  return {
    service,
    routes: eventsRoutes({ events: service, auth: deps.auth }),
    tasks,
    subscribe: relay.subscribe,
    relayOnce: relay.relayOnce,
    drain: relay.drain,
    backlog: relay.backlog,
    refreshBacklogMetrics,
    /** `appendEvent` with the app's id generator and clock filling what the caller leaves out. */
    append: ((tx, e) =>
      appendEvent(tx, {
        ...e,
        id: e.id ?? deps.ids('event'),
        createdAt: e.createdAt ?? clock.now(),
      })) as typeof appendEvent,
  };
}

export type EventsModule = ReturnType<typeof createEventsModule>;
