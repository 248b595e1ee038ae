import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { CARDS, card, cartToken, checkout, seedVariant } from '../../../test/support/commerce.ts';
import { DB_KIND, testApp } from '../../../test/support/harness.ts';

// Real time, shifted to noon UTC of today: a scripted session never straddles midnight.
const NOON = new Date(`${new Date().toISOString().slice(0, 10)}T12:00:00.000Z`).getTime();
const started = Date.now();
const clock = { now: () => new Date(NOON + (Date.now() - started)) };
const t = await testApp({ clock });
const TODAY = new Date(NOON).toISOString().slice(0, 10);

const at = (msAgo: number) => new Date(clock.now().getTime() - msAgo).toISOString();

async function send(pk: string, sessionId: string, events: Array<Record<string, unknown>>) {
  const r = await t.request('POST', '/v1/analytics/events', {
    key: pk,
    body: { session_id: sessionId, events },
  });
  expect(r.status, r.text).toBe(202);
}

async function productOf(variantId: string): Promise<string> {
  const r = (await t.database.db.execute(
    sql`select product_id from variant where id = ${variantId}`,
  )) as unknown as {
    rows: Array<{ product_id: string }>;
  };
  return r.rows[0]!.product_id;
}

/** One session that buys (events and a real checkout), one that only looks. */
async function scriptedStore() {
  const s = await t.createStore();
  const v = await seedVariant(t, s, { price: 2500 });
  const p = await productOf(v);
  await send(s.pk, 'sess_buyer', [
    { type: 'page_viewed', occurred_at: at(60_000), path: '/' },
    { type: 'product_viewed', occurred_at: at(50_000), path: '/p/mug', product_id: p },
    { type: 'product_added', occurred_at: at(40_000), product_id: p, variant_id: v, quantity: 2 },
    { type: 'checkout_started', occurred_at: at(30_000) },
  ]);
  const token = await cartToken(t, s.pk, [{ variant_id: v, quantity: 2 }]);
  const order = await checkout(t, s.pk, token, card(CARDS.success));
  expect(order.status).toBe(201);
  await send(s.pk, 'sess_buyer', [
    {
      type: 'order_completed',
      occurred_at: at(1000),
      order_id: order.json.order.id,
      value: order.json.order.total,
      currency: 'USD',
    },
  ]);
  await send(s.pk, 'sess_looker', [
    { type: 'page_viewed', occurred_at: at(20_000), path: '/' },
    { type: 'product_viewed', occurred_at: at(10_000), path: '/p/mug', product_id: p },
  ]);
  return { s, v, p, total: order.json.order.total as number };
}

const steps = (r: { total: Array<{ step: string; sessions: number }> }) =>
  Object.fromEntries(r.total.map((x) => [x.step, x.sessions]));

