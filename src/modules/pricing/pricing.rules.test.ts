import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/app-error.ts';
import {
  type Coupon,
  couponProblem,
  type PricingInput,
  type PricingLine,
  priceCart,
  type ShippingRate,
  type TaxRate,
} from './pricing.rules.ts';

const NOW = new Date('2030-06-15T12:00:00Z');

const line = (unitPrice: number, qty = 1, weightGrams = 0, n = 1): PricingLine => ({
  variantId: `var_${n}`,
  sku: `SKU-${n}`,
  title: `Item ${n}`,
  unitPrice,
  qty,
  weightGrams,
});

const coupon = (over: Partial<Coupon> = {}): Coupon => ({
  id: 'cpn_1',
  code: 'SAVE',
  kind: 'percent',
  value: 10,
  minSubtotal: 0,
  startsAt: null,
  endsAt: null,
  usageLimit: null,
  usedCount: 0,
  active: true,
  ...over,
});

const tax = (over: Partial<TaxRate> = {}): TaxRate => ({
  id: 'txr_1',
  country: 'FR',
  region: null,
  rate: 2000,
  name: 'TVA',
  appliesToShipping: false,
  ...over,
});

const ship = (over: Partial<ShippingRate> = {}): ShippingRate => ({
  id: 'shr_1',
  name: 'Standard',
  countries: ['FR'],
  kind: 'flat',
  amount: 500,
  weightBands: [],
  freeAbove: null,
  ...over,
});

const input = (over: Partial<PricingInput> = {}): PricingInput => ({
  currency: 'USD',
  taxInclusive: false,
  lines: [line(1000)],
  coupon: null,
  taxRates: [],
  shippingRates: [],
  shippingAddress: null,
  shippingRateId: null,
  now: NOW,
  ...over,
});

describe('priceCart: lines and discounts', () => {
  it('prices lines as unit price × qty with no coupon, tax or shipping', () => {
    const p = priceCart(input({ lines: [line(1999, 3), line(500, 2, 0, 2)] }));
    expect(p.lines.map((l) => [l.subtotal, l.discount, l.tax, l.total])).toEqual([
      [5997, 0, 0, 5997],
      [1000, 0, 0, 1000],
    ]);
    expect(p).toMatchObject({ subtotal: 6997, discountTotal: 0, taxTotal: 0, shippingTotal: 0, total: 6997 });
    expect(p.coupon).toBeNull();
    expect(p.shipping).toBeNull();
    expect(p.shippingOptions).toEqual([]);
  });

  it('rounds a percent discount half up and allocates it by largest remainder', () => {
    // 15% of 333 = 49.95 → 50; split over 111/111/111 = 16.67 each → 17, 17, 16
    const p = priceCart(
      input({
        lines: [line(111, 1, 0, 1), line(111, 1, 0, 2), line(111, 1, 0, 3)],
        coupon: coupon({ value: 15 }),
      }),
    );
    expect(p.discountTotal).toBe(50);
    expect(p.lines.map((l) => l.discount)).toEqual([17, 17, 16]);
    expect(p.total).toBe(283);
    expect(p.coupon).toEqual({ code: 'SAVE', applied: true });
    // exactly half rounds up: 10% of 5 = 0.5 → 1
    expect(priceCart(input({ lines: [line(5)], coupon: coupon({ value: 10 }) })).discountTotal).toBe(1);
    // below half rounds down: 10% of 4 = 0.4 → 0
    expect(priceCart(input({ lines: [line(4)], coupon: coupon({ value: 10 }) })).discountTotal).toBe(0);
  });

  it('weights the allocation by line subtotal', () => {
    const p = priceCart(
      input({
        lines: [line(3000, 1, 0, 1), line(1000, 1, 0, 2)],
        coupon: coupon({ kind: 'fixed', value: 1000 }),
      }),
    );
    expect(p.lines.map((l) => l.discount)).toEqual([750, 250]);
  });

  it('caps a fixed discount at the subtotal and a 100% discount makes the goods free', () => {
    const fixed = priceCart(input({ lines: [line(700)], coupon: coupon({ kind: 'fixed', value: 5000 }) }));
    expect(fixed).toMatchObject({ subtotal: 700, discountTotal: 700, total: 0 });
    const all = priceCart(input({ lines: [line(999, 3)], coupon: coupon({ value: 100 }) }));
    expect(all).toMatchObject({ discountTotal: 2997, total: 0 });
  });

  it('works in zero-decimal (JPY) and three-decimal (KWD) currencies', () => {
    // ¥999 × 1, 15% → 149.85 → 150; 10% tax on 849 = 84.9 → 85
    const jpy = priceCart(
      input({
        currency: 'JPY',
        lines: [line(999)],
        coupon: coupon({ value: 15 }),
        taxRates: [tax({ country: 'JP', rate: 1000 })],
        shippingAddress: { country: 'JP' },
      }),
    );
    expect(jpy).toMatchObject({
      currency: 'JPY',
      subtotal: 999,
      discountTotal: 150,
      taxTotal: 85,
      total: 934,
    });
    // 1.235 KWD × 2 = 2.470; 5% inclusive VAT: 2470 × 500 / 10500 = 117.62 → 118 fils
    const kwd = priceCart(
      input({
        currency: 'KWD',
        taxInclusive: true,
        lines: [line(1235, 2)],
        taxRates: [tax({ country: 'KW', rate: 500 })],
        shippingAddress: { country: 'KW' },
      }),
    );
    expect(kwd).toMatchObject({ currency: 'KWD', subtotal: 2470, taxTotal: 118, total: 2470 });
    for (const p of [jpy, kwd])
      for (const v of [p.subtotal, p.taxTotal, p.total]) expect(Number.isInteger(v)).toBe(true);
  });

  it('refuses an unknown currency and non-integer amounts', () => {
    expect(() => priceCart(input({ currency: 'XXX' }))).toThrow();
    expect(() => priceCart(input({ lines: [line(10.5)] }))).toThrow();
    expect(() => priceCart(input({ lines: [line(10, 0)] }))).toThrow();
  });
});

