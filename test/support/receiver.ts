import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * What a receiver does with one request: answer a status (and body), or nothing at all (`hang`).
 * `respond` may write the response itself (a redirect, a huge body) and return 'handled'.
 */
export type Behaviour = (
  req: ReceivedRequest,
  res: ServerResponse,
  n: number,
) => { status: number; body?: string } | 'hang' | 'handled';

/** A real HTTP server on 127.0.0.1 that records every request it gets. */
export async function startReceiver(behaviour: Behaviour = () => ({ status: 200, body: 'ok' })) {
  const received: ReceivedRequest[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let current = behaviour;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
        ),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
      const out = current(r, res, received.length);
      if (out === 'hang' || out === 'handled') return;
      res.writeHead(out.status, { 'content-type': 'text/plain' });
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    setBehaviour(b: Behaviour) {
      current = b;
    },
    /** Resolves once `n` requests have arrived. */
    waitFor(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
