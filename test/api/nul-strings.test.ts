import { describe, expect, it } from 'vitest';
import { ROOT_TOKEN, testApp } from '../support/harness.ts';

/**
 * PostgreSQL cannot store the NUL character in text. Every route of the OpenAPI document refuses a NUL in
 * any string — path parameter, query parameter, body field at any depth — with 400 VALIDATION_FAILED naming
 * the field, before the request reaches a handler (so never a 500 from the database).
 */
const t = await testApp();
const store = await t.createStore({ name: 'NUL store' });

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
type Operation = {
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: { name: string; in: string; schema?: Schema }[];
  security?: Record<string, unknown>[];
};
const spec = (await t.request('GET', '/v1/openapi.json')).json as {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

function resolve(s: Schema | undefined): Schema | undefined {
  if (s?.$ref) return resolve(spec.components?.schemas?.[s.$ref.split('/').pop()!]);
  return s;
}

const typesOf = (s: Schema | undefined): string[] => {
  const r = resolve(s);
  if (!r) return [];
  const own = Array.isArray(r.type) ? r.type : r.type ? [r.type] : [];
  return [...own, ...[...(r.anyOf ?? []), ...(r.oneOf ?? []), ...(r.allOf ?? [])].flatMap(typesOf)];
};

const NUL = 'a\u0000b';

/** One body per string field (at any depth): `{ a: { b: [ { c: "a\0b" } ] } }` and its param path. */
function nulBodies(schema: Schema | undefined, depth = 0): { body: unknown; param: string }[] {
  const s = resolve(schema);
  if (!s || depth > 4) return [];
  const out: { body: unknown; param: string }[] = [];
  const variants = [s, ...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])].map(resolve);
  for (const v of variants) {
    for (const [prop, ps] of Object.entries(v?.properties ?? {})) {
      if (typesOf(ps).includes('string')) out.push({ body: { [prop]: NUL }, param: prop });
      for (const inner of nulBodies(ps, depth + 1))
        out.push({ body: { [prop]: inner.body }, param: `${prop}.${inner.param}` });
    }
    if (v?.items) {
      if (typesOf(v.items).includes('string')) out.push({ body: [NUL], param: '0' });
      for (const inner of nulBodies(v.items, depth + 1))
        out.push({ body: [inner.body], param: `0.${inner.param}` });
    }
  }
  return out;
}

function keyFor(security: Record<string, unknown>[] | undefined): string | undefined {
  const names = (security ?? []).flatMap((s) => Object.keys(s));
  if (names.includes('rootToken')) return ROOT_TOKEN;
  if (names.includes('secretKey')) return store.sk;
  if (names.includes('publishableKey')) return store.pk;
  return undefined;
}

type Case = { method: string; path: string; key?: string; body?: unknown; param: string };

function cases(): Case[] {
  const out: Case[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const M = method.toUpperCase();
      const key = keyFor(op.security);
      const concrete = template.replace(/\{[^}]+\}/g, 'x');
      for (const p of op.parameters ?? []) {
        if (p.in === 'path')
          out.push({
            method: M,
            path: template.replace(`{${p.name}}`, 'a%00b').replace(/\{[^}]+\}/g, 'x'),
            key,
            param: 'path',
          });
        if (p.in === 'query')
          out.push({ method: M, path: `${concrete}?${p.name}=a%00b`, key, param: p.name });
      }
      for (const b of nulBodies(op.requestBody?.content['application/json']?.schema))
        out.push({ method: M, path: concrete, key, body: b.body, param: b.param });
    }
  }
  return out;
}

describe('NUL characters', () => {
  const all = cases();

  it('walks the path, query and body string fields of every route', () => {
    expect(all.filter((c) => c.param === 'path').length).toBeGreaterThan(10);
    expect(all.filter((c) => c.body !== undefined).length).toBeGreaterThan(50);
  });

  it('are refused with 400 VALIDATION_FAILED naming the field, on every route', async () => {
    const failures: string[] = [];
    for (const c of all) {
      const r = await t.request(c.method, c.path, { key: c.key, body: c.body });
      if (r.status !== 400 || r.json?.error?.code !== 'VALIDATION_FAILED' || r.json.error.param !== c.param)
        failures.push(`${c.method} ${c.path} ${c.param}: ${r.status} ${r.text.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
  });

  it('in a valid request to a route that writes text is refused before the database sees it', async () => {
    const r = await t.request('POST', '/v1/products', {
      key: store.sk,
      body: {
        title: `Lamp ${NUL}`,
        status: 'active',
        options: [{ name: 'Size', values: ['One'] }],
        variants: [{ sku: 'NUL-1', price: 100, option_values: { Size: 'One' } }],
      },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'title' });
    const list = await t.request('GET', '/v1/products?limit=100', { key: store.sk });
    expect(list.json.data).toHaveLength(0);
  });
});
