import type { Logger } from '../../shared/logger.ts';
import type { Metrics } from '../../shared/metrics.ts';

/**
 * A periodic task of the worker. Tasks must be safe to run in several worker processes at once:
 * they claim rows with conditional updates or FOR UPDATE SKIP LOCKED, never with process-local state.
 */
export interface PeriodicTask {
  name: string;
  /** Pause between the end of one run and the start of the next; absent = the worker's poll interval. */
  everyMs?: number;
  run(): Promise<unknown>;
}

/**
 * Runs each task, then again after its pause, until stopped. A failed run (database unreachable, a bug) is
 * logged and counted; the task runs again at its next turn. While started, the pending timers keep the
 * process alive: a worker whose database connections all dropped waits for the next turn instead of exiting.
 */
export function createWorker(deps: {
  tasks: PeriodicTask[];
  logger: Logger;
  metrics: Metrics;
  pollMs: number;
}) {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = true;
  const pauseOf = (task: PeriodicTask) => task.everyMs ?? deps.pollMs;

  const tick = (task: PeriodicTask) => {
    timers.delete(task.name);
    if (stopped) return;
    const p = Promise.resolve()
      .then(() => task.run())
      .then(() => deps.metrics.jobRuns.inc({ type: task.name, outcome: 'ok' }))
      .catch((err) => {
        deps.metrics.jobRuns.inc({ type: task.name, outcome: 'error' });
        deps.logger.error({ err, task: task.name }, 'worker task failed');
      })
      .finally(() => {
        running.delete(p);
        if (!stopped)
          timers.set(
            task.name,
            setTimeout(() => tick(task), pauseOf(task)),
          );
      });
    running.add(p);
  };

  return {
    /** The pause of tasks without their own (`WORKER_POLL_MS`). */
    pollMs: deps.pollMs,
    start() {
      if (!stopped) return;
      stopped = false;
      for (const t of deps.tasks) tick(t);
      deps.logger.info({ tasks: deps.tasks.map((t) => t.name), poll_ms: deps.pollMs }, 'worker started');
    },
    /** Runs every task once, now; for tests and the CLI. */
    async runOnce() {
      for (const t of deps.tasks) await t.run();
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