describe('couponProblem', () => {
  it('checks active, dates, usage limit and minimum subtotal', () => {
    expect(couponProblem(coupon(), 100, NOW)).toBeNull();
    expect(couponProblem(coupon({ active: false }), 100, NOW)).toBe('inactive');
    expect(couponProblem(coupon({ startsAt: new Date(NOW.getTime() + 1) }), 100, NOW)).toBe('not_started');
    expect(couponProblem(coupon({ startsAt: NOW }), 100, NOW)).toBeNull();
    expect(couponProblem(coupon({ endsAt: NOW }), 100, NOW)).toBe('ended');
    expect(couponProblem(coupon({ endsAt: new Date(NOW.getTime() + 1) }), 100, NOW)).toBeNull();
    expect(couponProblem(coupon({ usageLimit: 3, usedCount: 3 }), 100, NOW)).toBe('exhausted');
    expect(couponProblem(coupon({ usageLimit: 3, usedCount: 2 }), 100, NOW)).toBeNull();
    expect(couponProblem(coupon({ minSubtotal: 101 }), 100, NOW)).toBe('min_subtotal');
    expect(couponProblem(coupon({ minSubtotal: 100 }), 100, NOW)).toBeNull();
  });

  it('reports an inapplicable coupon on the cart without discounting', () => {
    const p = priceCart(input({ lines: [line(1000)], coupon: coupon({ minSubtotal: 5000 }) }));
    expect(p.coupon).toEqual({ code: 'SAVE', applied: false, reason: 'min_subtotal' });
    expect(p).toMatchObject({ discountTotal: 0, total: 1000 });
    const ended = priceCart(input({ coupon: coupon({ endsAt: new Date('2030-01-01T00:00:00Z') }) }));
    expect(ended.coupon).toEqual({ code: 'SAVE', applied: false, reason: 'ended' });
  });
});

