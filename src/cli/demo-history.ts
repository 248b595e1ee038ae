import { createApp } from '../app.ts';
import type { Config } from '../config.ts';
import { prng } from '../modules/catalog/index.ts';
import { fixedClock } from '../shared/clock.ts';
import type { Database } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';

const DAY_MS = 86_400_000;
const TEST_CARD = { card: { number: '4242424242424242', exp_month: 12, exp_year: 2099, cvc: '123' } };

export interface HistoryResult {
  orders: number;
  sessions: number;
  skipped: boolean;
}

/**
 * Gives a demo store a past: `days` days of shoppers' sessions (funnel events) and the orders some of them
 * placed, all through the HTTP API of an app whose clock is moved through those days, then the daily report
 * rollups. Idempotent: a store that already has orders is left alone.
 */
export async function seedDemoHistory(input: {
  config: Config;
  database: Database;
  keys: { publishable: string; secret: string };
  days: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<HistoryResult> {
  const clock = fixedClock(new Date());
  const built = createApp({ config: input.config, database: input.database, logger: silentLogger, clock });
  await built.start({ worker: false });
  const call = async (
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await built.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json().catch(() => null)) as any };
  };
  const { publishable: pk, secret: sk } = input.keys;
  try {
    const existing = await call('GET', '/v1/orders?limit=1', sk);
    if (existing.status !== 200) throw new Error(`demo history: listing orders answered ${existing.status}`);
    if (existing.json.data.length > 0) return { orders: 0, sessions: 0, skipped: true };

    const products = await call('GET', '/v1/products?status=active&limit=100', sk);
    const catalog = (products.json?.data ?? [])
      .map((p: any) => ({
        id: p.id as string,
        variant: p.variants?.[0] as { id: string; price: number } | undefined,
      }))
      .filter((p: { variant?: unknown }) => p.variant);
    if (catalog.length === 0) return { orders: 0, sessions: 0, skipped: true };
    const store = await call('GET', '/v1/store', sk);
    const currency = (store.json?.currency as string | undefined) ?? 'USD';

    const random = prng(input.seed ?? 7);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const realNow = Date.now();
    let orders = 0;
    let sessions = 0;
    const days: string[] = [];
    for (let d = input.days - 1; d >= 0; d--) {
      const dayStart = today - d * DAY_MS;
      days.push(new Date(dayStart).toISOString().slice(0, 10));
      const weekday = new Date(dayStart).getUTCDay();
      // More visits at weekends and as the month goes on.
      const visits = Math.round(
        (14 + random() * 10) *
          (weekday === 0 || weekday === 6 ? 1.4 : 1) *
          (1 + (input.days - d) / input.days),
      );
      // In time order, so that order ids (time-ordered) follow the days' clocks.
      const times = Array.from({ length: visits }, () => dayStart + Math.floor(random() * DAY_MS)).sort(
        (a, b) => a - b,
      );
      for (const [v, at] of times.entries()) {
        if (at > realNow) continue;
        clock.set(new Date(at));
        const iso = (offsetMs: number) => new Date(at + offsetMs).toISOString();
        const session = `demo_${dayStart / DAY_MS}_${v}`;
        const product = pick(catalog) as { id: string; variant: { id: string; price: number } };
        const events: object[] = [
          { type: 'page_viewed', occurred_at: iso(0), path: '/' },
          {
            type: 'product_viewed',
            occurred_at: iso(20_000),
            product_id: product.id,
            path: `/products/${product.id}`,
          },
        ];
        sessions++;
        const adds = random() < 0.32;
        const checksOut = adds && random() < 0.62;
        const buys = checksOut && random() < 0.72;
        if (adds) {
          events.push({
            type: 'product_added',
            occurred_at: iso(60_000),
            product_id: product.id,
            variant_id: product.variant.id,
            quantity: 1,
          });
        }
        if (checksOut) events.push({ type: 'checkout_started', occurred_at: iso(120_000) });
        if (buys) {
          const quantity = random() < 0.25 ? 2 : 1;
          const cart = await call('POST', '/v1/carts', pk, {
            lines: [{ variant_id: product.variant.id, quantity }],
            email: `shopper${Math.floor(random() * 400)}@example.com`,
          });
          if (cart.status === 201) {
            const paid = await call(
              'POST',
              '/v1/checkout',
              pk,
              { cart_token: cart.json.token, payment: TEST_CARD },
              {
                'idempotency-key': `demo-${session}`,
              },
            );
            if (paid.status === 201) {
              orders++;
              const order = paid.json.order;
              events.push({
                type: 'order_completed',
                occurred_at: iso(180_000),
                order_id: order.id,
                value: order.total,
                currency,
              });
              // Most older orders have shipped.
              if (d > 2 && random() < 0.8) {
                await call('POST', `/v1/orders/${order.id}/fulfill`, sk, {
                  carrier: pick(['UPS', 'DHL', 'USPS']),
                  tracking_number: `1Z${Math.floor(random() * 1e12)}`,
                });
              }
            }
          }
        }
        await call('POST', '/v1/analytics/events', pk, { session_id: session, events });
      }
      input.onProgress?.(input.days - d, input.days);
    }
    clock.set(new Date());
    const storeId = store.json?.id as string;
    for (const day of days) await built.reports.rollups.rollupDay(storeId, day);
    return { orders, sessions, skipped: false };
  } finally {
    await built.close();
  }
}
