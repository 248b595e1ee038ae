import { AppError } from '../../shared/app-error.ts';
import { allocate, currencyExponent } from '../../shared/money.ts';

export interface PricingLine {
  variantId: string;
  sku: string;
  title: string;
  unitPrice: number;
  qty: number;
  weightGrams: number;
}
export interface Coupon {
  id: string;
  code: string;
  kind: 'percent' | 'fixed' | 'free_shipping';
  /** percent 1..100, or minor units */
  value: number;
  minSubtotal: number;
  startsAt: Date | null;
  endsAt: Date | null;
  usageLimit: number | null;
  usedCount: number;
  active: boolean;
}
export interface TaxRate {
  id: string;
  country: string;
  region: string | null;
  /** basis points, 2000 = 20% */
  rate: number;
  name: string;
  appliesToShipping: boolean;
}
export interface ShippingRate {
  id: string;
  name: string;
  /** ISO 3166-1 alpha-2; ['*'] = rest of world */
  countries: string[];
  kind: 'flat' | 'weight';
  amount: number;
  weightBands: { upToGrams: number; amount: number }[];
  freeAbove: number | null;
}
export interface Address {
  country: string;
  region?: string | null;
  postal_code?: string;
  city?: string;
  line1?: string;
  line2?: string;
  name?: string;
}
export interface PricingInput {
  currency: string;
  taxInclusive: boolean;
  lines: PricingLine[];
  coupon: Coupon | null;
  taxRates: TaxRate[];
  shippingRates: ShippingRate[];
  shippingAddress: Address | null;
  shippingRateId: string | null;
  now: Date;
}
export interface PricedLine extends PricingLine {
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
}
export type CouponProblem = 'not_started' | 'ended' | 'min_subtotal' | 'exhausted' | 'inactive';
export interface PricedCart {
  currency: string;
  lines: PricedLine[];
  subtotal: number;
  discountTotal: number;
  shippingTotal: number;
  taxTotal: number;
  total: number;
  taxInclusive: boolean;
  coupon: { code: string; applied: boolean; reason?: CouponProblem } | null;
  shippingOptions: { id: string; name: string; amount: number }[];
  shipping: { id: string; name: string; amount: number } | null;
}

const BP = 10_000n;

/** round(a × b / d) half up, exactly, for non-negative integers (BigInt: no float drift on large carts). */
function mulDivHalfUp(a: number, b: number, d: bigint): number {
  const num = 2n * BigInt(a) * BigInt(b) + d;
  return Number(num / (2n * d));
}

function assertAmount(x: number, what: string): void {
  if (!Number.isSafeInteger(x) || x < 0)
    throw new Error(`pricing: ${what} must be a non-negative integer, got ${x}`);
}

/** Why a coupon cannot apply to a cart with this subtotal at `now`, or null when it can. */
export function couponProblem(c: Coupon, subtotal: number, now: Date): CouponProblem | null {
  if (!c.active) return 'inactive';
  if (c.startsAt && now.getTime() < c.startsAt.getTime()) return 'not_started';
  if (c.endsAt && now.getTime() >= c.endsAt.getTime()) return 'ended';
  if (c.usageLimit !== null && c.usedCount >= c.usageLimit) return 'exhausted';
  if (subtotal < c.minSubtotal) return 'min_subtotal';
  return null;
}

/** The order-level discount of an applicable coupon: percent rounds half up, fixed never exceeds the subtotal. */
export function couponDiscount(c: Coupon, subtotal: number): number {
  switch (c.kind) {
    case 'percent':
      return Math.min(subtotal, mulDivHalfUp(subtotal, Math.min(100, Math.max(0, c.value)), 100n));
    case 'fixed':
      return Math.min(subtotal, Math.max(0, c.value));
    case 'free_shipping':
      return 0;
  }
}

const upper = (s: string | null | undefined) => (s ? s.trim().toUpperCase() : null);

/** The tax rate of the destination: a rate for its region beats the country-wide rate. */
export function findTaxRate(rates: TaxRate[], address: Address | null): TaxRate | null {
  const country = upper(address?.country);
  if (!country) return null;
  const region = upper(address?.region);
  // Sorted by id so that duplicates (should the table allow them) resolve the same way everywhere.
  const inCountry = rates.filter((r) => upper(r.country) === country).sort((a, b) => (a.id < b.id ? -1 : 1));
  return (
    (region ? inCountry.find((r) => upper(r.region) === region) : undefined) ??
    inCountry.find((r) => r.region === null || r.region === '') ??
    null
  );
}

/** Tax on an amount: added on top (exclusive) or extracted from a gross price (inclusive). */
export function taxOn(amount: number, rateBp: number, inclusive: boolean): number {
  if (amount <= 0 || rateBp <= 0) return 0;
  return inclusive ? mulDivHalfUp(amount, rateBp, BP + BigInt(rateBp)) : mulDivHalfUp(amount, rateBp, BP);
}

