import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cartToken, seedVariant } from '../support/commerce.ts';
import { testApp } from '../support/harness.ts';

const run = promisify(execFile);
const t = await testApp();
const store = await t.createStore({ name: 'Contract store' });
const spec = (await t.request('GET', '/v1/openapi.json')).json;
type Op = Record<string, any>;
const operations: { method: string; path: string; op: Op }[] = Object.entries(
  spec.paths as Record<string, Record<string, Op>>,
).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
const find = (id: string) => operations.find((o) => o.op.operationId === id)?.op;
const MUTATING = ['post', 'put', 'patch', 'delete'];

/** Every field an AppError carries in `extra`, read from the source, so a new one cannot go undocumented. */
function extraFields(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.repo.ts')) {
        const src = readFileSync(p, 'utf8');
        for (const m of src.matchAll(/extra: \{([^}]*)\}/g)) {
          for (const piece of (m[1] ?? '').split(',')) {
            const key = /^\s*(\w+)\s*(?::|$)/.exec(piece)?.[1];
            if (key) names.add(key);
          }
        }
        // `const extra = { … }` handed on as `extra` (checkout problems)
        for (const m of src.matchAll(/const extra = \{\s*(\w+):/g)) if (m[1]) names.add(m[1]);
      }
    }
  };
  walk('src');
  return [...names];
}

