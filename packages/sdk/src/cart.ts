import { CrowdstartError } from './errors.ts';
import { type ApiRequest, type CallOptions, newKey, type Send } from './http.ts';
import type { StorageLike } from './storage.ts';
import type { Address, Cart, CheckoutResult, Order } from './types.ts';

/** Card details for the payment, or a gateway payment method id (`pm_…`): exactly one of them. */
export type Payment =
  | { card: { number: string; exp_month: number; exp_year: number; cvc: string }; payment_method?: never }
  | { payment_method: string; card?: never };

export interface CheckoutInput extends CallOptions {
  payment: Payment;
  /** The receipt address, when the cart has none. */
  email?: string;
}

/** The codes of a cart token the API will never accept again: the SDK forgets it and starts a new cart. */
const DEAD_TOKEN =
  /^CART_TOKEN_(MALFORMED|INVALID_SIGNATURE|EXPIRED|WRONG_STORE|TOO_LARGE)$|^CART_ALREADY_CHECKED_OUT$/;

export function createCart(deps: {
  send: Send;
  storage: StorageLike;
  storageKey: string;
  customerHeaders: () => Record<string, string | undefined>;
  onCheckedOut?: (r: CheckoutResult) => void;
}) {
  const { send, storage } = deps;
  const tokenKey = `${deps.storageKey}:cart`;
  const token = () => storage.getItem(tokenKey);
  const keep = (cart: Cart) => {
    storage.setItem(tokenKey, cart.token);
    return cart;
  };
  const forget = () => storage.removeItem(tokenKey);

  /** A call on the stored cart; a dead or missing token starts a new cart first (`start`) or gives null. */
  async function onCart(r: Omit<ApiRequest, 'headers'>, start?: () => Promise<Cart>): Promise<Cart> {
    let t = token();
    if (!t) {
      if (start) return start();
      t = keep(await send<Cart>({ method: 'POST', path: '/v1/carts', body: {}, signal: r.signal })).token;
    }
    try {
      return keep(await send<Cart>({ ...r, headers: { 'X-Cart-Token': t } }));
    } catch (e) {
      if (e instanceof CrowdstartError && DEAD_TOKEN.test(e.code)) {
        forget();
        if (start) return start();
      }
      throw e;
    }
  }

  const line = (variantId: string) => `/v1/carts/current/lines/${encodeURIComponent(variantId)}`;
  // An unknown-outcome checkout keeps its key, so pressing "Pay" again cannot pay twice.
  let pending: { body: string; key: string } | null = null;

  const cart = {
    /** The stored cart token, if any. */
    get token(): string | null {
      return token();
    },

    /** The stored cart, re-priced; null when there is none (or its token expired). */
    async get(o: CallOptions = {}): Promise<Cart | null> {
      const t = token();
      if (!t) return null;
      try {
        return keep(
          await send<Cart>({
            method: 'GET',
            path: '/v1/carts/current',
            headers: { 'X-Cart-Token': t },
            ...o,
          }),
        );
      } catch (e) {
        if (e instanceof CrowdstartError && DEAD_TOKEN.test(e.code)) {
          forget();
          return null;
        }
        throw e;
      }
    },

    /** Adds a quantity of a variant (to its line if present); starts a cart when there is none. */
    add(variantId: string, quantity = 1, o: CallOptions = {}): Promise<Cart> {
      return onCart(
        { method: 'POST', path: '/v1/carts/current/lines', body: { variant_id: variantId, quantity }, ...o },
        async () =>
          keep(
            await send<Cart>({
              method: 'POST',
              path: '/v1/carts',
              body: { lines: [{ variant_id: variantId, quantity }] },
              ...o,
            }),
          ),
      );
    },

    /** Sets a line's quantity (0 removes it). */
    update(variantId: string, quantity: number, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'PATCH', path: line(variantId), body: { quantity }, ...o });
    },

    remove(variantId: string, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'DELETE', path: line(variantId), ...o });
    },

    setEmail(email: string | null, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'PUT', path: '/v1/carts/current/email', body: { email }, ...o });
    },

    setShippingAddress(address: Address, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'PUT', path: '/v1/carts/current/shipping-address', body: address, ...o });
    },

    setBillingAddress(address: Address, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'PUT', path: '/v1/carts/current/billing-address', body: address, ...o });
    },

    /** Chooses one of the cart's `shipping_options`. */
    setShippingRate(shippingRateId: string, o: CallOptions = {}): Promise<Cart> {
      return onCart({
        method: 'PUT',
        path: '/v1/carts/current/shipping-rate',
        body: { shipping_rate_id: shippingRateId },
        ...o,
      });
    },

    applyCoupon(code: string, o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'PUT', path: '/v1/carts/current/coupon', body: { code }, ...o });
    },

    removeCoupon(o: CallOptions = {}): Promise<Cart> {
      return onCart({ method: 'DELETE', path: '/v1/carts/current/coupon', ...o });
    },

    /** Forgets the stored cart (its stock holds expire on their own). */
    clear(): void {
      forget();
    },
  };

  const checkout = {
    /**
     * Pays for the stored cart. One Idempotency-Key per attempt, sent again on every retry; an attempt whose
     * outcome is unknown (network failure, 5xx) keeps its key, so calling again with the same input cannot
     * create a second order. On success the cart is forgotten.
     */
    async complete(input: CheckoutInput): Promise<CheckoutResult> {
      const t = token();
      if (!t) throw new CrowdstartError(400, { code: 'CART_EMPTY', message: 'The cart is empty.' });
      const body: Record<string, unknown> = { cart_token: t, payment: input.payment };
      if (input.email) body.email = input.email;
      const text = JSON.stringify(body);
      const key = pending?.body === text ? pending.key : newKey();
      pending = { body: text, key };
      try {
        const result = await send<CheckoutResult>({
          method: 'POST',
          path: '/v1/checkout',
          body,
          idempotencyKey: key,
          headers: deps.customerHeaders(),
          signal: input.signal,
        });
        pending = null;
        forget();
        deps.onCheckedOut?.(result);
        return result;
      } catch (e) {
        // A definite answer (4xx) ends the attempt; the next call is a new attempt with a new key.
        if (
          e instanceof CrowdstartError &&
          e.status >= 400 &&
          e.status < 500 &&
          e.code !== 'IDEMPOTENCY_KEY_IN_USE'
        ) {
          pending = null;
        }
        // A cart that was already checked out (another tab) or whose token died cannot be paid again.
        if (e instanceof CrowdstartError && DEAD_TOKEN.test(e.code)) forget();
        throw e;
      }
    },
  };

  return { cart, checkout };
}

/** An order as its buyer sees it, with the `order_secret` the checkout answered. */
export function createOrders(send: Send) {
  return {
    getPublic(id: string, secret: string, o: CallOptions = {}): Promise<Order> {
      return send<Order>({
        method: 'GET',
        path: `/v1/orders/${encodeURIComponent(id)}/public`,
        headers: { 'X-Order-Secret': secret },
        ...o,
      });
    },
  };
}
