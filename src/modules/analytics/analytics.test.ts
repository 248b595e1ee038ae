import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { count, liveKey } from '../../../test/support/commerce.ts';
import { DB_KIND, testApp } from '../../../test/support/harness.ts';

const t = await testApp();
const PATH = '/v1/analytics/events';

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PRODUCT = 'prod_01jb8x6k2m3n4p5q6r7s8t9v0w';
const VARIANT = 'var_01jb8x6k2m3n4p5q6r7s8t9v0w';

const batch = (extra: Record<string, unknown> = {}) => ({
  session_id: 'sess_abc123',
  events: [
    { type: 'page_viewed', occurred_at: ago(1000), path: '/' },
    { type: 'product_viewed', occurred_at: ago(500), path: '/p/tee', product_id: PRODUCT },
    {
      type: 'product_added',
      occurred_at: ago(100),
      product_id: PRODUCT,
      variant_id: VARIANT,
      quantity: 2,
      value: 5000,
      currency: 'usd',
    },
  ],
  ...extra,
});

const stored = (storeId: string) =>
  count(t, sql`select count(*)::int as n from analytics_event where store_id = ${storeId}`);

/** A text/plain body, as navigator.sendBeacon sends a string or a text Blob: no Authorization header. */
const beacon = (body: unknown, contentType = 'text/plain;charset=UTF-8') =>
  t.request('POST', PATH, {
    rawBody: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': contentType, origin: 'https://shop.example' },
  });

