import client from 'prom-client';

/** Process metrics, served at /metrics. One registry per app so tests can build several apps. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const cacheHits = new client.Counter({
    name: 'catalog_cache_hits_total',
    help: 'Storefront catalog reads served from the in-process cache',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const cacheMisses = new client.Counter({
    name: 'catalog_cache_misses_total',
    help: 'Storefront catalog reads that went to the database',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const jobRuns = new client.Counter({
    name: 'jobs_run_total',
    help: 'Background job runs by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new client.Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (succeeded, retrying, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookLatency = new client.Histogram({
    name: 'webhook_delivery_duration_seconds',
    help: 'Webhook POST latency, connection to response read',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhookEndpointsDisabled = new client.Counter({
    name: 'webhook_endpoints_disabled_total',
    help: 'Webhook endpoints disabled by the platform (gone: answered 410; failing: 3 days of failures)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const emailsSent = new client.Counter({
    name: 'emails_sent_total',
    help: 'Emails accepted by the mail transport, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const emailsFailed = new client.Counter({
    name: 'emails_failed_total',
    help: 'Emails given up on after their last attempt, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    cacheHits,
    cacheMisses,
    jobRuns,
    webhookDeliveries,
    webhookLatency,
    webhookEndpointsDisabled,
    emailsSent,
    emailsFailed,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
