import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import { idempotencyMiddleware, pruneIdempotencyKeys } from './idempotency.service.ts';

export function createIdempotencyModule(deps: { db: Executor; clock: Clock; lockSeconds: number }) {
  const task: PeriodicTask = {
    name: 'idempotency.prune',
    everyMs: 10 * 60_000,
    run: () => pruneIdempotencyKeys(deps.db, deps.clock.now()),
  };
  return { middleware: idempotencyMiddleware({ ...deps, lockMs: deps.lockSeconds * 1000 }), tasks: [task] };
}