describe(`POST /v1/analytics/events (${DB_KIND})`, () => {
  it('stores a JSON batch sent with the publishable key in the header, one row per event', async () => {
    const s = await t.createStore();
    const r = await t.request('POST', PATH, { key: s.pk, body: batch() });
    expect(r.status, r.text).toBe(202);
    expect(r.json).toEqual({ accepted: 3 });
    const rows = (await t.database.db.execute(
      sql`select store_id, livemode, session_id, type, product_id, variant_id, quantity, value::int as value,
                 currency, path, occurred_at, received_at
            from analytics_event where store_id = ${s.id} order by occurred_at`,
    )) as unknown as { rows: Array<Record<string, unknown>> };
    expect(rows.rows.map((x) => x.type)).toEqual(['page_viewed', 'product_viewed', 'product_added']);
    expect(rows.rows[2]).toMatchObject({
      store_id: s.id,
      livemode: false,
      session_id: 'sess_abc123',
      product_id: PRODUCT,
      variant_id: VARIANT,
      quantity: 2,
      value: 5000,
      currency: 'USD',
      path: null,
    });
    expect(rows.rows[0]).toMatchObject({ path: '/', product_id: null, quantity: null });
    expect(new Date(rows.rows[0]!.received_at as string).getTime()).toBeGreaterThanOrEqual(
      new Date(rows.rows[2]!.occurred_at as string).getTime(),
    );
    // A secret key may send events too.
    const bySecret = await t.request('POST', PATH, { key: s.sk, body: batch() });
    expect(bySecret.status).toBe(202);
    expect(await stored(s.id)).toBe(6);
  });

  it('takes a text/plain beacon with the key in the body, with CORS for browsers', async () => {
    const s = await t.createStore();
    const r = await beacon(batch({ key: s.pk }));
    expect(r.status, r.text).toBe(202);
    expect(r.json).toEqual({ accepted: 3 });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(await stored(s.id)).toBe(3);
    // A plain text/plain (no charset) and a JSON body with the key in it work alike.
    expect((await beacon(batch({ key: s.pk }), 'text/plain')).status).toBe(202);
    const json = await t.request('POST', PATH, { body: batch({ key: s.pk }) });
    expect(json.status).toBe(202);
    expect(await stored(s.id)).toBe(9);

    const preflight = await t.request('OPTIONS', PATH, {
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);

    // text/plain stays refused everywhere else.
    const elsewhere = await t.request('POST', '/v1/coupons', {
      key: s.sk,
      rawBody: JSON.stringify({ code: 'X', kind: 'percent', value: 10 }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(elsewhere.status).toBe(415);
  });

  it('refuses malformed and oversized batches whole, naming the field', async () => {
    const s = await t.createStore();
    const refused = async (body: unknown, status: number, code: string, param?: string) => {
      const r = await beacon(typeof body === 'string' ? body : { key: s.pk, ...(body as object) });
      expect(r.status, r.text).toBe(status);
      expect(r.json.error.code).toBe(code);
      if (param) expect(r.json.error.param).toBe(param);
      expect(r.json.error.request_id).toBeTruthy();
      return r;
    };
    const events = batch().events;
    const withEvent = (i: number, patch: Record<string, unknown>) => ({
      session_id: 's1',
      events: [...events, ...events].map((e, j) => (j === i ? { ...e, ...patch } : e)),
    });

    await refused(withEvent(3, { type: 'product_liked' }), 400, 'VALIDATION_FAILED', 'events[3].type');
    await refused(withEvent(1, { colour: 'red' }), 400, 'VALIDATION_FAILED', 'events[1].colour');
    await refused(
      withEvent(2, { occurred_at: new Date(Date.now() + 25 * HOUR).toISOString() }),
      400,
      'VALIDATION_FAILED',
      'events[2].occurred_at',
    );
    await refused(
      withEvent(4, { occurred_at: ago(8 * DAY) }),
      400,
      'VALIDATION_FAILED',
      'events[4].occurred_at',
    );
    await refused(
      withEvent(0, { occurred_at: 'yesterday' }),
      400,
      'VALIDATION_FAILED',
      'events[0].occurred_at',
    );
    await refused(withEvent(5, { quantity: 0 }), 400, 'VALIDATION_FAILED', 'events[5].quantity');
    await refused(withEvent(5, { currency: undefined }), 400, 'VALIDATION_FAILED', 'events[5].currency');
    await refused(withEvent(1, { product_id: 'tee' }), 400, 'VALIDATION_FAILED', 'events[1].product_id');
    // NUL characters are refused by the API-wide guard before the batch is read (its dotted path).
    const nul = await refused(withEvent(0, { path: '/a\u0000b' }), 400, 'VALIDATION_FAILED');
    expect(nul.json.error.param).toMatch(/^events(\.0|\[0\])\.path$/);
    await refused({ ...batch(), store_id: 'store_x' }, 400, 'VALIDATION_FAILED', 'store_id');
    await refused({ events }, 400, 'VALIDATION_FAILED', 'session_id');
    await refused({ session_id: 's1', events: [] }, 400, 'VALIDATION_FAILED', 'events');
    const fiftyOne = Array.from({ length: 51 }, () => ({ type: 'page_viewed', occurred_at: ago(1000) }));
    await refused({ session_id: 's1', events: fiftyOne }, 400, 'VALIDATION_FAILED', 'events');
    // 50 small events fit.
    expect((await beacon({ key: s.pk, session_id: 's1', events: fiftyOne.slice(1) })).status).toBe(202);
    // Over 32 KB, however few the events.
    const long = { type: 'page_viewed', occurred_at: ago(1000), path: `/${'x'.repeat(2000)}` };
    await refused(
      { session_id: 's1', events: Array.from({ length: 17 }, () => long) },
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await refused('{"session_id": "s1", "events": [', 400, 'MALFORMED_JSON', 'body');

    // Nothing of a refused batch was stored: only the 50 accepted events.
    expect(await stored(s.id)).toBe(50);
  });

  it("a key writes into its own store and mode only; the body cannot name another store's", async () => {
    const a = await t.createStore({ name: 'A' });
    const b = await t.createStore({ name: 'B' });
    expect((await beacon(batch({ key: a.pk }))).status).toBe(202);
    expect(await stored(a.id)).toBe(3);
    expect(await stored(b.id)).toBe(0);

    // A's key in the header and B's in the body: refused, nothing written anywhere.
    const mixed = await t.request('POST', PATH, { key: a.pk, body: batch({ key: b.pk }) });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'key' });

    const noKey = await beacon(batch());
    expect(noKey.status).toBe(401);
    expect(noKey.json.error.code).toBe('AUTH_REQUIRED');
    const unknown = await beacon(batch({ key: `pk_test_${'z'.repeat(24)}` }));
    expect(unknown.status).toBe(401);
    expect(unknown.json.error.code).toBe('INVALID_API_KEY');
    expect(await stored(a.id)).toBe(3);
    expect(await stored(b.id)).toBe(0);

    // A live key's events are live; the test key's are not.
    const live = await liveKey(t, b.id, 'publishable');
    expect((await beacon(batch({ key: live }))).status).toBe(202);
    expect(
      await count(
        t,
        sql`select count(*)::int as n from analytics_event where store_id = ${b.id} and livemode`,
      ),
    ).toBe(3);
    expect(
      await count(
        t,
        sql`select count(*)::int as n from analytics_event where store_id = ${a.id} and livemode`,
      ),
    ).toBe(0);
  });
});

describe('funnel events are rate limited per key', async () => {
  const limited = await testApp({ env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' } });
  it('answers 429 with Retry-After once the key has used its burst', async () => {
    const s = await limited.createStore();
    const send = () =>
      limited.request('POST', PATH, {
        rawBody: JSON.stringify(batch({ key: s.pk })),
        headers: { 'content-type': 'text/plain' },
      });
    // A burst of 2, refilled at 1 a second: 6 batches in a row cannot all pass.
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await send());
    expect(answers.slice(0, 2).map((r) => r.status)).toEqual([202, 202]);
    const refused = answers.find((r) => r.status === 429);
    expect(refused?.json.error.code).toBe('RATE_LIMITED');
    expect(refused?.headers.get('retry-after')).toBeTruthy();
    const accepted = answers.filter((r) => r.status === 202).length;
    expect(
      await limited.database.db
        .execute(sql`select count(*)::int as n from analytics_event where store_id = ${s.id}`)
        .then((r) => Number((r as unknown as { rows: Array<{ n: number }> }).rows[0]?.n)),
    ).toBe(3 * accepted);
  });
});