describe('priceCart: tax', () => {
  const fr = { country: 'FR' };

  it('adds exclusive tax per line on the discounted amount', () => {
    // lines 1000 and 333, 10% off → 133 split 100/33; net 900 and 300; 20% → 180 and 60
    const p = priceCart(
      input({
        lines: [line(1000, 1, 0, 1), line(333, 1, 0, 2)],
        coupon: coupon(),
        taxRates: [tax()],
        shippingAddress: fr,
      }),
    );
    expect(p.lines.map((l) => [l.discount, l.tax, l.total])).toEqual([
      [100, 180, 1080],
      [33, 60, 360],
    ]);
    expect(p).toMatchObject({ subtotal: 1333, discountTotal: 133, taxTotal: 240, total: 1440 });
  });

  it('extracts inclusive tax without changing the total', () => {
    // 1200 gross at 20% → 1200 × 0.2 / 1.2 = 200
    const p = priceCart(
      input({ taxInclusive: true, lines: [line(1200)], taxRates: [tax()], shippingAddress: fr }),
    );
    expect(p).toMatchObject({ subtotal: 1200, taxTotal: 200, total: 1200, taxInclusive: true });
    // 999 gross at 20% → 166.5 → 167 (half up)
    const q = priceCart(
      input({ taxInclusive: true, lines: [line(999)], taxRates: [tax()], shippingAddress: fr }),
    );
    expect(q.taxTotal).toBe(167);
  });

  it('prefers the region rate to the country-wide rate, and taxes nothing without a matching rate', () => {
    const rates = [
      tax({ id: 'txr_us', country: 'US', region: null, rate: 500 }),
      tax({ id: 'txr_ca', country: 'US', region: 'CA', rate: 725 }),
    ];
    const ca = priceCart(
      input({ lines: [line(10000)], taxRates: rates, shippingAddress: { country: 'us', region: 'ca' } }),
    );
    expect(ca.taxTotal).toBe(725);
    const ny = priceCart(
      input({ lines: [line(10000)], taxRates: rates, shippingAddress: { country: 'US', region: 'NY' } }),
    );
    expect(ny.taxTotal).toBe(500);
    const de = priceCart(
      input({ lines: [line(10000)], taxRates: rates, shippingAddress: { country: 'DE' } }),
    );
    expect(de.taxTotal).toBe(0);
    const none = priceCart(input({ lines: [line(10000)], taxRates: rates }));
    expect(none.taxTotal).toBe(0);
  });

  it('taxes shipping only when the rate says so (exclusive adds, inclusive extracts)', () => {
    const base = {
      lines: [line(1000)],
      shippingRates: [ship({ amount: 600 })],
      shippingAddress: fr,
      shippingRateId: 'shr_1',
    };
    const no = priceCart(input({ ...base, taxRates: [tax()] }));
    expect(no).toMatchObject({ shippingTotal: 600, taxTotal: 200, total: 1800 });
    const yes = priceCart(input({ ...base, taxRates: [tax({ appliesToShipping: true })] }));
    expect(yes).toMatchObject({ shippingTotal: 600, taxTotal: 320, total: 1920 });
    const incl = priceCart(
      input({ ...base, taxInclusive: true, taxRates: [tax({ appliesToShipping: true })] }),
    );
    expect(incl).toMatchObject({ shippingTotal: 600, taxTotal: 167 + 100, total: 1600 });
  });
});

