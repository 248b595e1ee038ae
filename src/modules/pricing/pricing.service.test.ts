import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/support/harness.ts';
import { AppError } from '../../shared/app-error.ts';
import { inTransaction, rows } from '../../shared/db.ts';
import { newId } from '../../shared/ids.ts';
import { loadPricingContext, priceCart, redeemCoupon, releaseCouponRedemption } from './index.ts';
import { createRatesCache } from './pricing.service.ts';

const t = await testApp();
const db = t.database.db;

async function makeCoupon(sk: string, body: object) {
  const r = await t.request('POST', '/v1/coupons', { key: sk, body });
  if (r.status !== 201) throw new Error(r.text);
  return r.json as { id: string; code: string };
}

async function couponState(id: string) {
  const [c] = await rows<{ used_count: number }>(db, sql`select used_count from coupon where id = ${id}`);
  const [r] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from coupon_redemption where coupon_id = ${id}`,
  );
  return { usedCount: c?.used_count, redemptions: r?.n };
}

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof AppError ? e.code : `unexpected: ${String(e)}`;
  }
}

describe('loadPricingContext', () => {
  it("loads the store's coupon by code (any case), tax and shipping rates, and nothing of other stores", async () => {
    const s = await t.createStore();
    const other = await t.createStore();
    const c = await makeCoupon(s.sk, { code: 'Spring', kind: 'percent', value: 20 });
    await makeCoupon(other.sk, { code: 'OTHER', kind: 'percent', value: 20 });
    await t.request('POST', '/v1/tax-rates', { key: s.sk, body: { country: 'FR', rate: 2000, name: 'TVA' } });
    await t.request('POST', '/v1/tax-rates', {
      key: other.sk,
      body: { country: 'FR', rate: 550, name: 'other' },
    });
    await t.request('POST', '/v1/shipping-rates', {
      key: s.sk,
      body: { name: 'FR', countries: ['FR'], amount: 500 },
    });

    const ctx = await loadPricingContext(db, { storeId: s.id, couponCode: 'SPRING' });
    expect(ctx.coupon).toMatchObject({
      id: c.id,
      code: 'Spring',
      kind: 'percent',
      value: 20,
      usedCount: 0,
      active: true,
    });
    expect(ctx.taxRates).toEqual([expect.objectContaining({ country: 'FR', rate: 2000, region: null })]);
    expect(ctx.shippingRates).toEqual([
      expect.objectContaining({ countries: ['FR'], amount: 500, kind: 'flat' }),
    ]);
    expect((await loadPricingContext(db, { storeId: s.id, couponCode: 'OTHER' })).coupon).toBeNull();
    expect((await loadPricingContext(db, { storeId: s.id, couponCode: null })).coupon).toBeNull();

    // Admin writes are visible at once on this process (the rate cache is dropped).
    await t.request('POST', '/v1/tax-rates', {
      key: s.sk,
      body: { country: 'DE', rate: 1900, name: 'MwSt' },
    });
    const again = await loadPricingContext(db, { storeId: s.id, couponCode: null });
    expect(again.taxRates.map((r) => r.country).sort()).toEqual(['DE', 'FR']);

    // The context feeds priceCart directly.
    const priced = priceCart({
      currency: 'EUR',
      taxInclusive: true,
      lines: [{ variantId: 'var_1', sku: 'A', title: 'A', unitPrice: 1200, qty: 1, weightGrams: 100 }],
      ...ctx,
      shippingAddress: { country: 'FR' },
      shippingRateId: ctx.shippingRates[0]!.id,
      now: new Date(),
    });
    expect(priced).toMatchObject({ discountTotal: 240, taxTotal: 160, shippingTotal: 500, total: 1460 });
  });
});

describe('rates cache', () => {
  const rates = (n: number) => ({ taxRates: [], shippingRates: [], n });
  /** A load the test settles by hand, counting calls. */
  function loader() {
    const calls: Array<(v: ReturnType<typeof rates>) => void> = [];
    return { calls, load: () => new Promise<ReturnType<typeof rates>>((r) => calls.push(r)) };
  }

  it('answers a stale entry at once and refreshes it once in the background', async () => {
    let now = 0;
    const cache = createRatesCache({ now: () => now });
    const l = loader();
    const first = cache.read('s', l.load);
    l.calls[0]!(rates(1));
    expect(await first).toMatchObject({ n: 1 });
    expect(await cache.read('s', l.load)).toMatchObject({ n: 1 });
    expect(l.calls).toHaveLength(1);
    now = 3_500; // past fresh: still answered from memory, one refresh starts
    expect(await cache.read('s', l.load)).toMatchObject({ n: 1 });
    expect(await cache.read('s', l.load)).toMatchObject({ n: 1 });
    expect(l.calls).toHaveLength(2);
    l.calls[1]!(rates(2));
    await new Promise((r) => setImmediate(r));
    expect(await cache.read('s', l.load)).toMatchObject({ n: 2 });
    expect(l.calls).toHaveLength(2);
  });

  it('keeps nothing a load read before an admin write dropped the entry', async () => {
    let now = 0;
    const cache = createRatesCache({ now: () => now });
    const l = loader();
    const first = cache.read('s', l.load);
    l.calls[0]!(rates(1));
    await first;
    now = 3_500;
    await cache.read('s', l.load); // starts a background refresh
    cache.delete('s'); // an admin write lands while it runs
    l.calls[1]!(rates(1)); // what the refresh read is from before the write
    await new Promise((r) => setImmediate(r));
    const next = cache.read('s', l.load);
    expect(l.calls).toHaveLength(3); // loaded again, inline
    l.calls[2]!(rates(3));
    expect(await next).toMatchObject({ n: 3 });
  });
});

describe('redeemCoupon / releaseCouponRedemption', () => {
  it('redeems once per order, releases idempotently, and refuses past the limit', async () => {
    const s = await t.createStore();
    const c = await makeCoupon(s.sk, { code: 'TWICE', kind: 'fixed', value: 100, usage_limit: 2 });
    const [o1, o2, o3] = [newId('order'), newId('order'), newId('order')];
    const redeem = (orderId: string) =>
      inTransaction(db, (tx) => redeemCoupon(tx, { storeId: s.id, couponId: c.id, orderId }));

    await redeem(o1);
    await redeem(o1); // retry of the same order: no second use
    expect(await couponState(c.id)).toEqual({ usedCount: 1, redemptions: 1 });
    await redeem(o2);
    expect(await codeOf(redeem(o3))).toBe('COUPON_EXHAUSTED');
    expect(await couponState(c.id)).toEqual({ usedCount: 2, redemptions: 2 });

    const release = (orderId: string) =>
      inTransaction(db, (tx) => releaseCouponRedemption(tx, { couponId: c.id, orderId }));
    await release(o1);
    await release(o1);
    await release(o3); // never redeemed: nothing to give back
    expect(await couponState(c.id)).toEqual({ usedCount: 1, redemptions: 1 });
    await redeem(o3);
    expect(await couponState(c.id)).toEqual({ usedCount: 2, redemptions: 2 });
  });

  it('leaves no trace when the limit is reached even if the caller commits anyway', async () => {
    const s = await t.createStore();
    const c = await makeCoupon(s.sk, { code: 'ONE', kind: 'fixed', value: 100, usage_limit: 1 });
    await inTransaction(db, (tx) =>
      redeemCoupon(tx, { storeId: s.id, couponId: c.id, orderId: newId('order') }),
    );
    const late = newId('order');
    const code = await inTransaction(db, (tx) =>
      codeOf(redeemCoupon(tx, { storeId: s.id, couponId: c.id, orderId: late })),
    );
    expect(code).toBe('COUPON_EXHAUSTED');
    expect(await couponState(c.id)).toEqual({ usedCount: 1, redemptions: 1 });
  });

  it('refuses inactive, unknown and foreign coupons', async () => {
    const s = await t.createStore();
    const other = await t.createStore();
    const c = await makeCoupon(s.sk, { code: 'OFF', kind: 'fixed', value: 100, active: false });
    const redeem = (storeId: string, couponId: string) =>
      inTransaction(db, (tx) => redeemCoupon(tx, { storeId, couponId, orderId: newId('order') }));
    expect(await codeOf(redeem(s.id, c.id))).toBe('COUPON_NOT_APPLICABLE');
    expect(await codeOf(redeem(s.id, newId('coupon')))).toBe('COUPON_NOT_FOUND');
    const live = await makeCoupon(s.sk, { code: 'LIVE', kind: 'fixed', value: 100 });
    expect(await codeOf(redeem(other.id, live.id))).toBe('COUPON_NOT_FOUND');
    expect(await couponState(live.id)).toEqual({ usedCount: 0, redemptions: 0 });
  });

  it.each([
    ['read committed', undefined],
    ['serializable', 'serializable'],
  ] as const)(
    '50 concurrent checkouts (%s) on a coupon limited to 5 redeem it exactly 5 times',
    async (name, isolation) => {
      const s = await t.createStore();
      const c = await makeCoupon(s.sk, {
        code: `RUSH-${name.replace(' ', '-')}`,
        kind: 'percent',
        value: 50,
        usage_limit: 5,
      });
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          inTransaction(
            db,
            async (tx) => {
              // Some work before the redemption, as in a real checkout transaction.
              await tx.execute(sql`select 1`);
              const orderId = newId('order');
              try {
                await redeemCoupon(tx, { storeId: s.id, couponId: c.id, orderId });
                return null;
              } catch (e) {
                // Serialization failures must reach inTransaction, which retries the whole transaction.
                if (!(e instanceof AppError)) throw e;
                return e.code;
              }
            },
            { isolation, retries: 100 },
          ),
        ),
      );
      expect(results.filter((r) => r === null)).toHaveLength(5);
      expect(results.filter((r) => r === 'COUPON_EXHAUSTED')).toHaveLength(45);
      expect(await couponState(c.id)).toEqual({ usedCount: 5, redemptions: 5 });
      const read = await t.request('GET', `/v1/coupons/${c.id}`, { key: s.sk });
      expect(read.json.used_count).toBe(5);
    },
  );
});