/** What one rate costs for this weight, or null when the rate cannot carry it. */
export function shippingAmount(rate: ShippingRate, weightGrams: number): number | null {
  if (rate.kind === 'flat') return rate.amount;
  const band = [...rate.weightBands]
    .sort((a, b) => a.upToGrams - b.upToGrams)
    .find((b) => b.upToGrams >= weightGrams);
  return band ? band.amount : null;
}

/**
 * The rates offered for a destination: rates naming the country beat rest-of-world ('*') rates;
 * weight rates above their last band are not offered; a rate is free at or above its `freeAbove`.
 */
export function shippingOptions(
  rates: ShippingRate[],
  input: {
    address: Address | null;
    weightGrams: number;
    subtotalAfterDiscount: number;
    freeShipping: boolean;
  },
): { id: string; name: string; amount: number }[] {
  const country = upper(input.address?.country);
  if (!country) return [];
  const specific = rates.filter((r) => r.countries.some((c) => upper(c) === country));
  const candidates = specific.length > 0 ? specific : rates.filter((r) => r.countries.includes('*'));
  const out: { id: string; name: string; amount: number }[] = [];
  for (const r of candidates) {
    const base = shippingAmount(r, input.weightGrams);
    if (base === null) continue;
    const free = input.freeShipping || (r.freeAbove !== null && input.subtotalAfterDiscount >= r.freeAbove);
    out.push({ id: r.id, name: r.name, amount: free ? 0 : base });
  }
  return out.sort((a, b) => a.amount - b.amount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Prices a cart from data only. Every amount is an integer in the currency's minor unit, and the
 * totals are sums of the lines (plus shipping), so they always add up.
 */
export function priceCart(input: PricingInput): PricedCart {
  currencyExponent(input.currency); // unknown currencies are a programming error, not a pricing case
  for (const l of input.lines) {
    assertAmount(l.unitPrice, 'unitPrice');
    assertAmount(l.weightGrams, 'weightGrams');
    if (!Number.isSafeInteger(l.qty) || l.qty < 1) throw new Error(`pricing: qty must be a positive integer`);
  }
  const subtotals = input.lines.map((l) => l.unitPrice * l.qty);
  const subtotal = subtotals.reduce((a, b) => a + b, 0);
  assertAmount(subtotal, 'subtotal');

  let couponOut: PricedCart['coupon'] = null;
  let discount = 0;
  let freeShipping = false;
  if (input.coupon) {
    const problem = couponProblem(input.coupon, subtotal, input.now);
    if (problem) {
      couponOut = { code: input.coupon.code, applied: false, reason: problem };
    } else {
      couponOut = { code: input.coupon.code, applied: true };
      discount = couponDiscount(input.coupon, subtotal);
      freeShipping = input.coupon.kind === 'free_shipping';
    }
  }
  const lineDiscounts = allocate(discount, subtotals);

  const rate = findTaxRate(input.taxRates, input.shippingAddress);
  const bp = rate?.rate ?? 0;
  const lines: PricedLine[] = input.lines.map((l, i) => {
    const sub = subtotals[i]!;
    const disc = lineDiscounts[i]!;
    const net = sub - disc;
    const tax = taxOn(net, bp, input.taxInclusive);
    return { ...l, subtotal: sub, discount: disc, tax, total: input.taxInclusive ? net : net + tax };
  });

  const weight = input.lines.reduce((a, l) => a + l.weightGrams * l.qty, 0);
  const options = shippingOptions(input.shippingRates, {
    address: input.shippingAddress,
    weightGrams: weight,
    subtotalAfterDiscount: subtotal - discount,
    freeShipping,
  });
  let shipping: PricedCart['shipping'] = null;
  if (input.shippingRateId !== null) {
    const chosen = options.find((o) => o.id === input.shippingRateId);
    if (!chosen) {
      throw new AppError(
        'SHIPPING_RATE_NOT_FOUND',
        `Shipping rate ${input.shippingRateId} is not offered for this destination and cart.`,
        { param: 'shipping_rate_id' },
      );
    }
    shipping = { ...chosen };
  }
  const shippingTotal = shipping?.amount ?? 0;
  const shippingTax = rate?.appliesToShipping ? taxOn(shippingTotal, bp, input.taxInclusive) : 0;

  const sum = (f: (l: PricedLine) => number) => lines.reduce((a, l) => a + f(l), 0);
  const taxTotal = sum((l) => l.tax) + shippingTax;
  return {
    currency: input.currency,
    lines,
    subtotal,
    discountTotal: sum((l) => l.discount),
    shippingTotal,
    taxTotal,
    total: sum((l) => l.total) + shippingTotal + (input.taxInclusive ? 0 : shippingTax),
    taxInclusive: input.taxInclusive,
    coupon: couponOut,
    shippingOptions: options,
    shipping,
  };
}