describe('priceCart: shipping', () => {
  const rates = [
    ship({ id: 'shr_fr', name: 'France', countries: ['FR', 'BE'], amount: 500 }),
    ship({ id: 'shr_fr_express', name: 'Express', countries: ['FR'], amount: 1500 }),
    ship({
      id: 'shr_row',
      name: 'World',
      countries: ['*'],
      kind: 'weight',
      weightBands: [
        { upToGrams: 2000, amount: 2500 },
        { upToGrams: 500, amount: 1200 },
      ],
    }),
  ];

  it('offers the rates naming the country, cheapest first, else the rest-of-world rates', () => {
    const fr = priceCart(input({ shippingRates: rates, shippingAddress: { country: 'fr' } }));
    expect(fr.shippingOptions).toEqual([
      { id: 'shr_fr', name: 'France', amount: 500 },
      { id: 'shr_fr_express', name: 'Express', amount: 1500 },
    ]);
    const be = priceCart(input({ shippingRates: rates, shippingAddress: { country: 'BE' } }));
    expect(be.shippingOptions.map((o) => o.id)).toEqual(['shr_fr']);
    const jp = priceCart(input({ shippingRates: rates, shippingAddress: { country: 'JP' } }));
    expect(jp.shippingOptions.map((o) => o.id)).toEqual(['shr_row']);
    expect(priceCart(input({ shippingRates: rates })).shippingOptions).toEqual([]);
  });

  it('prices weight rates by the first band that holds the total weight, and drops them above the last band', () => {
    const at = (grams: number, qty = 1) =>
      priceCart(
        input({ lines: [line(1000, qty, grams)], shippingRates: rates, shippingAddress: { country: 'JP' } }),
      ).shippingOptions;
    expect(at(0)).toEqual([{ id: 'shr_row', name: 'World', amount: 1200 }]);
    expect(at(500)).toEqual([{ id: 'shr_row', name: 'World', amount: 1200 }]);
    expect(at(501)).toEqual([{ id: 'shr_row', name: 'World', amount: 2500 }]);
    expect(at(250, 8)).toEqual([{ id: 'shr_row', name: 'World', amount: 2500 }]);
    expect(at(2001)).toEqual([]);
    expect(at(1000, 3)).toEqual([]);
  });

  it('makes a rate free at or above its threshold, measured after the discount', () => {
    const r = [ship({ freeAbove: 5000 })];
    const above = priceCart(
      input({
        lines: [line(5000)],
        shippingRates: r,
        shippingAddress: { country: 'FR' },
        shippingRateId: 'shr_1',
      }),
    );
    expect(above).toMatchObject({ shippingTotal: 0, total: 5000 });
    const below = priceCart(
      input({
        lines: [line(4999)],
        shippingRates: r,
        shippingAddress: { country: 'FR' },
        shippingRateId: 'shr_1',
      }),
    );
    expect(below).toMatchObject({ shippingTotal: 500, total: 5499 });
    const discounted = priceCart(
      input({
        lines: [line(5000)],
        coupon: coupon(),
        shippingRates: r,
        shippingAddress: { country: 'FR' },
        shippingRateId: 'shr_1',
      }),
    );
    expect(discounted).toMatchObject({ discountTotal: 500, shippingTotal: 500, total: 5000 });
  });

  it('a free_shipping coupon zeroes every option and discounts no line', () => {
    const p = priceCart(
      input({
        lines: [line(1000)],
        coupon: coupon({ kind: 'free_shipping', value: 0 }),
        shippingRates: rates,
        shippingAddress: { country: 'FR' },
        shippingRateId: 'shr_fr_express',
      }),
    );
    expect(p.shippingOptions.every((o) => o.amount === 0)).toBe(true);
    expect(p).toMatchObject({
      discountTotal: 0,
      shippingTotal: 0,
      total: 1000,
      shipping: { id: 'shr_fr_express', amount: 0 },
    });
  });

  it('refuses a shipping choice that is not offered', () => {
    const attempt =
      (id: string, country = 'FR') =>
      () =>
        priceCart(input({ shippingRates: rates, shippingAddress: { country }, shippingRateId: id }));
    for (const f of [attempt('shr_nope'), attempt('shr_row'), attempt('shr_fr_express', 'BE')]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ code: 'SHIPPING_RATE_NOT_FOUND', details: { param: 'shipping_rate_id' } });
    }
  });
});

