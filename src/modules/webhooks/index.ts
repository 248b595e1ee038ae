import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';
import type { appendEvent } from '../events/index.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { createWebhookClient } from './webhooks.net.ts';
import { webhooksRoutes } from './webhooks.routes.ts';
import type { PrivateAddressPolicy } from './webhooks.rules.ts';
import { createWebhooksService, type DeliveryTuning } from './webhooks.service.ts';

export { MAX_ATTEMPTS, nextRetryAt, type PrivateAddressPolicy, RETRY_DELAYS_MS } from './webhooks.rules.ts';
export type { DeliveryTuning, WebhooksService } from './webhooks.service.ts';

export interface WebhooksConfig {
  WEBHOOK_ALLOW_PRIVATE: PrivateAddressPolicy;
  WEBHOOK_TIMEOUT_MS: number;
  WEBHOOK_POLL_MS: number;
}

/**
 * Webhook endpoints and their delivery, to the Standard Webhooks specification: `consumer` fans events out
 * to deliveries inside the relay's transaction; the `webhooks.deliver` task (worker only) sends them.
 */
export function createWebhooksModule(deps: {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: Metrics;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[] };
  appendEvent: typeof appendEvent;
  config: WebhooksConfig;
  tuning?: Partial<DeliveryTuning>;
}) {
  const policy = deps.config.WEBHOOK_ALLOW_PRIVATE;
  const client = createWebhookClient({
    policy,
    timeoutMs: deps.config.WEBHOOK_TIMEOUT_MS,
    connectionsPerEndpoint: deps.tuning?.perEndpoint,
  });
  const service = createWebhooksService({ ...deps, client, policy });
  const tasks: PeriodicTask[] = [
    { name: 'webhooks.deliver', everyMs: deps.config.WEBHOOK_POLL_MS, run: () => service.pump() },
  ];
  return {
    service,
    routes: webhooksRoutes({ service, secret: deps.auth.secret }),
    consumer: service.consumer,
    tasks,
    async stop() {
      await service.drain();
      await client.close();
    },
  };
}

export type WebhooksModule = ReturnType<typeof createWebhooksModule>;
