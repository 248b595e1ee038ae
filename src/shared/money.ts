import { z } from 'zod';

/**
 * Money is an integer amount in the currency's minor unit plus an ISO 4217 code.
 * Rounding and allocation live here and nowhere else.
 */
export const CURRENCY_EXPONENTS: Record<string, number> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  MXN: 2,
  BRL: 2,
  INR: 2,
  CNY: 2,
  HKD: 2,
  SGD: 2,
  ZAR: 2,
  TRY: 2,
  ILS: 2,
  AED: 2,
  SAR: 2,
  JPY: 0,
  KRW: 0,
  CLP: 0,
  VND: 0,
  ISK: 0,
  UGX: 0,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

export const CURRENCIES = Object.keys(CURRENCY_EXPONENTS) as [string, ...string[]];

/**
 * The one rule for a currency code a store may use: an ISO 4217 code, upper case, that we know the minor
 * unit of. The API's request schemas and the CLI both use it; pricing needs the exponent of every store's
 * currency, so a store in any other code could never price a cart.
 */
export const currencySchema = z.enum(CURRENCIES, {
  error: () => `must be an upper-case ISO 4217 code we support: ${CURRENCIES.join(', ')}`,
});

export function currencyExponent(currency: string): number {
  const e = CURRENCY_EXPONENTS[currency];
  if (e === undefined) throw new Error(`Unknown currency ${currency}`);
  return e;
}

/** Formats minor units for humans, e.g. 1999 USD → "19.99", 500 JPY → "500", 1234 KWD → "1.234". */
export function formatMinor(amount: number, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === 0) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const unit = 10 ** exp;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(exp, '0')}`;
}

/** Rounds half away from zero to an integer (for percentages of minor units). */
export function roundHalfUp(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Splits `total` across `weights` in proportion, with the largest-remainder method:
 * the parts are integers, sum exactly to `total`, and no part moves by more than one unit from its share.
 */
export function allocate(total: number, weights: number[]): number[] {
  if (!Number.isInteger(total)) throw new Error('allocate: total must be an integer');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) {
    const out = weights.map(() => 0);
    out[0] = total;
    return out;
  }
  const sign = total < 0 ? -1 : 1;
  const abs = Math.abs(total);
  const exact = weights.map((w) => (abs * w) / sum);
  const floors = exact.map(Math.floor);
  let left = abs - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return floors.map((x) => x * sign);
}

/**
 * Reads a decimal amount written for humans ("19.99", "20", "1,234.50" is refused) into minor units of the
 * currency, exactly (no floating point): null when it is not a plain non-negative decimal with at most the
 * currency's digits after the point.
 */
export function parseMinor(text: string, currency: string): number | null {
  const exp = currencyExponent(currency);
  const m = /^(\d{1,15})(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return null;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exp) return null;
  const minor = Number(m[1]) * 10 ** exp + Number(fraction.padEnd(exp, '0') || '0');
  return Number.isSafeInteger(minor) ? minor : null;
}