describe(`reports (${DB_KIND})`, () => {
  it('funnel, sales, top products and overview count one conversion of a scripted session', async () => {
    const { s, p, total } = await scriptedStore();
    // Nothing is reported before the rollup runs.
    const before = await t.request('GET', `/v1/reports/funnel?from=${TODAY}&to=${TODAY}`, { key: s.sk });
    expect(before.status).toBe(200);
    expect(steps(before.json)).toEqual({
      product_viewed: 0,
      product_added: 0,
      checkout_started: 0,
      order_completed: 0,
    });

    expect(await t.reports.rollups.rollupRecent()).toBeGreaterThan(0);

    const funnel = await t.request('GET', `/v1/reports/funnel?from=${TODAY}&to=${TODAY}`, { key: s.sk });
    expect(steps(funnel.json)).toEqual({
      product_viewed: 2,
      product_added: 1,
      checkout_started: 1,
      order_completed: 1,
    });
    expect(funnel.json.total[1]).toMatchObject({ conversion_rate: 0.5, drop_off_rate: 0.5 });
    expect(funnel.json.total[3]).toMatchObject({ conversion_rate: 1, drop_off_rate: 0 });
    expect(funnel.json.days).toHaveLength(1);
    const byProduct = await t.request('GET', `/v1/reports/funnel?product_id=${p}`, { key: s.sk });
    expect(steps(byProduct.json)).toEqual({
      product_viewed: 2,
      product_added: 1,
      checkout_started: 1,
      order_completed: 1,
    });
    expect(byProduct.json.days).toHaveLength(30);

    const sales = await t.request('GET', '/v1/reports/sales?interval=day', { key: s.sk });
    expect(sales.status).toBe(200);
    expect(sales.json.totals).toEqual([
      { currency: 'USD', orders: 1, revenue: total, average_order_value: total },
    ]);
    expect(sales.json.data).toEqual([
      { day: TODAY, currency: 'USD', orders: 1, revenue: total, average_order_value: total },
    ]);

    const top = await t.request('GET', '/v1/reports/top_products', { key: s.sk });
    expect(top.json.data).toEqual([
      { product_id: p, views: 2, adds: 1, checkouts: 1, orders: 1, add_rate: 0.5 },
    ]);

    const overview = await t.request('GET', '/v1/reports/overview', { key: s.sk });
    expect(overview.status).toBe(200);
    for (const w of ['today', 'last_30_days']) {
      expect(overview.json[w]).toMatchObject({
        sales: [{ currency: 'USD', orders: 1, revenue: total, average_order_value: total }],
        sessions: 2,
        converted_sessions: 1,
        conversion_rate: 0.5,
      });
    }

    // Test data never shows in live reports.
    const publishable = await t.request('GET', '/v1/reports/overview', { key: s.pk });
    expect(publishable.status).toBe(403);
  });

  it('overview: today live, the days before from their rollups', async () => {
    const s = await t.createStore();
    const threeDaysAgo = at(3 * 86_400_000);
    await send(s.pk, 'sess_past', [{ type: 'page_viewed', occurred_at: threeDaysAgo, path: '/' }]);
    await send(s.pk, 'sess_now', [{ type: 'page_viewed', occurred_at: at(1000), path: '/' }]);
    const sessions = async () => {
      const r = await t.request('GET', '/v1/reports/overview', { key: s.sk });
      expect(r.status).toBe(200);
      return [r.json.today.sessions, r.json.last_30_days.sessions];
    };
    // The earlier day counts once rolled up; today never waits for a rollup.
    expect(await sessions()).toEqual([1, 1]);
    await t.reports.rollups.rollupDay(s.id, threeDaysAgo.slice(0, 10));
    expect(await sessions()).toEqual([1, 2]);
    // Today's rollup does not count today twice.
    await t.reports.rollups.rollupDay(s.id, TODAY);
    expect(await sessions()).toEqual([1, 2]);
  });

  it('rollups are idempotent: run again, or twice at once, the numbers stay', async () => {
    const { s } = await scriptedStore();
    const counts = async () =>
      (await t.database.db.execute(
        sql`select coalesce(sum(events), 0)::int as events, coalesce(sum(sessions), 0)::int as sessions, count(*)::int as n
              from analytics_daily where store_id = ${s.id}`,
      )) as unknown as { rows: Array<{ events: number; sessions: number; n: number }> };
    await t.reports.rollups.rollupDay(s.id, TODAY);
    const first = (await counts()).rows[0]!;
    expect(first.events).toBeGreaterThan(0);
    await t.reports.rollups.rollupDay(s.id, TODAY);
    expect((await counts()).rows[0]).toEqual(first);
    // Several workers on the same day at once: each replaces the day; none adds to another's rows.
    await Promise.all(Array.from({ length: 4 }, () => t.reports.rollups.rollupDay(s.id, TODAY)));
    expect((await counts()).rows[0]).toEqual(first);
    await Promise.all([t.reports.rollups.rollupRecent(), t.reports.rollups.rollupRecent()]);
    expect((await counts()).rows[0]).toEqual(first);
    const sales = await t.request('GET', '/v1/reports/sales', { key: s.sk });
    expect(sales.json.totals[0].orders).toBe(1);
  });

  it('records searches without results and reports them; raw events past 90 days are deleted', async () => {
    const s = await t.createStore();
    for (const q of ['Unicorn socks', 'unicorn socks ', 'zebra']) {
      const r = await t.request('GET', `/v1/products/search?q=${encodeURIComponent(q)}`, { key: s.sk });
      expect(r.status).toBe(200);
      expect(r.json.data).toEqual([]);
    }
    await vi.waitFor(async () => {
      const r = await t.request('GET', '/v1/reports/search_terms?no_results=true', { key: s.sk });
      expect(r.json.data.map((x: { term: string; searches: number }) => [x.term, x.searches])).toEqual([
        ['unicorn socks', 2],
        ['zebra', 1],
      ]);
    });
    const refused = await t.request('GET', '/v1/reports/search_terms?no_results=false', { key: s.sk });
    expect(refused.status).toBe(400);

    const old = new Date(clock.now().getTime() - 91 * 86_400_000).toISOString();
    await t.database.db.execute(sql`insert into analytics_event (id, store_id, livemode, session_id, type, occurred_at, received_at)
      values ('aev_old', ${s.id}, false, 'sess_old', 'page_viewed', ${old}, ${old})`);
    expect(await t.reports.rollups.purgeRaw()).toBeGreaterThanOrEqual(1);
    const left = (await t.database.db.execute(
      sql`select count(*)::int as n from analytics_event where id = 'aev_old'`,
    )) as unknown as { rows: Array<{ n: number }> };
    expect(left.rows[0]!.n).toBe(0);
  });
});
