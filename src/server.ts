import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { App } from './app.ts';

/**
 * Serves the app over HTTP with graceful shutdown: on SIGTERM/SIGINT stop accepting, let in-flight
 * requests finish (bounded by SHUTDOWN_TIMEOUT_MS), stop the worker, close the database.
 */
export async function listen(
  app: App,
  opts: { port: number; host: string; onClosed?: () => Promise<void> },
): Promise<{ server: Server; port: number; shutdown: (signal: string) => Promise<void> }> {
  const { logger, config } = app.deps;
  const router = getRequestListener(app.app.fetch);
  const server = createServer((req, res) => {
    if (!app.fastPath(req, res)) void router(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;

  let closing: Promise<void> | null = null;
  const shutdown = (signal: string) => {
    if (closing) return closing;
    closing = (async () => {
      logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
      app.beginShutdown();
      const force = setTimeout(() => {
        logger.warn('shutdown timeout: closing remaining connections');
        server.closeAllConnections();
      }, config.SHUTDOWN_TIMEOUT_MS);
      force.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(force);
      await app.close();
      await opts.onClosed?.();
      logger.info('shutdown complete');
      logger.flush();
    })();
    return closing;
  };
  return { server, port, shutdown };
}
