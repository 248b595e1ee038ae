import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cartToken, checkout, count, liveKey, seedVariant } from '../../../test/support/commerce.ts';
import { DB_KIND, testApp } from '../../../test/support/harness.ts';
import { inTransaction } from '../../shared/db.ts';
import { writeTogether } from '../../shared/write-together.ts';
import type { EventRecord } from './index.ts';

const t = await testApp();

type Envelope = {
  id: string;
  object: string;
  type: string;
  created: string;
  livemode: boolean;
  api_version: string;
  data: { object: Record<string, unknown> };
};

async function listEvents(key: string, query = ''): Promise<{ status: number; json: any }> {
  return t.request('GET', `/v1/events${query}`, { key });
}

const typesOf = (r: { json: { data: Envelope[] } }) => r.json.data.map((e) => e.type);

/** Every event the relay hands to a consumer, in order (the consumer sees the events of every store). */
function collector(storeId: string) {
  const seen: EventRecord[] = [];
  return {
    seen,
    consumer: async (_tx: unknown, events: EventRecord[]) => {
      seen.push(...events.filter((e) => e.storeId === storeId));
    },
  };
}

async function paidCheckout(s: { id: string; pk: string; sk: string }, qty = 1) {
  const v = await seedVariant(t, s, { price: 2500, onHand: 50 });
  const r = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v, quantity: qty }]));
  expect(r.status).toBe(201);
  return { orderId: r.json.order.id as string, variantId: v, order: r.json.order };
}