describe('the OpenAPI document', () => {
  it('passes Redocly lint with the recommended rules: 0 errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(spec));
    const out = await run(
      'node_modules/.bin/redocly',
      ['lint', file, '--config', 'redocly.yaml', '--format', 'json'],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 32 * 1024 * 1024,
      },
    ).catch((e: { stdout: string }) => e);
    const report = JSON.parse(out.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
    };
    const errors = report.problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // Only the two probes and the public key set, which have no 4xx answer, warn (see redocly.yaml).
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`).sort()).toEqual([
      'operation-4xx-response #/paths/~1.well-known~1jwks.json/get/responses',
      'operation-4xx-response #/paths/~1healthz/get/responses',
      'operation-4xx-response #/paths/~1readyz/get/responses',
    ]);
  });

  it('gives every operation a stable, unique operationId', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(find('listProducts')).toBeDefined();
    expect(find('createCheckout')).toBeDefined();
    expect(operations.find((o) => o.path === '/v1/checkout')?.op.operationId).toBe('createCheckout');
    expect(operations.find((o) => o.path === '/v1/orders/{id}/refund')?.op.operationId).toBe('refundOrder');
    expect(
      operations.find((o) => o.path === '/v1/carts/current/lines' && o.method === 'post')?.op.operationId,
    ).toBe('addCartLine');
  });

  it('declares Idempotency-Key on every mutating operation, required on checkout', () => {
    const params = spec.components.parameters;
    for (const { method, path, op } of operations) {
      if (!MUTATING.includes(method) || op.security.length === 0) continue;
      const refs = (op.parameters ?? []).map((p: { $ref?: string }) => p.$ref);
      expect(refs, `${method} ${path}`).toContainEqual(
        expect.stringMatching(/^#\/components\/parameters\/IdempotencyKey(Required)?$/),
      );
    }
    expect(find('createCheckout')?.parameters).toEqual([
      { $ref: '#/components/parameters/IdempotencyKeyRequired' },
    ]);
    expect(params.IdempotencyKeyRequired).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
    });
    expect(params.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false });
  });

  it('declares the response headers: X-Request-Id and traceparent everywhere, ETag, Retry-After, Idempotent-Replayed', () => {
    for (const { method, path, op } of operations) {
      for (const [status, r] of Object.entries(op.responses as Record<string, { headers?: object }>)) {
        expect(Object.keys(r.headers ?? {}), `${method} ${path} ${status}`).toEqual(
          expect.arrayContaining(['X-Request-Id', 'traceparent']),
        );
        if (status === '429' || status === '503') {
          expect(Object.keys(r.headers ?? {}), `${method} ${path} ${status}`).toContain('Retry-After');
        }
      }
    }
    for (const id of ['listProducts', 'getProduct', 'getVariant', 'listCollections', 'getCollection']) {
      const op = find(id);
      for (const status of ['200', '304']) {
        expect(Object.keys(op?.responses[status].headers), `${id} ${status}`).toEqual(
          expect.arrayContaining(['ETag', 'Cache-Control']),
        );
      }
    }
    for (const id of ['searchProducts', 'getCoupon', 'updateTaxRate']) {
      expect(Object.keys(find(id)?.responses['200'].headers), id).toContain('ETag');
    }
    expect(Object.keys(find('getProduct')?.responses['200'].headers)).toContain('ETag');
    expect(Object.keys(find('createCheckout')?.responses['201'].headers)).toContain('Idempotent-Replayed');
    expect(Object.keys(find('createCheckout')?.responses['409'].headers)).toContain('Retry-After');
    expect(spec.components.headers.ETag.schema).toEqual({ type: 'string' });
  });

  it('answers every error with the Error schema, which lists every extra field errors carry', () => {
    for (const { method, path, op } of operations) {
      for (const [status, r] of Object.entries(op.responses as Record<string, { content?: any }>)) {
        if (Number(status) < 400) continue;
        expect(r.content?.['application/json']?.schema, `${method} ${path} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
    }
    expect(Object.keys(find('createCheckout')?.responses)).toEqual(
      expect.arrayContaining(['402', '409', '502']),
    );
    const fields = Object.keys(spec.components.schemas.Error.properties.error.properties);
    const extras = extraFields();
    expect(extras).toEqual(
      expect.arrayContaining(['decline_code', 'order_id', 'refundable', 'current_version']),
    );
    expect(fields).toEqual(expect.arrayContaining(extras));
  });

  it('carries an example on every request and response body', () => {
    for (const { method, path, op } of operations) {
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, object>)) {
        expect(media, `${method} ${path} request ${type}`).toHaveProperty('example');
      }
      for (const [status, r] of Object.entries(op.responses as Record<string, { content?: object }>)) {
        for (const media of Object.values(r.content ?? {})) {
          expect(media, `${method} ${path} ${status}`).toHaveProperty('example');
        }
      }
      expect(op['x-codeSamples']?.[0]?.source, `${method} ${path}`).toMatch(/^curl -X /);
    }
  });

  it('has one documented path per product and per collection', () => {
    const paths = Object.keys(spec.paths);
    expect(paths.filter((p) => p.includes('id_or_slug'))).toEqual([]);
    expect(Object.keys(spec.paths['/v1/products/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(spec.paths['/v1/collections/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('documents an address body a real address satisfies, and the API accepts it', async () => {
    const op = find('setCartShippingAddress');
    const body = op?.requestBody.content['application/json'];
    expect(body.schema.allOf).toBeUndefined();
    expect(body.schema.additionalProperties).toBe(false);
    expect(Object.keys(body.schema.properties)).toEqual(
      expect.arrayContaining(['name', 'line1', 'city', 'postal_code', 'country', 'cart_token']),
    );
    // Every key of the example is a declared property (the lint above checks the example against the schema).
    expect(Object.keys(body.example).every((k) => k in body.schema.properties)).toBe(true);
    const variant = await seedVariant(t, store);
    const token = await cartToken(t, store.pk, [{ variant_id: variant, quantity: 1 }]);
    const real = {
      name: 'Ada Lovelace',
      line1: '10 Downing Street',
      city: 'London',
      postal_code: 'SW1A 2AA',
      country: 'GB',
      phone: '+44 20 7925 0918',
    };
    const r = await t.request('PUT', '/v1/carts/current/shipping-address', {
      key: store.pk,
      headers: { 'x-cart-token': token },
      body: real,
    });
    expect(r.status).toBe(200);
    expect(r.json.shipping_address).toMatchObject(real);
  });
});

describe('unknown query parameters', () => {
  it('are refused like unknown body fields, naming the parameter, on every kind of route', async () => {
    const variant = await seedVariant(t, store);
    const cases: [string, string, string][] = [
      ['GET', '/v1/products?limit=5&colour=red', store.pk],
      ['GET', '/v1/products/search?q=mug&sortt=price', store.pk],
      ['GET', `/v1/inventory/${variant}?colour=red`, store.sk],
      ['GET', '/v1/orders?status=paid&colour=red', store.sk],
      ['GET', '/v1/store?colour=red', store.sk],
      ['POST', '/v1/carts?colour=red', store.pk],
    ];
    for (const [method, path, key] of cases) {
      const r = await t.request(method, path, { key, ...(method === 'POST' ? { body: {} } : {}) });
      expect([r.status, r.json?.error?.code, r.json?.error?.param], `${method} ${path}`).toEqual([
        400,
        'VALIDATION_FAILED',
        path.includes('sortt') ? 'sortt' : 'colour',
      ]);
      expect(r.json.error.message).toMatch(/^Unknown parameter: /);
    }
    // Declared parameters still pass, including on the search route the product route steps aside for.
    for (const [path, key] of [
      ['/v1/products?limit=5', store.pk],
      ['/v1/products/search?q=mug&limit=5', store.pk],
      [`/v1/inventory/${variant}/movements?limit=5`, store.sk],
    ] as const) {
      expect((await t.request('GET', path, { key })).status, path).toBe(200);
    }
  });
});
