import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { testApp } from '../support/harness.ts';

/**
 * A request refused before its body was read (413, 415, 401) must not poison the keep-alive connection:
 * the server drains the body or closes the connection, and the client's next request succeeds.
 */
const t = await testApp();
const store = await t.createStore({ name: 'Keep-alive' });
const server = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.server.close(() => r())));

function send(
  agent: Agent,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer },
) {
  return new Promise<{ status: number; body: string; connection?: string; socketId: number }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          agent,
          method: opts.method,
          path: opts.path,
          headers: opts.headers,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body,
              connection: res.headers.connection,
              socketId: socketIds.get(req.socket!) ?? -1,
            }),
          );
        },
      );
      req.on('socket', (s) => {
        if (!socketIds.has(s)) socketIds.set(s, socketIds.size);
      });
      req.on('error', reject);
      req.end(opts.body);
    },
  );
}
const socketIds = new Map<object, number>();

const big = (bytes: number) => Buffer.from(`{"title":"${'x'.repeat(bytes)}"}`);

describe('early refusals on a keep-alive connection', () => {
  const cases: { name: string; status: number; headers: Record<string, string>; body: Buffer }[] = [
    {
      name: '413 (declared length over the limit)',
      status: 413,
      headers: { authorization: `Bearer ${store.sk}`, 'content-type': 'application/json' },
      body: big(2 * 1024 * 1024),
    },
    {
      name: '415 (not JSON)',
      status: 415,
      headers: { authorization: `Bearer ${store.sk}`, 'content-type': 'text/plain' },
      body: big(512 * 1024),
    },
    {
      name: '401 (unknown key)',
      status: 401,
      headers: {
        authorization: 'Bearer sk_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'content-type': 'application/json',
      },
      body: big(512 * 1024),
    },
    {
      name: '401 (small body, drained)',
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: big(1024),
    },
    {
      name: '401 (no key)',
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: big(512 * 1024),
    },
  ];
  for (const c of cases) {
    it(`${c.name}: the next request on the connection succeeds`, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await send(agent, {
          method: 'POST',
          path: '/v1/products',
          headers: { ...c.headers, 'content-length': c.body.length },
          body: c.body,
        });
        expect(first.status, first.body).toBe(c.status);
        // A large body still arriving closes the connection; a small one is drained and the connection kept.
        let reused = 0;
        for (let i = 0; i < 3; i++) {
          const next = await send(agent, {
            method: 'GET',
            path: '/v1/products?limit=1',
            headers: { authorization: `Bearer ${store.sk}` },
          });
          expect(next.status, next.body).toBe(200);
          if (next.socketId === first.socketId) reused++;
        }
        if (c.body.length <= 64 * 1024) expect(reused).toBe(3);
      } finally {
        agent.destroy();
      }
    });
  }
});
