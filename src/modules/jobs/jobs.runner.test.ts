import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../shared/db.ts';
import { silentLogger } from '../../shared/logger.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { createWorker } from './jobs.runner.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('worker cadence', () => {
  it('runs tasks without their own pause every WORKER_POLL_MS, others at their own pace', async () => {
    vi.useFakeTimers();
    const runs = { polled: 0, own: 0, failing: 0 };
    const worker = createWorker({
      logger: silentLogger,
      metrics: createMetrics(),
      pollMs: 50,
      tasks: [
        { name: 'polled', run: async () => void runs.polled++ },
        { name: 'own', everyMs: 400, run: async () => void runs.own++ },
        {
          name: 'failing',
          run: async () => {
            runs.failing++;
            throw new Error('database unreachable');
          },
        },
      ],
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(1000);
    await worker.stop();
    // first run at start, then one per pause
    expect(runs.polled).toBe(1 + 1000 / 50);
    expect(runs.own).toBe(3); // at 0, 400 and 800 ms
    // a failing task keeps its turn
    expect(runs.failing).toBe(1 + 1000 / 50);
    const before = { ...runs };
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual(before);
  });

  it('takes WORKER_POLL_MS from the configuration', async () => {
    const database = await openDatabase({ memory: true });
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent', WORKER_POLL_MS: '75' });
      const app = createApp({ config, database, logger: silentLogger });
      expect(app.worker.pollMs).toBe(75);
      await app.close();
    } finally {
      await database.close();
    }
  });
});
