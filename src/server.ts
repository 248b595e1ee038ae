import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { App } from './app.ts';

/** Bodies up to this size that a response did not read are drained; larger or unsized ones close the connection. */
const DRAIN_MAX_BYTES = 64 * 1024;

/**
 * A request answered before its body was read (413, 415, 401…) leaves the rest of the body on the
 * connection. Small declared bodies are drained after the response (by the adapter) and the connection is
 * reused; a large or chunked one is not worth reading, so the response says `Connection: close` and the
 * client opens a new connection for its next request instead of writing it into a socket about to close.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse) {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || Number(length) <= DRAIN_MAX_BYTES)) return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

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
  const route = (req: IncomingMessage, res: ServerResponse) => {
    closeIfBodyUnread(req, res);
    void router(req, res);
  };
  const server = createServer((req, res) => {
    const fast = app.fastPath(req, res);
    if (fast === true) return;
    if (fast === false) return route(req, res);
    // A shared limiter answers after a round trip; a request it does not take goes to the router.
    fast.then(
      (served) => {
        if (!served) route(req, res);
      },
      () => route(req, res),
    );
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
