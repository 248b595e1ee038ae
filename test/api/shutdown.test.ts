import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { listen } from '../../src/server.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { freshDatabase } from '../support/harness.ts';

describe('graceful shutdown', () => {
  it('stops accepting, finishes in-flight requests, then closes', async () => {
    const database = await freshDatabase();
    const built = createApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), database, logger: silentLogger });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // A slow route in front of the app's own (whose storefront answers every path it does not know).
    const front = new Hono();
    front.get('/test/slow', async (c) => {
      await gate;
      return c.json({ finished: true });
    });
    front.route('/', built.app);
    const { port, shutdown } = await listen(
      { ...built, app: front as unknown as typeof built.app },
      {
        port: 0,
        host: '127.0.0.1',
        onClosed: () => database.close(),
      },
    );
    const base = `http://127.0.0.1:${port}`;

    const inFlight = fetch(`${base}/test/slow`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await new Promise((r) => setTimeout(r, 100));
    const closing = shutdown('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));

    const ready = await fetch(`${base}/readyz`, { headers: { connection: 'close' } }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(ready === 'refused' || ready === 503).toBe(true);

    release();
    expect(await inFlight).toEqual({ status: 200, body: { finished: true } });
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
