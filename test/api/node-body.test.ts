import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server.ts';
import { testApp } from '../support/harness.ts';

/**
 * Bodies that reach the app through the Node server are read from the socket into Hono's body cache (no web
 * Request is built): the same answers as in-process, the same 1 MiB limit, declared or streamed.
 */
const t = await testApp();
const store = await t.createStore({ name: 'Node bodies' });
const server = await listen(t, { port: 0, host: '127.0.0.1' });
afterAll(() => new Promise<void>((r) => server.server.close(() => r())));

function send(opts: {
  method: string;
  path: string;
  headers?: Record<string, string | number>;
  chunks: Buffer[];
}) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method: opts.method, path: opts.path, headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: body ? JSON.parse(body) : null }));
      },
    );
    req.on('error', reject);
    for (const c of opts.chunks) req.write(c);
    req.end();
  });
}

const json = { authorization: `Bearer ${store.pk}`, 'content-type': 'application/json' };

describe('request bodies over the Node server', () => {
  it('reads a body sent in several chunks, with or without a declared length', async () => {
    const body = Buffer.from(JSON.stringify({ email: 'chunks@example.com' }));
    const parts = [body.subarray(0, 5), body.subarray(5, 11), body.subarray(11)];
    const declared = await send({
      method: 'POST',
      path: '/v1/carts',
      headers: { ...json, 'content-length': body.length },
      chunks: parts,
    });
    expect(declared.status).toBe(201);
    expect(declared.json.email).toBe('chunks@example.com');
    const chunked = await send({ method: 'POST', path: '/v1/carts', headers: json, chunks: parts });
    expect(chunked.status).toBe(201);
    expect(chunked.json.email).toBe('chunks@example.com');
  });

  it('answers a DELETE without a body (nothing to read) at once', async () => {
    const r = await send({
      method: 'DELETE',
      path: '/v1/carts/current/coupon',
      headers: { authorization: `Bearer ${store.pk}` },
      chunks: [],
    });
    expect([r.status, r.json.error.code]).toEqual([400, 'CART_TOKEN_MISSING']);
  });

  it('drops a leading byte order mark and keeps multi-byte characters split across chunks', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify({ code: 'ÉTÉ-€' })),
    ]);
    const cut = body.indexOf(0x82); // inside the euro sign
    const r = await send({
      method: 'PUT',
      path: '/v1/carts/current/coupon',
      headers: { ...json, 'x-cart-token': 'not.a.token' },
      chunks: [body.subarray(0, cut), body.subarray(cut)],
    });
    // The body parsed (no 400 for the JSON itself): the token is what is refused.
    expect([r.status, r.json.error.code]).toEqual([400, 'CART_TOKEN_MALFORMED']);
  });

  it('refuses a streamed body over 1 MiB with 413, and a declared one unread', async () => {
    const big = Buffer.alloc(256 * 1024, 0x20);
    const streamed = await send({
      method: 'POST',
      path: '/v1/carts',
      headers: json,
      chunks: [Buffer.from('{"email":"a@example.com"'), big, big, big, big, big, Buffer.from('}')],
    });
    expect([streamed.status, streamed.json.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const declared = await send({
      method: 'POST',
      path: '/v1/carts',
      headers: { ...json, 'content-length': 2 * 1024 * 1024 },
      chunks: [Buffer.from('{}')],
    });
    expect([declared.status, declared.json.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers malformed JSON and NUL characters as in-process', async () => {
    const bad = await send({
      method: 'POST',
      path: '/v1/carts',
      headers: json,
      chunks: [Buffer.from('{"email":')],
    });
    const inProcess = await t.request('POST', '/v1/carts', {
      key: store.pk,
      rawBody: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe(inProcess.json.error.code);
    const nul = await send({
      method: 'POST',
      path: '/v1/carts',
      headers: json,
      chunks: [Buffer.from('{"email":"a\\u0000@example.com"}')],
    });
    expect([nul.status, nul.json.error.code, nul.json.error.param]).toEqual([
      400,
      'VALIDATION_FAILED',
      'email',
    ]);
  });
});