describe('priceCart: properties over random carts', () => {
  // A seeded generator keeps failures reproducible.
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('always adds up, in integers, with no negative amount', () => {
    const rand = rng(20300615);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const pick = <T>(xs: T[]) => xs[int(0, xs.length - 1)]!;
    for (let run = 0; run < 1000; run++) {
      const lines = Array.from({ length: int(0, 12) }, (_, i) =>
        line(
          pick([0, 1, int(1, 99), int(100, 99_999), int(100_000, 10_000_000)]),
          int(1, 50),
          int(0, 3000),
          i,
        ),
      );
      const kind = pick(['percent', 'fixed', 'free_shipping'] as const);
      const c =
        rand() < 0.8
          ? coupon({
              kind,
              value: kind === 'percent' ? int(1, 100) : kind === 'fixed' ? int(1, 2_000_000) : 0,
              minSubtotal: pick([0, 0, int(0, 100_000)]),
            })
          : null;
      const inclusive = rand() < 0.5;
      const rates: TaxRate[] = [
        tax({ id: 'txr_a', country: 'FR', rate: int(0, 10_000), appliesToShipping: rand() < 0.5 }),
        tax({
          id: 'txr_b',
          country: 'US',
          region: 'CA',
          rate: int(0, 3000),
          appliesToShipping: rand() < 0.5,
        }),
      ];
      const shipRates: ShippingRate[] = [
        ship({
          id: 'shr_a',
          countries: ['FR', 'US'],
          amount: int(0, 5000),
          freeAbove: rand() < 0.5 ? int(0, 200_000) : null,
        }),
        ship({
          id: 'shr_b',
          countries: ['*'],
          kind: 'weight',
          weightBands: [
            { upToGrams: 1000, amount: int(0, 3000) },
            { upToGrams: 50_000, amount: int(3000, 9000) },
          ],
        }),
      ];
      const address = pick([null, { country: 'FR' }, { country: 'US', region: 'CA' }, { country: 'JP' }]);
      const p0 = priceCart(
        input({
          currency: pick(['USD', 'JPY', 'KWD']),
          taxInclusive: inclusive,
          lines,
          coupon: c,
          taxRates: rates,
          shippingRates: shipRates,
          shippingAddress: address,
        }),
      );
      const chosen = p0.shippingOptions.length > 0 ? pick(p0.shippingOptions).id : null;
      const p = priceCart(
        input({
          currency: p0.currency,
          taxInclusive: inclusive,
          lines,
          coupon: c,
          taxRates: rates,
          shippingRates: shipRates,
          shippingAddress: address,
          shippingRateId: chosen,
        }),
      );

      const sum = (f: (l: (typeof p.lines)[number]) => number) => p.lines.reduce((a, l) => a + f(l), 0);
      expect(sum((l) => l.discount)).toBe(p.discountTotal);
      expect(sum((l) => l.subtotal)).toBe(p.subtotal);
      expect(p.discountTotal).toBeLessThanOrEqual(p.subtotal);
      expect(p.total).toBe(p.subtotal - p.discountTotal + p.shippingTotal + (inclusive ? 0 : p.taxTotal));
      expect(sum((l) => l.tax)).toBeLessThanOrEqual(p.taxTotal);
      for (const l of p.lines) {
        expect(l.discount).toBeLessThanOrEqual(l.subtotal);
        expect(l.total).toBe(l.subtotal - l.discount + (inclusive ? 0 : l.tax));
        if (inclusive) expect(l.tax).toBeLessThanOrEqual(l.subtotal - l.discount);
      }
      const amounts = [
        p.subtotal,
        p.discountTotal,
        p.shippingTotal,
        p.taxTotal,
        p.total,
        ...p.lines.flatMap((l) => [l.subtotal, l.discount, l.tax, l.total]),
        ...p.shippingOptions.map((o) => o.amount),
      ];
      for (const a of amounts) {
        expect(Number.isSafeInteger(a)).toBe(true);
        expect(a).toBeGreaterThanOrEqual(0);
      }
      if (c?.kind === 'free_shipping' && p.coupon?.applied) expect(p.shippingTotal).toBe(0);
    }
  });
});
