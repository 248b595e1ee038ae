import { createHash } from 'node:crypto';
import { AppError, isAppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { CartService } from '../cart/index.ts';
import {
  callGateway,
  type GatewayCall,
  gatewayKeys,
  type OrderLineRow,
  type OrderRow,
  type OrdersService,
} from '../orders/index.ts';
import {
  assertPaymentFitsMode,
  type GatewayChoice,
  type GatewayResult,
  GatewayTimeoutError,
  gatewayForMode,
  type PaymentGateway,
  type PaymentInput,
} from '../payments/index.ts';
import type { PricingContext } from '../pricing/index.ts';
import type { StoreSettings } from '../stores/index.ts';
import { checkoutProblem, couponRefusal } from './checkout.rules.ts';

export interface CheckoutInput {
  storeId: string;
  /** The key's mode: the order, its payment and its events carry it; live never pays on the test gateway. */
  livemode: boolean;
  idempotencyKey: string;
  /** The Idempotency-Key had never been used in its scope (the middleware just created its record). */
  idempotencyKeyNew?: boolean;
  cartToken: string;
  payment: PaymentInput;
  email?: string;
  /** The signed-in customer (a verified `Customer-Token`), linked to the order. */
  customerId?: string | null;
}

/** 201: paid (or authorized for manual capture). 202: accepted, the payment outcome is not known yet. */
export interface CheckoutOutcome {
  status: 201 | 202;
  order: OrderRow;
  secret: string;
  /** The order's lines when this request wrote them (no need to read them back). */
  lines?: OrderLineRow[];
}

export interface CheckoutDeps {
  db: Executor;
  clock: Clock;
  logger: Logger;
  carts: Pick<CartService, 'readToken' | 'reprice'>;
  loadPricingContext: (
    db: Executor,
    args: { storeId: string; couponCode: string | null },
  ) => Promise<PricingContext>;
  orders: OrdersService;
  gateways: { forMode(settings: StoreSettings, choice: GatewayChoice): PaymentGateway };
  stores: { getStoreCached(id: string): Promise<{ currency: string; settings: StoreSettings }> };
  /** Fault injection for recovery tests (CROWDSTART_FAULT): runs after the gateway answered, before the order is settled. */
  afterGatewayAnswer?: () => void;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * What identifies a checkout request for its Idempotency-Key: the cart, the email and the payment
 * instrument (only the card's last four digits and expiry: no card number is ever hashed or stored).
 */
export function checkoutFingerprint(input: Pick<CheckoutInput, 'cartToken' | 'payment' | 'email'>): string {
  const card = input.payment.card;
  return sha256(
    JSON.stringify([
      input.cartToken,
      input.email?.trim().toLowerCase() ?? null,
      input.payment.payment_method ?? null,
      card ? [card.number.replace(/\D/g, '').slice(-4), card.exp_month, card.exp_year] : null,
    ]),
  );
}

export function createCheckoutService(deps: CheckoutDeps) {
  const { db, clock, orders } = deps;

  /** The 402 of a payment that failed, built from what was recorded (so a re-executed request answers the same). */
  async function paymentError(o: OrderRow): Promise<AppError> {
    const p = await orders.paymentOf(o.id);
    if (o.cancelReason === 'payment_declined') {
      return new AppError('PAYMENT_DECLINED', p?.message ?? 'The card was declined.', {
        param: 'payment',
        extra: { decline_code: p?.declineCode ?? 'generic_decline', order_id: o.id },
      });
    }
    return new AppError(
      'PAYMENT_FAILED',
      p?.message ?? 'The payment could not be processed; the order was cancelled.',
      {
        param: 'payment',
        extra: { decline_code: p?.declineCode ?? null, order_id: o.id },
      },
    );
  }

  async function answer(o: OrderRow, secret: string, lines?: OrderLineRow[]): Promise<CheckoutOutcome> {
    if (o.status === 'pending') return { status: 202, order: o, secret, lines };
    if (o.status === 'cancelled') throw await paymentError(o);
    return { status: 201, order: o, secret, lines };
  }

  /**
   * Asks the gateway to authorize (and capture, unless the store captures manually) with a key derived
   * from the order id: a re-executed checkout repeats the same call and the gateway answers the first result.
   */
  async function pay(
    o: OrderRow,
    secret: string,
    payment: PaymentInput,
    lines?: OrderLineRow[],
  ): Promise<CheckoutOutcome> {
    let result: GatewayResult;
    if (o.total === 0) {
      // Nothing to charge (a 100 % coupon): the order is paid as it stands.
      result = {
        status: 'captured',
        reference: null,
        amountAuthorized: 0,
        amountCaptured: 0,
        amountRefunded: 0,
      };
    } else {
      const gateway = await orders.gatewayOf(o);
      let call: GatewayCall<GatewayResult>;
      try {
        call = await callGateway(() =>
          gateway.authorize({
            orderId: o.id,
            amount: o.total,
            currency: o.currency,
            payment,
            capture: o.captureMode !== 'manual',
            idempotencyKey: gatewayKeys.authorize(o.id),
            email: o.email,
          }),
        );
      } catch (e) {
        if (isAppError(e)) {
          // The gateway refused the request itself (bad card data, unsupported method): nothing was charged.
          await orders.settle(
            o,
            {
              status: 'failed',
              reference: null,
              amountAuthorized: 0,
              amountCaptured: 0,
              amountRefunded: 0,
              message: e.message,
            },
            'checkout',
          );
        }
        throw e;
      }
      if (!call.ok) {
        if (call.error instanceof GatewayTimeoutError) {
          // The charge may or may not have happened: the order stays pending with its stock reserved and is
          // settled by the gateway webhook or the reconciliation job. The shopper gets the order to follow.
          deps.logger.warn(
            { orderId: o.id },
            'gateway timed out at checkout; order left pending for reconciliation',
          );
          return { status: 202, order: o, secret, lines };
        }
        // Nothing was charged. The order stays pending: a retry with the same Idempotency-Key resumes it,
        // and without a retry it expires at its reservation deadline, giving the stock back.
        throw new AppError(
          'GATEWAY_UNAVAILABLE',
          'The payment gateway could not be reached; retry with the same Idempotency-Key.',
          {
            headers: { 'Retry-After': '2' },
            extra: { order_id: o.id },
          },
        );
      }
      result = call.value;
    }
    deps.afterGatewayAnswer?.();
    return answer(await orders.settle(o, result, 'checkout', lines && { lines }), secret, lines);
  }

  /** A second execution for the same Idempotency-Key (a crash, or a retry after 5xx): continue that order. */
  async function resume(o: OrderRow, input: CheckoutInput, fingerprint: string): Promise<CheckoutOutcome> {
    if (o.checkoutFingerprint !== fingerprint) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for another checkout.',
        {
          param: 'Idempotency-Key',
        },
      );
    }
    if (o.status === 'cancelled') throw await paymentError(o);
    const secret = await orders.rotateSecret(o);
    if (o.status === 'pending') return pay(o, secret, input.payment);
    return { status: 201, order: o, secret };
  }

  /** Prices the cart again and places its order (or finds the one already placed under this key). */
  async function place(input: CheckoutInput, fingerprint: string) {
    const { storeId, livemode } = input;
    assertPaymentFitsMode(input.payment, livemode);

    const now = clock.now();
    const token = await deps.carts.readToken(input.cartToken, storeId);
    if (token.lines.length === 0)
      throw new AppError('CART_EMPTY', 'The cart has no lines.', { param: 'cart_token' });
    // The coupon is read fresh (its usage counts matter); tax and shipping rates come from the pricing
    // module's short cache, which an admin write drops at once on its own process.
    const context = await deps.loadPricingContext(db, { storeId, couponCode: token.couponCode });
    const { state, priced, items, problems } = await deps.carts.reprice(db, {
      storeId,
      state: token,
      now,
      context,
    });
    const problem = checkoutProblem(problems);
    if (problem) throw problem;
    if (priced.lines.length === 0)
      throw new AppError('CART_EMPTY', 'The cart has no lines.', { param: 'cart_token' });

    const email = (input.email ?? state.email ?? '').trim().toLowerCase();
    if (!email) throw new AppError('EMAIL_REQUIRED', 'Checkout needs an email address.', { param: 'email' });
    if (context.shippingRates.length > 0 && (!state.shippingAddress || !priced.shipping)) {
      throw new AppError(
        'SHIPPING_REQUIRED',
        state.shippingAddress
          ? 'Choose a shipping rate before checking out.'
          : 'Set a shipping address and choose a shipping rate.',
        { param: state.shippingAddress ? 'shipping_rate_id' : 'shipping_address' },
      );
    }
    let coupon: { id: string; code: string } | null = null;
    if (priced.coupon) {
      if (!priced.coupon.applied || !context.coupon) throw couponRefusal(priced.coupon);
      coupon = { id: context.coupon.id, code: context.coupon.code };
    }

    const store = await deps.stores.getStoreCached(storeId);
    const gatewayName = gatewayForMode(store.settings, livemode);
    if (gatewayName === 'stripe' && !livemode && !store.settings.stripe?.test?.secret_key) {
      throw new AppError(
        'GATEWAY_NOT_CONFIGURED',
        'The store uses Stripe in test mode but has no settings.stripe.test.secret_key.',
      );
    }
    const lines = priced.lines.map((l) => {
      const item = items.get(l.variantId);
      if (!item?.purchasable) {
        throw new AppError('VARIANT_UNAVAILABLE', `Variant ${l.variantId} is not for sale.`, {
          param: 'cart_token',
        });
      }
      return {
        variantId: l.variantId,
        productId: item.productId,
        productTitle: item.productTitle,
        sku: l.sku,
        title: l.title,
        unitPrice: l.unitPrice,
        qty: l.qty,
        subtotal: l.subtotal,
        discount: l.discount,
        tax: l.tax,
        total: l.total,
        trackInventory: item.trackInventory,
        allowBackorder: item.allowBackorder,
      };
    });

    return orders.placeOrder({
      storeId,
      livemode,
      checkoutKey: input.idempotencyKey,
      checkoutFingerprint: fingerprint,
      cartId: state.id,
      customerId: input.customerId ?? null,
      email,
      currency: priced.currency,
      shippingAddress: state.shippingAddress as Record<string, unknown> | null,
      billingAddress: (state.billingAddress ?? state.shippingAddress) as Record<string, unknown> | null,
      shipping: priced.shipping,
      totals: {
        subtotal: priced.subtotal,
        discountTotal: priced.discountTotal,
        shippingTotal: priced.shippingTotal,
        taxTotal: priced.taxTotal,
        total: priced.total,
        taxInclusive: priced.taxInclusive,
      },
      coupon,
      gateway: gatewayName,
      captureMode: store.settings.capture === 'manual' ? 'manual' : 'automatic',
      lines,
    });
  }

  return {
    checkoutFingerprint,

    async checkout(input: CheckoutInput): Promise<CheckoutOutcome> {
      const { storeId, livemode } = input;
      const fingerprint = checkoutFingerprint(input);
      const existing = () => orders.findByCheckoutKey({ storeId, livemode }, input.idempotencyKey);
      if (!input.idempotencyKeyNew) {
        const o = await existing();
        if (o) return resume(o, input, fingerprint);
      }
      let placed: Awaited<ReturnType<typeof place>>;
      try {
        placed = await place(input, fingerprint);
      } catch (e) {
        // A key new to the middleware skipped the look-up (there is no order in the common case), yet one can
        // exist: the key's record is dropped after a transient answer so that a retry runs again, or the order was
        // made through another API key of the store. Its cart may no longer price (its coupon's last use, its
        // variant gone): the order is resumed, not refused. (A conflicting insert finds it too, below.)
        if (input.idempotencyKeyNew && isAppError(e)) {
          const o = await existing();
          if (o) return resume(o, input, fingerprint);
        }
        throw e;
      }
      if (!placed.created) return resume(placed.order, input, fingerprint);
      return pay(placed.order, placed.secret, input.payment, placed.lines);
    },
  };
}

export type CheckoutService = ReturnType<typeof createCheckoutService>;
