import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';

/**
 * A periodic task of the worker. Tasks must be safe to run in several worker processes at once:
 * they claim rows with conditional updates or FOR UPDATE SKIP LOCKED, never with process-local state.
 */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export function createWorker(deps: { tasks: PeriodicTask[]; logger: Logger; metrics: Metrics }) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = true;

  const tick = (task: PeriodicTask) => {
    if (stopped) return;
    const p = task
      .run()
      .then(() => deps.metrics.jobRuns.inc({ type: task.name, outcome: 'ok' }))
      .catch((err) => {
        deps.metrics.jobRuns.inc({ type: task.name, outcome: 'error' });
        deps.logger.error({ err, task: task.name }, 'worker task failed');
      })
      .finally(() => {
        running.delete(p);
        if (!stopped) timers.push(setTimeout(() => tick(task), task.everyMs).unref());
      });
    running.add(p);
  };

  return {
    start() {
      stopped = false;
      for (const t of deps.tasks) tick(t);
      deps.logger.info({ tasks: deps.tasks.map((t) => t.name) }, 'worker started');
    },
    /** Runs every task once, now; for tests and the CLI. */
    async runOnce() {
      for (const t of deps.tasks) await t.run();
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...running]);
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
