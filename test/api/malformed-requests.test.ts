import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/shared/error-codes.ts';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';

/**
 * Sends hundreds of generated malformed requests to every route of the OpenAPI document and asserts
 * that none gets a 5xx, and that every 4xx has the error shape with a catalogued code.
 */
const t = await testApp();
const store = await t.createStore({ name: 'Fuzz store' });
const spec = (await t.request('GET', '/v1/openapi.json')).json as {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: Schema }> };
        parameters?: { name: string; in: string }[];
        security?: Record<string, unknown>[];
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
};

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  $ref?: string;
  anyOf?: Schema[];
  enum?: unknown[];
}

function resolve(s: Schema | undefined): Schema | undefined {
  if (s?.$ref) return spec.components?.schemas?.[s.$ref.split('/').pop()!];
  return s;
}

const wrongFor = (s: Schema | undefined): unknown[] => {
  const type = Array.isArray(s?.type) ? s?.type[0] : s?.type;
  switch (type) {
    case 'string':
      return [12345, { a: 1 }, ['x'], 'x'.repeat(100_000)];
    case 'integer':
    case 'number':
      return ['abc', 1.5e308, -1e15, 0.5, { n: 1 }];
    case 'boolean':
      return ['yes', 2];
    case 'array':
      return ['not-an-array', [{ deeply: { nested: [[[[]]]] } }], Array.from({ length: 2000 }, () => 'x')];
    case 'object':
      return [5, 'str', [1]];
    default:
      return [null, { unknown: true }];
  }
};

const badIds = [
  'nope',
  'prod_',
  'prod_XXXXXXXXXXXXXXXXXXXXXXXXXX',
  '..%2F..%2Fetc',
  '%00',
  'a'.repeat(600),
  "1' or '1'='1",
  'ord_00000000000000000000000000',
];
const badQueries = [
  'cursor=garbage',
  'cursor=eyJsIjoib3RoZXIiLCJ2IjpbMV19',
  'limit=-1',
  'limit=abc',
  'limit=100000',
  'unknown_param=1',
  'limit=1&limit=2',
];

function keysFor(security: Record<string, unknown>[] | undefined): (string | undefined)[] {
  const names = (security ?? []).flatMap((s) => Object.keys(s));
  if (names.includes('rootToken')) return [ROOT_TOKEN];
  if (names.includes('secretKey')) return [store.sk];
  if (names.includes('publishableKey')) return [store.pk];
  return [undefined];
}

type Req = {
  method: string;
  path: string;
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
};

function generate(): Req[] {
  const out: Req[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const M = method.toUpperCase();
      const [key] = keysFor(op.security);
      const concrete = template.replace(/\{[^}]+\}/g, 'x');
      // bad ids in every path parameter
      if (template.includes('{'))
        for (const id of badIds)
          out.push({ method: M, path: template.replace(/\{[^}]+\}/g, encodeURIComponent(id)), key });
      // bad query strings
      for (const q of badQueries) out.push({ method: M, path: `${concrete}?${q}`, key });
      // bad keys
      for (const k of [
        '',
        'pk_test_short',
        'sk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer',
        'x'.repeat(5000),
      ]) {
        out.push({ method: M, path: concrete, headers: { authorization: `Bearer ${k}` } });
      }
      if (store.pk && key === store.sk) out.push({ method: M, path: concrete, key: store.pk });
      if (!['POST', 'PUT', 'PATCH'].includes(M)) continue;
      const json = { 'content-type': 'application/json' };
      for (const raw of [
        '{',
        '{"a":',
        'null',
        '[]',
        '"str"',
        '123',
        '{"__proto__":{"x":1}}',
        '\u0000',
        'x'.repeat(1_100_000),
      ]) {
        out.push({ method: M, path: concrete, key, rawBody: raw, headers: json });
      }
      out.push({
        method: M,
        path: concrete,
        key,
        rawBody: 'a=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      out.push({ method: M, path: concrete, key, rawBody: '{}', headers: { 'content-type': 'text/plain' } });
      out.push({ method: M, path: concrete, key, body: {}, headers: { 'idempotency-key': '' } });
      const schema = resolve(op.requestBody?.content['application/json']?.schema);
      out.push({ method: M, path: concrete, key, body: { totally_unknown_field: 1 } });
      for (const [prop, ps] of Object.entries(schema?.properties ?? {})) {
        for (const wrong of wrongFor(resolve(ps)))
          out.push({ method: M, path: concrete, key, body: { [prop]: wrong } });
      }
    }
  }
  return out;
}

describe('malformed requests', () => {
  const requests = generate();

  it('generates several hundred requests across all routes', () => {
    expect(Object.keys(spec.paths).length).toBeGreaterThan(5);
    expect(requests.length).toBeGreaterThan(300);
  });

  it('never answers 5xx and always answers 4xx with a catalogued error code', async () => {
    const failures: string[] = [];
    for (const r of requests) {
      const res = await t.request(r.method, r.path, {
        key: r.key,
        body: r.body,
        rawBody: r.rawBody,
        headers: r.headers,
      });
      const label = `${r.method} ${r.path.slice(0, 80)} ${r.rawBody?.slice(0, 20) ?? JSON.stringify(r.body)?.slice(0, 60) ?? ''}`;
      if (res.status >= 500) failures.push(`${res.status} ${label}: ${res.text.slice(0, 200)}`);
      else if (res.status >= 400) {
        const code = res.json?.error?.code;
        if (!code || !(code in ERROR_CODES))
          failures.push(`${res.status} without catalogued code: ${label}: ${res.text.slice(0, 200)}`);
        if (/at .*\.ts:\d+|stack|SELECT |INSERT /i.test(res.text))
          failures.push(`leak: ${label}: ${res.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
