import { AppError } from '../../shared/app-error.ts';
import { inTransaction } from '../../shared/db.ts';
import { writeTogether } from '../../shared/write-together.ts';
import {
  AUTHORIZATION_HOLD_MS,
  newSecret,
  type OrdersContext,
  type PlaceOrderInput,
  sha256,
} from './orders.context.ts';
import * as repo from './orders.repo.ts';
import type { OrderLineRow, OrderRow } from './orders.tables.ts';

/** Checkout's order transaction, and the secret a resumed checkout hands out again. */
export function createPlacement(ctx: OrdersContext) {
  const { db, ids, clock, inventory, coupons, deps, recordWrites } = ctx;

  /**
   * One transaction: the pending order, its line snapshot, the hard stock reservations, the coupon
   * redemption, the audit event and the event `order.created`. Either all of it or none.
   * When the store already has an order for this checkout key, nothing is written and that order is returned.
   */
  async function placeOrder(
    input: PlaceOrderInput,
  ): Promise<
    | { created: true; order: OrderRow; secret: string; lines: OrderLineRow[] }
    | { created: false; order: OrderRow }
  > {
    const now = clock.now();
    const store = await deps.stores.getStoreCached(input.storeId);
    const holdSeconds = store.settings.hold_ttl_seconds ?? deps.config.HOLD_TTL_SECONDS;
    const reservedUntil = new Date(now.getTime() + holdSeconds * 1000);
    // The reservation outlives the payment deadline: the order decides when stock goes back, not a timer.
    const reservationExpiresAt = new Date(
      reservedUntil.getTime() + (input.captureMode === 'manual' ? AUTHORIZATION_HOLD_MS : 86_400_000),
    );
    const secret = newSecret();
    const id = ids('order');
    const lines: OrderLineRow[] = input.lines.map((l, position) => ({
      orderId: id,
      position,
      storeId: input.storeId,
      variantId: l.variantId,
      productId: l.productId,
      sku: l.sku,
      productTitle: l.productTitle,
      title: l.title,
      unitPrice: l.unitPrice,
      qty: l.qty,
      subtotal: l.subtotal,
      discount: l.discount,
      tax: l.tax,
      total: l.total,
    }));
    const result = await inTransaction(db, async (tx) => {
      const o = await repo.insertOrderOnce(tx, {
        id,
        storeId: input.storeId,
        livemode: input.livemode,
        status: 'pending',
        paymentStatus: 'pending',
        currency: input.currency,
        email: input.email,
        shippingAddress: input.shippingAddress,
        billingAddress: input.billingAddress,
        shipping: input.shipping,
        ...input.totals,
        couponId: input.coupon?.id ?? null,
        couponCode: input.coupon?.code ?? null,
        cartId: input.cartId,
        customerId: input.customerId ?? null,
        checkoutKey: input.checkoutKey,
        checkoutFingerprint: input.checkoutFingerprint,
        secretHash: sha256(secret),
        gateway: input.gateway,
        captureMode: input.captureMode,
        reservedUntil,
        reconcileAfter: new Date(now.getTime() + deps.config.RECONCILE_AFTER_SECONDS * 1000),
        createdAt: now,
        updatedAt: now,
      });
      if (!o) return null;
      // The lines, the audit event, the `order.created` event and the coupon's redemption in one round trip. The
      // coupon's row lock is taken there and held to the commit, like the stock rows' (its count is re-checked after it).
      const redemption =
        input.coupon &&
        coupons.couponRedemptionWrites({ storeId: input.storeId, couponId: input.coupon.id, orderId: id });
      const written = await writeTogether(
        tx,
        [
          repo.insertLines(tx, lines),
          ...recordWrites(
            tx,
            o,
            {
              type: 'order.created',
              to: 'pending',
              data: { cart_id: input.cartId, lines: input.lines.length },
              lines,
            },
            now,
          ),
          ...(redemption ? redemption.writes : []),
        ],
        redemption ? redemption.taken : undefined,
      );
      if (input.coupon && Number(written?.coupon_taken ?? 0) === 0) {
        // Used up (or deactivated) since the cart was priced: nothing of this order is kept.
        throw await coupons.couponRefusal(tx, { storeId: input.storeId, couponId: input.coupon.id });
      }
      // Last: the hot level rows stay locked from here to the commit only (the reservation, then the catalog's
      // stock-change record, which must read the stock after it: one round trip more than the reservation alone).
      await inventory.reserveForOrder(tx, {
        storeId: input.storeId,
        orderId: id,
        cartId: input.cartId,
        lines: input.lines.map((l) => ({
          variantId: l.variantId,
          productId: l.productId,
          qty: l.qty,
          trackInventory: l.trackInventory,
          allowBackorder: l.allowBackorder,
        })),
        expiresAt: reservationExpiresAt,
        now,
      });
      return o;
    });
    if (result) return { created: true, order: result, secret, lines };
    // A concurrent request with the same key won the insert: resume its order.
    const existing = await repo.findOrderByCheckoutKey(db, input.storeId, input.livemode, input.checkoutKey);
    if (existing) return { created: false, order: existing };
    // Otherwise the cart already has a live order (another key, another click): one cart, one order.
    const ofCart = input.cartId ? await repo.findLiveOrderOfCart(db, input.storeId, input.cartId) : undefined;
    if (ofCart) {
      throw new AppError(
        'CART_ALREADY_CHECKED_OUT',
        `This cart was already checked out as order ${ofCart.id}; nothing was charged.`,
        { param: 'cart_token', extra: { order_id: ofCart.id } },
      );
    }
    // The conflicting order was cancelled between the insert and the look-up: the shopper may try again.
    throw new AppError('VERSION_CONFLICT', 'The cart changed meanwhile; retry the checkout.', {
      param: 'cart_token',
    });
  }

  /** Issues a new order secret (the earlier one was never delivered: the request that made it did not complete). */
  async function rotateSecret(o: OrderRow): Promise<string> {
    const secret = newSecret();
    await repo.setSecretHash(db, o.storeId, o.id, sha256(secret));
    return secret;
  }

  return { placeOrder, rotateSecret };
}
