import { connect, createServer, type Socket } from 'node:net';
import { type Database, openDatabase } from '../../src/shared/db.ts';
import { freshDatabase } from './harness.ts';

/**
 * A migrated test database that a test can take down: on PostgreSQL the app talks to it through a TCP
 * proxy that `stop()` closes (every connection cut, new ones refused, like a server that went away); on
 * PGlite `stop()` closes the embedded database.
 */
export async function stoppableDatabase(): Promise<{
  database: Database;
  stop(): Promise<void>;
  close(): Promise<void>;
}> {
  const base = await freshDatabase();
  if (!base.url) {
    let stopped = false;
    return {
      database: base,
      async stop() {
        stopped = true;
        await base.close();
      },
      async close() {
        if (!stopped) await base.close();
      },
    };
  }
  const target = new URL(base.url);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  const via = new URL(base.url);
  via.hostname = '127.0.0.1';
  via.port = String(port);
  const database = await openDatabase({ url: via.toString(), poolSize: 5, connectTimeoutMs: 1000 });
  let stopped = false;
  return {
    database,
    async stop() {
      stopped = true;
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    async close() {
      if (!stopped) proxy.close();
      await database.close().catch(() => undefined);
      await base.close();
    },
  };
}
