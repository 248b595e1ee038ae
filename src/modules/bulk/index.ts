/**
 * Bulk import and export: a Shopify product CSV into the catalog (checked whole first, then written in one
 * transaction), and products or orders out as CSV. Each is a `bulk_job` run by the worker (claimed with FOR
 * UPDATE SKIP LOCKED and a lease), whose progress the API and the dashboard read while it runs.
 */

import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { bulkRoutes } from './bulk.routes.ts';
import { type BulkPorts, createBulkService } from './bulk.service.ts';

export { BULK_IMPORT_MAX_BYTES, BULK_IMPORTS_PATH } from './bulk.routes.ts';
export { parseShopifyProducts, type RowError, SHOPIFY_COLUMNS } from './bulk.rules.ts';
export { type BulkJobJson, type BulkPorts, type BulkService, MAX_ATTEMPTS } from './bulk.service.ts';

export function createBulkModule(deps: {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  secret: readonly MiddlewareHandler<AppEnv>[];
  ports: BulkPorts;
  progressOutsideTx: boolean;
  /** How long a claim lasts without news from its worker (progress renews it on PostgreSQL). */
  leaseMs: number;
  /** Pause between the worker's looks for due jobs. */
  pollMs: number;
}) {
  const service = createBulkService({
    db: deps.db,
    ids: deps.ids,
    clock: deps.clock,
    logger: deps.logger.child({ module: 'bulk' }),
    ports: deps.ports,
    progressOutsideTx: deps.progressOutsideTx,
    leaseMs: deps.leaseMs,
  });
  const tasks: PeriodicTask[] = [{ name: 'bulk.run', everyMs: deps.pollMs, run: () => service.runDue() }];
  return { service, tasks, routes: bulkRoutes({ service, secret: deps.secret }) };
}

export type BulkModule = ReturnType<typeof createBulkModule>;