describe(`events (${DB_KIND})`, () => {
  it('a checkout writes order.created and order.paid, listed with the envelope and the mode of the key', async () => {
    const s = await t.createStore();
    const { orderId } = await paidCheckout(s);

    const r = await listEvents(s.sk, '?type=order.*');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
    // Newest first.
    expect(typesOf(r)).toEqual(['order.paid', 'order.created']);
    const [paid, created] = r.json.data as Envelope[];
    expect(Object.keys(paid!).sort()).toEqual(
      ['api_version', 'created', 'data', 'id', 'livemode', 'object', 'type'].sort(),
    );
    expect(paid).toMatchObject({ object: 'event', livemode: false, api_version: '2026-11-01' });
    expect(paid!.id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect(new Date(paid!.created).toISOString()).toBe(paid!.created);
    // data.object is the order as GET /v1/orders/{id} shows it (without the detail's sub-lists).
    const order = await t.request('GET', `/v1/orders/${orderId}`, { key: s.sk });
    const { events: _e, payments: _p, refunds: _r, fulfillments: _f, ...asListed } = order.json;
    expect(paid!.data.object).toEqual(asListed);
    expect(created!.data.object).toMatchObject({ id: orderId, object: 'order', status: 'pending' });
    expect((created!.data.object.lines as unknown[]).length).toBe(1);

    const one = await t.request('GET', `/v1/events/${paid!.id}`, { key: s.sk });
    expect(one.status).toBe(200);
    expect(one.json).toEqual(paid);

    // A live key sees none of the test-mode events, not even by id.
    const skLive = await liveKey(t, s.id, 'secret');
    const asLive = await listEvents(skLive, '?type=order.*');
    expect(asLive.json.data).toEqual([]);
    const other = await t.request('GET', `/v1/events/${paid!.id}`, { key: skLive });
    expect([other.status, other.json.error.code]).toEqual([404, 'EVENT_NOT_FOUND']);
    // Another store's key neither.
    const s2 = await t.createStore();
    expect((await t.request('GET', `/v1/events/${paid!.id}`, { key: s2.sk })).status).toBe(404);
    // A publishable key may not list events.
    expect((await listEvents(s.pk)).status).toBe(403);
  });

  it('filters by type (one, a list, a family), by creation time, and pages with a cursor', async () => {
    const s = await t.createStore();
    await paidCheckout(s);
    await paidCheckout(s);

    const paid = await listEvents(s.sk, '?type=order.paid');
    expect(typesOf(paid)).toEqual(['order.paid', 'order.paid']);
    const both = await listEvents(s.sk, '?type=order.paid,order.created');
    expect(typesOf(both)).toEqual(['order.paid', 'order.created', 'order.paid', 'order.created']);
    const family = await listEvents(s.sk, '?type=order.*');
    expect(typesOf(family)).toEqual(typesOf(both));

    for (const bad of ['order.unknown', 'order.paid,nope', 'nothing.*', '']) {
      const r = await listEvents(s.sk, `?type=${encodeURIComponent(bad)}`);
      expect([r.status, r.json.error.code, r.json.error.param], bad).toEqual([
        400,
        'VALIDATION_FAILED',
        'type',
      ]);
    }

    // Cursor: one by one through the four order events, no repeats, no gaps.
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q: string = `?type=order.*&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await listEvents(s.sk, q);
      expect(r.status).toBe(200);
      ids.push(...r.json.data.map((e: Envelope) => e.id));
      cursor = r.json.next_cursor;
      if (!r.json.has_more) break;
    }
    expect(ids).toEqual(family.json.data.map((e: Envelope) => e.id));
    expect(new Set(ids).size).toBe(4);
    const badCursor = await listEvents(s.sk, '?cursor=abc');
    expect([badCursor.status, badCursor.json.error.code]).toEqual([400, 'INVALID_CURSOR']);

    // Creation time: the oldest event alone, then the others.
    const oldest = family.json.data.at(-1) as Envelope;
    const after = new Date(new Date(oldest.created).getTime() + 1).toISOString();
    const before = await listEvents(s.sk, `?type=order.*&created_lt=${encodeURIComponent(after)}`);
    expect(before.json.data.map((e: Envelope) => e.id)).toEqual([oldest.id]);
    const since = await listEvents(s.sk, `?type=order.*&created_gte=${encodeURIComponent(after)}`);
    expect(since.json.data).toHaveLength(3);
  });

  it('a consumer that throws leaves the batch undispatched; it is handed over again and then marked', async () => {
    const s = await t.createStore();
    await t.events.drain(); // earlier tests' events are out of the way
    let failures = 1;
    const attempts: string[][] = [];
    t.events.subscribe(`flaky-${s.id}`, async (tx, events) => {
      const mine = events.filter((e) => e.storeId === s.id);
      if (mine.length === 0) return;
      attempts.push(mine.map((e) => e.id));
      // The consumer's own row commits (or not) with the batch: here a row of its own in the same tx.
      await tx.execute(sql`select 1`);
      if (failures-- > 0) throw new Error('receiver down');
    });
    const { orderId } = await paidCheckout(s);
    const undispatched = () =>
      count(
        t,
        sql`select count(*)::int as n from event where store_id = ${s.id} and dispatched_at is null and type like 'order.%'`,
      );
    expect(await undispatched()).toBe(2);

    await expect(t.events.relayOnce()).rejects.toThrow('receiver down');
    expect(await undispatched()).toBe(2);
    const backlog = await t.events.backlog();
    expect(backlog.count).toBeGreaterThanOrEqual(2);

    expect(await t.events.drain()).toBeGreaterThanOrEqual(2);
    expect(await undispatched()).toBe(0);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toEqual(attempts[0]);
    const handed = await count(
      t,
      sql`select count(*)::int as n from event where data->'object'->>'id' = ${orderId} and dispatched_at is not null`,
    );
    expect(handed).toBe(2);
    // Idle: nothing more is handed over.
    expect(await t.events.drain()).toBe(0);
    expect(attempts).toHaveLength(2);
  });

  it('relays running at once never hand the same event to consumers twice while in flight', async () => {
    // Only PostgreSQL runs the relays' transactions concurrently (PGlite has one connection and serialises
    // them), so only there can this fail: SKIP LOCKED is what keeps the concurrent claims apart.
    const s = await t.createStore();
    await t.events.drain();
    const { seen, consumer } = collector(s.id);
    let inFlight = 0;
    let maxInFlight = 0;
    t.events.subscribe(`collector-${s.id}`, async (tx, events) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        // Keep the batch's transaction open across a round trip so the claims overlap.
        await tx.execute(sql`select pg_sleep(0.05)`);
        await consumer(tx, events);
      } finally {
        inFlight--;
      }
    });
    const v = await seedVariant(t, s, { onHand: 1000 });
    // 300 events in three transactions (more than one relay batch of 100 each).
    for (let i = 0; i < 3; i++) {
      await inTransaction(t.database.db, (tx) =>
        writeTogether(
          tx,
          Array.from({ length: 100 }, () =>
            t.events.append(tx, {
              storeId: s.id,
              livemode: false,
              type: 'product.updated',
              object: { id: v, object: 'product' },
            }),
          ),
        ),
      );
    }
    const relayed = await Promise.all([
      t.events.drain(),
      t.events.drain(),
      t.events.drain(),
      t.events.drain(),
    ]);
    // Whatever a relay left behind (rows skipped while locked by another) is relayed by the next turn.
    await t.events.drain();
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(300);
    expect(relayed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    if (DB_KIND === 'postgres') expect(maxInFlight).toBeGreaterThan(1);
    expect(
      await count(
        t,
        sql`select count(*)::int as n from event where store_id = ${s.id} and dispatched_at is null`,
      ),
    ).toBe(0);
  });

  it('product writes emit product.created / updated / deleted in both modes with the product as the API shows it', async () => {
    const s = await t.createStore();
    const skLive = await liveKey(t, s.id, 'secret');
    const created = await t.request('POST', '/v1/products', {
      key: s.sk,
      body: {
        title: 'Linen Shirt',
        status: 'active',
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [{ sku: `LS-${s.id.slice(-6)}-S`, price: 4900, option_values: { Size: 'S' } }],
      },
    });
    expect(created.status).toBe(201);
    const p = created.json;
    const patched = await t.request('PATCH', `/v1/products/${p.id}`, {
      key: s.sk,
      body: { version: p.version, title: 'Linen Shirt II' },
    });
    expect(patched.status).toBe(200);
    const variant = await t.request('POST', `/v1/products/${p.id}/variants`, {
      key: s.sk,
      body: { sku: `LS-${s.id.slice(-6)}-M`, price: 5200, option_values: { Size: 'M' } },
    });
    expect(variant.status).toBe(201);
    const deleted = await t.request('DELETE', `/v1/products/${p.id}`, { key: s.sk });
    expect(deleted.status).toBe(200);

    for (const [key, livemode] of [
      [s.sk, false],
      [skLive, true],
    ] as const) {
      const r = await listEvents(key, '?type=product.*');
      expect(typesOf(r)).toEqual([
        'product.deleted',
        'product.updated',
        'product.updated',
        'product.created',
      ]);
      const [del, withVariant, renamed, first] = r.json.data as Envelope[];
      expect(r.json.data.every((e: Envelope) => e.livemode === livemode)).toBe(true);
      expect(first!.data.object).toEqual(p);
      expect(renamed!.data.object).toEqual(patched.json);
      expect((withVariant!.data.object.variants as unknown[]).length).toBe(2);
      expect(del!.data.object).toMatchObject({ id: p.id, object: 'product', title: 'Linen Shirt II' });
    }
  });

  it('stock changes emit inventory.low_stock and inventory.out_of_stock once per crossing', async () => {
    const s = await t.createStore({ settings: { low_stock_threshold: 3 } });
    const v = await seedVariant(t, s, { onHand: 10 });
    const adjust = async (delta: number) => {
      const r = await t.request('POST', `/v1/inventory/${v}/adjust`, { key: s.sk, body: { delta } });
      expect(r.status).toBe(200);
    };
    const stockEvents = async () => {
      const r = await listEvents(s.sk, '?type=inventory.*');
      return (r.json.data as Envelope[]).reverse();
    };
    // Stocking up from nothing tells nothing.
    expect(await stockEvents()).toEqual([]);
    await adjust(-6); // 4: above the threshold
    expect(await stockEvents()).toEqual([]);
    await adjust(-1); // 3: at the threshold
    await adjust(-1); // 2: still low, no second event
    let events = await stockEvents();
    expect(events.map((e) => e.type)).toEqual(['inventory.low_stock']);
    expect(events[0]!.data.object).toMatchObject({
      object: 'inventory_level',
      variant_id: v,
      on_hand: 3,
      committed: 0,
      available: 3,
      low_stock_threshold: 3,
    });

    // A checkout reserving the last two units crosses zero: out_of_stock, in the order's transaction.
    const r = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }]));
    expect(r.status).toBe(201);
    events = await stockEvents();
    expect(events.map((e) => e.type)).toEqual(['inventory.low_stock', 'inventory.out_of_stock']);
    expect(events[1]!.data.object).toMatchObject({ variant_id: v, available: 0 });

    // Restocked above the threshold, then down again: each crossing tells once more.
    await adjust(10);
    await adjust(-8);
    events = await stockEvents();
    expect(events.map((e) => e.type)).toEqual([
      'inventory.low_stock',
      'inventory.out_of_stock',
      'inventory.low_stock',
    ]);
    // The same events exist for live keys (the stock is shared by both modes).
    const skLive = await liveKey(t, s.id, 'secret');
    const live = await listEvents(skLive, '?type=inventory.*');
    expect(typesOf(live).reverse()).toEqual(events.map((e) => e.type));
  });

  it('deletes events older than 30 days, and keeps the rest', async () => {
    const s = await t.createStore();
    const old = new Date(Date.now() - 31 * 86_400_000);
    const recent = new Date(Date.now() - 29 * 86_400_000);
    await inTransaction(t.database.db, (tx) =>
      writeTogether(tx, [
        ...Array.from({ length: 3 }, () =>
          t.events.append(tx, {
            storeId: s.id,
            livemode: false,
            type: 'product.created',
            object: { id: 'prod_x', object: 'product' },
            createdAt: old,
          }),
        ),
        t.events.append(tx, {
          storeId: s.id,
          livemode: false,
          type: 'product.created',
          object: { id: 'prod_y', object: 'product' },
          createdAt: recent,
        }),
      ]),
    );
    expect(await count(t, sql`select count(*)::int as n from event where store_id = ${s.id}`)).toBe(4);
    await t.worker.runOnce();
    expect(await count(t, sql`select count(*)::int as n from event where store_id = ${s.id}`)).toBe(1);
    const r = await listEvents(s.sk);
    expect(r.json.data.map((e: Envelope) => e.data.object.id)).toEqual(['prod_y']);
  });

  it('exposes the backlog and the age of the oldest waiting event at /metrics', async () => {
    const s = await t.createStore();
    await t.events.drain();
    await inTransaction(t.database.db, (tx) =>
      writeTogether(tx, [
        t.events.append(tx, {
          storeId: s.id,
          livemode: false,
          type: 'product.created',
          object: { id: 'prod_z', object: 'product' },
          createdAt: new Date(Date.now() - 120_000),
        }),
      ]),
    );
    const b = await t.events.refreshBacklogMetrics();
    expect(b.count).toBeGreaterThanOrEqual(1);
    expect(b.oldestAgeSeconds).toBeGreaterThanOrEqual(120);
    const m = await t.request('GET', '/metrics');
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m.text)?.[1]);
    expect(value('events_backlog')).toBe(b.count);
    expect(value('events_oldest_undispatched_age_seconds')).toBeGreaterThanOrEqual(120);
    // Readiness does not depend on the backlog.
    expect((await t.request('GET', '/readyz')).status).toBe(200);
    await t.events.drain();
    await t.events.refreshBacklogMetrics();
    const after = await t.request('GET', '/metrics');
    expect(Number(/^events_backlog (\S+)$/m.exec(after.text)?.[1])).toBe(0);
  });
});
