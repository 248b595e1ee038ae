import { z } from '@hono/zod-openapi';
import { AppError } from '../../shared/app-error.ts';

/** Bounds of a cart (DESIGN §5): they keep every token small and every re-pricing cheap. */
export const MAX_LINES = 100;
export const MAX_QTY = 9_999;
export const MAX_TOKEN_BYTES = 8 * 1024;

export const VARIANT_ID = /^var_[0-9a-z]{26}$/;
export const CART_ID = /^cart_[0-9a-z]{26}$/;
export const STORE_ID = /^store_[0-9a-z]{26}$/;

export const AddressSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    line1: z.string().trim().min(1).max(200).optional(),
    line2: z.string().trim().min(1).max(200).optional(),
    city: z.string().trim().min(1).max(100).optional(),
    region: z.string().trim().min(1).max(100).optional(),
    postal_code: z.string().trim().min(1).max(32).optional(),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
      .transform((s) => s.toUpperCase()),
    phone: z.string().trim().min(1).max(40).optional(),
  })
  .openapi('Address');

export type Address = z.infer<typeof AddressSchema>;

export interface CartLine {
  variantId: string;
  qty: number;
}

/** Everything a cart is: it lives only in the signed token the client holds, never in a table. */
export interface CartState {
  id: string;
  storeId: string;
  currency: string;
  lines: CartLine[];
  couponCode: string | null;
  email: string | null;
  shippingAddress: Address | null;
  billingAddress: Address | null;
  shippingRateId: string | null;
}

/** Something the shopper should know about a cart that re-pricing changed or cannot sell. */
export interface CartProblem {
  code:
    | 'VARIANT_NOT_FOUND'
    | 'VARIANT_UNAVAILABLE'
    | 'COUPON_NOT_FOUND'
    | 'SHIPPING_RATE_NOT_FOUND'
    | 'CURRENCY_MISMATCH';
  message: string;
  variant_id?: string;
}

export function assertQuantity(qty: number, param = 'quantity'): void {
  if (!Number.isInteger(qty) || qty < 1 || qty > MAX_QTY) {
    throw new AppError('VALIDATION_FAILED', `${param}: must be an integer from 1 to ${MAX_QTY}.`, { param });
  }
}

function assertLineCount(lines: CartLine[]): void {
  if (lines.length > MAX_LINES) {
    throw new AppError('CART_TOO_MANY_LINES', `A cart holds at most ${MAX_LINES} lines.`, { param: 'lines' });
  }
}

export const lineQty = (state: CartState, variantId: string): number =>
  state.lines.find((l) => l.variantId === variantId)?.qty ?? 0;

/** Sets a line's quantity (0 removes it), keeping the order lines were first added in. */
export function withLineQty(state: CartState, variantId: string, qty: number): CartState {
  if (qty === 0) return { ...state, lines: state.lines.filter((l) => l.variantId !== variantId) };
  assertQuantity(qty);
  const exists = state.lines.some((l) => l.variantId === variantId);
  const lines = exists
    ? state.lines.map((l) => (l.variantId === variantId ? { variantId, qty } : l))
    : [...state.lines, { variantId, qty }];
  assertLineCount(lines);
  return { ...state, lines };
}

/** Lines as sent when a cart is created: repeated variants add up. */
export function mergeLines(input: Array<{ variant_id: string; quantity: number }>): CartLine[] {
  const lines: CartLine[] = [];
  for (const [i, l] of input.entries()) {
    const existing = lines.find((x) => x.variantId === l.variant_id);
    if (existing) existing.qty += l.quantity;
    else lines.push({ variantId: l.variant_id, qty: l.quantity });
    assertQuantity(existing?.qty ?? l.quantity, `lines.${i}.quantity`);
    assertLineCount(lines);
  }
  return lines;
}

/** A line's name as shoppers read it: the product, then the variant when it says something. */
export function lineTitle(productTitle: string, variantTitle: string): string {
  const v = variantTitle.trim();
  if (!v || v.toLowerCase() === 'default' || v === productTitle) return productTitle;
  return `${productTitle} – ${v}`;
}
