import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, type Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { type Write, writeTogether } from '../../shared/write-together.ts';
import {
  type GatewayChoice,
  type GatewayResult,
  GatewayTimeoutError,
  GatewayUnavailableError,
  type PaymentGateway,
} from '../payments/index.ts';
import type { StoreSettings } from '../stores/index.ts';
import * as repo from './orders.repo.ts';
import {
  assertPaymentTransition,
  assertTransition,
  type CancelReason,
  eventForTransition,
  gatewayKeys,
  paymentStatusAfterRefund,
  reconcileBackoffMs,
  refundable,
  settlementFor,
} from './orders.rules.ts';
import {
  type OrderAddress,
  type OrderLineRow,
  type OrderRow,
  type OrderShipping,
  type OrderStatus,
  order as orderTable,
  type PaymentRow,
  type RefundRow,
} from './orders.tables.ts';

/** The inventory operations orders need (the inventory module's exports fit this shape). */
export interface OrdersInventory {
  reserveForOrder(
    tx: Tx,
    input: {
      storeId: string;
      orderId: string;
      cartId: string | null;
      lines: Array<{
        variantId: string;
        productId: string | null;
        qty: number;
        trackInventory: boolean;
        allowBackorder: boolean;
      }>;
      expiresAt: Date;
      now: Date;
    },
  ): Promise<unknown>;
  commitOrder(tx: Tx, input: { orderId: string; storeId?: string; known?: KnownLines }): Promise<unknown>;
  releaseOrder(tx: Tx, input: { orderId: string; reason: 'release' | 'cancel' | 'expire' }): Promise<unknown>;
  restockOrder(tx: Tx, input: { orderId: string }): Promise<unknown>;
  listExpiredReservations(
    db: Executor,
    now: Date,
    limit: number,
  ): Promise<Array<{ orderId: string; storeId: string }>>;
}

/** The order's lines as the caller already has them (a settlement then reads nothing it knows). */
export interface KnownLines {
  lines: ReadonlyArray<{ variantId: string; productId: string | null }>;
}

/** The coupon operations orders need (the pricing module's exports fit this shape). */
export interface OrdersCoupons {
  redeemCoupon(tx: Tx, input: { storeId: string; couponId: string; orderId: string }): Promise<unknown>;
  releaseCouponRedemption(tx: Tx, input: { couponId: string; orderId: string }): Promise<unknown>;
}

export interface OrdersDeps {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: { RECONCILE_AFTER_SECONDS: number; HOLD_TTL_SECONDS: number };
  inventory: OrdersInventory;
  coupons: OrdersCoupons;
  gateways: { forMode(settings: StoreSettings, choice: GatewayChoice): PaymentGateway };
  stores: { getStoreCached(id: string): Promise<{ settings: StoreSettings }> };
}

export interface NewOrderLine {
  variantId: string;
  productId: string | null;
  productTitle: string;
  sku: string;
  title: string;
  unitPrice: number;
  qty: number;
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  trackInventory: boolean;
  allowBackorder: boolean;
}

export interface PlaceOrderInput {
  storeId: string;
  /** From the key that checks out: a test order never reaches a live gateway and the other way round. */
  livemode: boolean;
  checkoutKey: string;
  checkoutFingerprint: string;
  cartId: string | null;
  email: string;
  currency: string;
  shippingAddress: OrderAddress | null;
  billingAddress: OrderAddress | null;
  shipping: OrderShipping | null;
  totals: {
    subtotal: number;
    discountTotal: number;
    shippingTotal: number;
    taxTotal: number;
    total: number;
    taxInclusive: boolean;
  };
  coupon: { id: string; code: string } | null;
  gateway: 'test' | 'stripe';
  captureMode: 'automatic' | 'manual';
  lines: NewOrderLine[];
}

/** What a key may see: its store, in its mode. */
export interface OrderScope {
  storeId: string;
  livemode: boolean;
}

export type SettleSource = 'checkout' | 'webhook' | 'reconcile' | 'admin';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => `osec_${randomBytes(24).toString('base64url')}`;
const isTransport = (e: unknown) => e instanceof GatewayTimeoutError || e instanceof GatewayUnavailableError;

/** Authorize-only payments keep their stock reserved this long (a card authorization's usual life). */
const AUTHORIZATION_HOLD_MS = 7 * 86_400_000;
/** How long a claimed order is left to the worker that claimed it. */
const RECONCILE_LEASE_MS = 60_000;
/** A refund left pending this long is retried (same gateway idempotency key, so never twice). */
const STALE_REFUND_MS = 30_000;

function notFound(id: string): AppError {
  return new AppError('ORDER_NOT_FOUND', `No order ${id} in this store.`, { param: 'id' });
}

function gatewayUnavailable(e: unknown, orderId: string): AppError {
  return new AppError(
    'GATEWAY_UNAVAILABLE',
    e instanceof GatewayTimeoutError
      ? 'The payment gateway did not answer in time; retry with the same Idempotency-Key.'
      : 'The payment gateway could not be reached; retry with the same Idempotency-Key.',
    { extra: { order_id: orderId } },
  );
}

export function createOrdersService(deps: OrdersDeps) {
  const { db, ids, clock, logger, inventory, coupons } = deps;

  async function gatewayOf(o: Pick<OrderRow, 'storeId' | 'gateway' | 'livemode'>): Promise<PaymentGateway> {
    const s = await deps.stores.getStoreCached(o.storeId);
    // An order stays with the gateway and the mode it was paid through, even if the store switched since.
    return deps.gateways.forMode(s.settings, {
      gateway: o.gateway as 'test' | 'stripe',
      livemode: o.livemode,
    });
  }

  /** The audit row and, for transitions and money movements, the outbox row, as writes for the caller's transaction. */
  function recordWrites(
    tx: Tx,
    o: OrderRow,
    e: {
      type: string;
      from?: OrderStatus | null;
      to?: OrderStatus | null;
      data?: Record<string, unknown>;
      publish?: boolean;
    },
    now: Date,
  ): Write[] {
    const data = e.data ?? {};
    const event = repo.appendEvent(tx, {
      id: ids('orderEvent'),
      storeId: o.storeId,
      orderId: o.id,
      type: e.type,
      fromStatus: e.from ?? null,
      toStatus: e.to ?? null,
      data,
      createdAt: now,
    });
    if (e.publish === false) return [event];
    return [
      event,
      repo.appendOutbox(tx, {
        id: ids('outbox'),
        storeId: o.storeId,
        livemode: o.livemode,
        type: e.type,
        payload: {
          order_id: o.id,
          status: o.status,
          payment_status: o.paymentStatus,
          fulfillment_status: o.fulfillmentStatus,
          total: o.total,
          currency: o.currency,
          email: o.email,
          version: o.version,
          ...data,
        },
        createdAt: now,
      }),
    ];
  }

  /** The audit row and, for transitions and money movements, the outbox row: always in the caller's transaction. */
  async function record(
    tx: Tx,
    o: OrderRow,
    e: Parameters<typeof recordWrites>[2],
    now: Date,
  ): Promise<void> {
    await writeTogether(tx, recordWrites(tx, o, e, now));
  }

  async function mustFind(storeId: string, id: string, executor: Executor = db): Promise<OrderRow> {
    const o = await repo.findOrder(executor, storeId, id);
    if (!o) throw notFound(id);
    return o;
  }

  /** An order as a key sees it: an order of the other mode does not exist for it. */
  async function mustFindInMode(scope: OrderScope, id: string): Promise<OrderRow> {
    const o = await repo.findOrder(db, scope.storeId, id, scope.livemode);
    if (!o) throw notFound(id);
    return o;
  }

  // ——— checkout: the order transaction ———

  /**
   * One transaction: the pending order, its line snapshot, the hard stock reservations, the coupon
   * redemption, the audit event and the outbox `order.created`. Either all of it or none.
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
      // The lines, the audit event and the outbox row in one round trip.
      await writeTogether(tx, [
        repo.insertLines(tx, lines),
        ...recordWrites(
          tx,
          o,
          {
            type: 'order.created',
            to: 'pending',
            data: { cart_id: input.cartId, lines: input.lines.length },
          },
          now,
        ),
      ]);
      if (input.coupon) {
        await coupons.redeemCoupon(tx, { storeId: input.storeId, couponId: input.coupon.id, orderId: id });
      }
      // Last: the hot level rows stay locked from here to the commit only.
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

  // ——— settlement: checkout, webhooks and reconciliation all come through here ———

  function paymentRow(o: OrderRow, result: GatewayResult, status: PaymentRow['status'], now: Date) {
    return {
      id: ids('payment'),
      storeId: o.storeId,
      orderId: o.id,
      livemode: o.livemode,
      gateway: o.gateway,
      reference: result.reference,
      currency: o.currency,
      status,
      amountAuthorized: result.amountAuthorized,
      amountCaptured: result.amountCaptured,
      amountRefunded: 0,
      declineCode: result.declineCode ?? null,
      message: result.message ?? null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * pending → paid as one statement chain: the conditional transition, then the payment, audit and outbox rows
   * together, then the stock (committed only when captured; the level rows are locked last).
   */
  async function markPaid(
    o: OrderRow,
    result: GatewayResult,
    captured: boolean,
    source: SettleSource,
    now: Date,
    known?: KnownLines,
  ) {
    return inTransaction(db, async (tx) => {
      const paymentStatus = captured ? 'paid' : 'authorized';
      const updated = await repo.transitionOrder(tx, {
        storeId: o.storeId,
        id: o.id,
        from: 'pending',
        to: 'paid',
        set: { paymentStatus, paidAt: now },
        now,
      });
      if (!updated) return undefined;
      await writeTogether(tx, [
        repo.upsertPaymentWrite(tx, paymentRow(o, result, captured ? 'captured' : 'authorized', now)),
        ...recordWrites(
          tx,
          updated,
          {
            type: eventForTransition('pending', 'paid'),
            from: 'pending',
            to: 'paid',
            data: {
              source,
              reference: result.reference,
              amount_authorized: result.amountAuthorized,
              amount_captured: result.amountCaptured,
            },
          },
          now,
        ),
      ]);
      if (captured) await inventory.commitOrder(tx, { orderId: o.id, storeId: o.storeId, known });
      return updated;
    });
  }

  async function cancelPending(
    o: OrderRow,
    reason: CancelReason,
    result: GatewayResult | null,
    source: SettleSource,
    now: Date,
  ): Promise<OrderRow | undefined> {
    return inTransaction(db, async (tx) => {
      const updated = await repo.transitionOrder(tx, {
        storeId: o.storeId,
        id: o.id,
        from: 'pending',
        to: 'cancelled',
        set: { paymentStatus: 'failed', cancelledAt: now, cancelReason: reason },
        now,
      });
      if (!updated) return undefined;
      if (result && result.status !== 'not_found') {
        const status =
          result.status === 'declined' ? 'declined' : result.status === 'voided' ? 'voided' : 'failed';
        await repo.upsertPayment(tx, paymentRow(o, result, status, now));
      }
      await inventory.releaseOrder(tx, {
        orderId: o.id,
        reason: reason === 'expired' ? 'expire' : reason === 'requested' ? 'cancel' : 'release',
      });
      if (o.couponId) await coupons.releaseCouponRedemption(tx, { couponId: o.couponId, orderId: o.id });
      await record(
        tx,
        updated,
        {
          type: eventForTransition('pending', 'cancelled', reason),
          from: 'pending',
          to: 'cancelled',
          data: {
            source,
            reason,
            decline_code: result?.declineCode ?? null,
            message: result?.message ?? null,
          },
        },
        now,
      );
      return updated;
    });
  }

  /**
   * Applies what the gateway says to a pending order, once: every write is conditional on the order
   * still being `pending`, so checkout, a webhook and the reconciliation job racing each other make
   * one transition between them. Answers the order as it is afterwards.
   */
  async function settle(
    o: OrderRow,
    result: GatewayResult,
    source: SettleSource,
    known?: KnownLines,
  ): Promise<OrderRow> {
    const now = clock.now();
    if (o.status === 'pending') {
      const decision = settlementFor(result.status, { now, reservedUntil: o.reservedUntil });
      let moved: OrderRow | undefined;
      if (decision.kind === 'paid') moved = await markPaid(o, result, decision.captured, source, now, known);
      else if (decision.kind === 'failed')
        moved = await cancelPending(o, decision.reason, result, source, now);
      else if (decision.kind === 'expire') moved = await cancelPending(o, 'expired', result, source, now);
      if (moved) return moved;
    }
    const current = await mustFind(o.storeId, o.id);
    if (current.status === 'cancelled' && (result.status === 'authorized' || result.status === 'captured')) {
      await reverseLatePayment(current, result);
      return mustFind(o.storeId, o.id);
    }
    return current;
  }

  /**
   * Money that arrived for an order already cancelled (the gateway answered after the deadline, or a
   * cancel raced the charge): give it back. Idempotent through the gateway keys and the refund key.
   */
  async function reverseLatePayment(o: OrderRow, result: GatewayResult): Promise<void> {
    if (!result.reference) return;
    const now = clock.now();
    const gateway = await gatewayOf(o);
    if (result.status === 'authorized') {
      const voided = await gateway.void({
        reference: result.reference,
        idempotencyKey: gatewayKeys.void(o.id),
      });
      await inTransaction(db, async (tx) => {
        const before = await repo.lockPayment(tx, o.id);
        if (before?.status === 'voided') return;
        await repo.upsertPayment(
          tx,
          paymentRow(o, voided, voided.status === 'voided' ? 'voided' : 'authorized', now),
        );
        await repo.updateOrderWhere(tx, {
          storeId: o.storeId,
          id: o.id,
          status: 'cancelled',
          set: { paymentStatus: voided.status === 'voided' ? 'voided' : 'authorized' },
          now,
        });
        await record(
          tx,
          o,
          { type: 'payment.voided', data: { reference: result.reference, late: true }, publish: false },
          now,
        );
      });
      return;
    }
    const refundRow = await inTransaction(db, async (tx) => {
      // The order row lock serialises two workers reversing the same payment (the payment row may not exist yet).
      await repo.lockOrder(tx, o.storeId, o.id);
      const p = await repo.lockPayment(tx, o.id);
      if (p?.status !== 'captured') {
        await repo.upsertPayment(tx, paymentRow(o, result, 'captured', now));
      }
      const existing = await repo.findRefundByKey(tx, o.id, 'late_payment');
      if (existing) return existing;
      const pay = (await repo.lockPayment(tx, o.id))!;
      const amount = refundable(pay, await repo.pendingRefundTotal(tx, o.id));
      if (amount <= 0) return undefined;
      await repo.updateOrderWhere(tx, {
        storeId: o.storeId,
        id: o.id,
        status: 'cancelled',
        set: { paymentStatus: 'paid' },
        now,
      });
      const r = await repo.insertRefund(tx, {
        id: ids('refund'),
        storeId: o.storeId,
        orderId: o.id,
        paymentId: pay.id,
        livemode: o.livemode,
        amount,
        reason: 'late_payment',
        idempotencyKey: 'late_payment',
        createdAt: now,
        updatedAt: now,
      });
      await record(
        tx,
        o,
        { type: 'refund.created', data: { refund_id: r.id, amount, late: true }, publish: false },
        now,
      );
      return r;
    });
    if (refundRow?.status === 'pending')
      await executeRefund(refundRow).catch((err) => {
        logger.warn(
          { err, orderId: o.id },
          'late payment refund not done yet; the reconciliation job retries it',
        );
      });
  }

  /** Asks the gateway about one order and settles it. Transport problems leave it for the next attempt. */
  async function reconcileOne(o: OrderRow, source: SettleSource): Promise<OrderRow> {
    const gateway = await gatewayOf(o);
    const p = await repo.paymentOf(db, o.id);
    let result: GatewayResult;
    try {
      result = await gateway.retrieve({ orderId: o.id, reference: p?.reference ?? null });
    } catch (e) {
      if (!isTransport(e)) throw e;
      await repo.scheduleReconcile(
        db,
        o.id,
        new Date(clock.now().getTime() + reconcileBackoffMs(o.reconcileAttempts)),
      );
      return o;
    }
    const after = await settle(o, result, source);
    if (after.status === 'pending') {
      await repo.scheduleReconcile(
        db,
        o.id,
        new Date(clock.now().getTime() + reconcileBackoffMs(o.reconcileAttempts)),
      );
    }
    return after;
  }

  // ——— refunds ———

  /** Sends a pending refund to the gateway and records the outcome exactly once. */
  async function executeRefund(r: RefundRow): Promise<RefundRow> {
    const o = await mustFind(r.storeId, r.orderId);
    const p = await repo.paymentOf(db, r.orderId);
    if (!p?.reference)
      throw new AppError('REFUND_EXCEEDS_CAPTURED', 'The order has no captured payment to refund.');
    const gateway = await gatewayOf(o);
    let outcome: Awaited<ReturnType<PaymentGateway['refund']>>;
    try {
      outcome = await gateway.refund({
        reference: p.reference,
        amount: r.amount,
        idempotencyKey: gatewayKeys.refund(r.orderId, r.id),
      });
    } catch (e) {
      if (isTransport(e)) throw gatewayUnavailable(e, r.orderId);
      throw e;
    }
    const now = clock.now();
    return inTransaction(db, async (tx) => {
      const finished = await repo.finishRefund(tx, {
        id: r.id,
        status: outcome.status,
        gatewayReference: outcome.reference,
        now,
      });
      if (!finished) return (await repo.refundsOf(tx, r.orderId)).find((x) => x.id === r.id)!;
      if (outcome.status === 'failed') {
        await record(
          tx,
          o,
          { type: 'refund.failed', data: { refund_id: r.id, amount: r.amount }, publish: false },
          now,
        );
        return finished;
      }
      const pay = await repo.addRefunded(tx, r.orderId, r.amount, now);
      const paymentStatus = paymentStatusAfterRefund(pay!.amountCaptured, pay!.amountRefunded);
      const updated = await repo.setPaymentStatus(tx, { id: r.orderId, to: paymentStatus, now });
      if (!updated) {
        // Rolls the refund's bookkeeping back; the refund stays pending and is looked at again.
        const current = await mustFind(o.storeId, o.id, tx);
        assertPaymentTransition(current.paymentStatus, paymentStatus);
        throw new AppError('VERSION_CONFLICT', 'The order changed meanwhile; the refund is retried.');
      }
      await record(
        tx,
        updated,
        {
          type: 'order.refunded',
          data: { refund_id: r.id, amount: r.amount, amount_refunded: pay!.amountRefunded, reason: r.reason },
        },
        now,
      );
      return finished;
    });
  }

  async function createRefund(
    o: OrderRow,
    input: { amount: number; reason: string | null; key: string },
  ): Promise<RefundRow> {
    const now = clock.now();
    return inTransaction(db, async (tx) => {
      // The payment row lock queues concurrent refunds of one order: their sum can never pass the capture.
      const p = await repo.lockPayment(tx, o.id);
      const existing = await repo.findRefundByKey(tx, o.id, input.key);
      if (existing) return existing;
      const available = p ? refundable(p, await repo.pendingRefundTotal(tx, o.id)) : 0;
      if (!p || input.amount > available) {
        throw new AppError(
          'REFUND_EXCEEDS_CAPTURED',
          `At most ${available} can still be refunded on this order.`,
          { param: 'amount', extra: { refundable: available } },
        );
      }
      const r = await repo.insertRefund(tx, {
        id: ids('refund'),
        storeId: o.storeId,
        orderId: o.id,
        paymentId: p.id,
        livemode: o.livemode,
        amount: input.amount,
        reason: input.reason,
        idempotencyKey: input.key,
        createdAt: now,
        updatedAt: now,
      });
      await record(
        tx,
        o,
        { type: 'refund.created', data: { refund_id: r.id, amount: r.amount }, publish: false },
        now,
      );
      return r;
    });
  }

  // ——— admin: capture, fulfil, cancel, complete ———

  async function captureAuthorized(o: OrderRow): Promise<OrderRow> {
    if (o.paymentStatus !== 'authorized') return o;
    const p = await repo.paymentOf(db, o.id);
    if (!p?.reference)
      throw new AppError('PAYMENT_FAILED', 'The order has no authorized payment to capture.');
    const gateway = await gatewayOf(o);
    let result: GatewayResult;
    try {
      result = await gateway.capture({
        reference: p.reference,
        amount: o.total,
        idempotencyKey: gatewayKeys.capture(o.id),
      });
    } catch (e) {
      if (isTransport(e)) throw gatewayUnavailable(e, o.id);
      throw e;
    }
    if (result.status !== 'captured') {
      throw new AppError('PAYMENT_FAILED', `The capture was refused by the gateway (${result.status}).`, {
        extra: { decline_code: result.declineCode ?? null, order_id: o.id },
      });
    }
    const now = clock.now();
    await inTransaction(db, async (tx) => {
      const updated = await repo.updateOrderWhere(tx, {
        storeId: o.storeId,
        id: o.id,
        status: 'paid',
        extra: eq(orderTable.paymentStatus, 'authorized'),
        set: { paymentStatus: 'paid' },
        now,
      });
      if (!updated) return;
      await repo.updatePayment(tx, o.id, {
        status: 'captured',
        amountCaptured: result.amountCaptured,
        reference: result.reference ?? p.reference,
        updatedAt: now,
      });
      await inventory.commitOrder(tx, { orderId: o.id });
      await record(
        tx,
        updated,
        {
          type: 'order.payment_captured',
          data: { amount_captured: result.amountCaptured, reference: p.reference },
        },
        now,
      );
    });
    return mustFind(o.storeId, o.id);
  }

  async function transitionOrThrow(tx: Tx, o: OrderRow, to: OrderStatus, set: repo.OrderPatch, now: Date) {
    const updated = await repo.transitionOrder(tx, {
      storeId: o.storeId,
      id: o.id,
      from: o.status,
      to,
      set,
      now,
    });
    if (updated) return updated;
    const current = await mustFind(o.storeId, o.id, tx);
    assertTransition(current.status, to);
    throw new AppError('VERSION_CONFLICT', 'The order changed meanwhile; re-read it and retry.');
  }

  async function cancelPaid(o: OrderRow, reason: string | null): Promise<OrderRow> {
    const now = clock.now();
    if (o.paymentStatus === 'authorized') {
      // Nothing was captured: void at the gateway first (the same key makes a retry safe), then record.
      const p = await repo.paymentOf(db, o.id);
      if (p?.reference) {
        const gateway = await gatewayOf(o);
        let result: GatewayResult;
        try {
          result = await gateway.void({ reference: p.reference, idempotencyKey: gatewayKeys.void(o.id) });
        } catch (e) {
          if (isTransport(e)) throw gatewayUnavailable(e, o.id);
          throw e;
        }
        if (result.status !== 'voided') {
          throw new AppError(
            'PAYMENT_FAILED',
            `The gateway did not void the authorization (${result.status}).`,
          );
        }
      }
      return inTransaction(db, async (tx) => {
        const updated = await transitionOrThrow(
          tx,
          o,
          'cancelled',
          { paymentStatus: 'voided', cancelledAt: now, cancelReason: 'requested' },
          now,
        );
        await repo.updatePayment(tx, o.id, { status: 'voided', updatedAt: now });
        await inventory.releaseOrder(tx, { orderId: o.id, reason: 'cancel' });
        if (o.couponId) await coupons.releaseCouponRedemption(tx, { couponId: o.couponId, orderId: o.id });
        await record(
          tx,
          updated,
          {
            type: eventForTransition('paid', 'cancelled'),
            from: 'paid',
            to: 'cancelled',
            data: { reason, voided: true },
          },
          now,
        );
        return updated;
      });
    }
    // Captured: the cancellation, the restock and the refund owed are decided in one transaction; the
    // refund is then sent to the gateway (and retried by the reconciliation job until it is done).
    const pendingRefund = await inTransaction(db, async (tx) => {
      const updated = await transitionOrThrow(
        tx,
        o,
        'cancelled',
        { cancelledAt: now, cancelReason: 'requested' },
        now,
      );
      const p = await repo.lockPayment(tx, o.id);
      let r: RefundRow | undefined;
      const amount = p ? refundable(p, await repo.pendingRefundTotal(tx, o.id)) : 0;
      if (p && amount > 0) {
        r = await repo.insertRefund(tx, {
          id: ids('refund'),
          storeId: o.storeId,
          orderId: o.id,
          paymentId: p.id,
          livemode: o.livemode,
          amount,
          reason: reason ?? 'order_cancelled',
          idempotencyKey: 'cancel',
          createdAt: now,
          updatedAt: now,
        });
      }
      await inventory.restockOrder(tx, { orderId: o.id });
      if (o.couponId) await coupons.releaseCouponRedemption(tx, { couponId: o.couponId, orderId: o.id });
      await record(
        tx,
        updated,
        {
          type: eventForTransition('paid', 'cancelled'),
          from: 'paid',
          to: 'cancelled',
          data: { reason, refund_id: r?.id ?? null, refund_amount: amount },
        },
        now,
      );
      return r;
    });
    if (pendingRefund) {
      try {
        await executeRefund(pendingRefund);
      } catch (e) {
        // The cancellation stands; the refund stays pending and the reconciliation job completes it.
        if (!(e instanceof AppError && e.code === 'GATEWAY_UNAVAILABLE')) throw e;
        logger.warn(
          { orderId: o.id, refundId: pendingRefund.id },
          'refund of a cancelled order left pending for retry',
        );
      }
    }
    return mustFind(o.storeId, o.id);
  }

  // ——— background work ———

  /** Settles pending orders the checkout could not (crash, timeout): asks the gateway, never guesses. */
  async function reconcileDue(limit = 50): Promise<number> {
    const now = clock.now();
    const claimed = await inTransaction(db, (tx) =>
      repo.claimDueOrders(tx, {
        now,
        createdBefore: new Date(now.getTime() - deps.config.RECONCILE_AFTER_SECONDS * 1000),
        leaseUntil: new Date(now.getTime() + RECONCILE_LEASE_MS),
        limit,
      }),
    );
    for (const o of claimed) {
      try {
        await reconcileOne(o, 'reconcile');
      } catch (err) {
        logger.error({ err, orderId: o.id }, 'reconciliation of an order failed');
      }
    }
    return claimed.length;
  }

  /** Retries refunds left pending by a crash or a gateway outage (the gateway key makes it safe). */
  async function retryStaleRefunds(limit = 20): Promise<number> {
    const before = new Date(clock.now().getTime() - STALE_REFUND_MS);
    const stale = await inTransaction(db, (tx) => repo.stalePendingRefunds(tx, before, limit));
    for (const r of stale) {
      try {
        await executeRefund(r);
      } catch (err) {
        logger.warn({ err, refundId: r.id }, 'refund retry failed; will retry');
      }
    }
    return stale.length;
  }

  /**
   * Stale reservations: a reservation past its expiry belongs to an order that is no longer waiting for
   * money, or to one whose payment nobody settled. Settled orders get their stock committed or released
   * to match; pending ones are asked about at the gateway first, so stock of a paid order is never freed.
   */
  async function sweepReservations(limit = 100): Promise<number> {
    const now = clock.now();
    const expired = await inventory.listExpiredReservations(db, now, limit);
    const orderIds = [...new Set(expired.map((r) => r.orderId))];
    const orders = await repo.ordersByIds(db, orderIds);
    for (const o of orders) {
      try {
        if (o.status === 'pending') {
          await reconcileOne(o, 'reconcile');
          continue;
        }
        await inTransaction(db, async (tx) => {
          if (o.status === 'cancelled') await inventory.releaseOrder(tx, { orderId: o.id, reason: 'expire' });
          else if (o.paymentStatus !== 'authorized') await inventory.commitOrder(tx, { orderId: o.id });
          // Authorized, not captured: the stock stays reserved until capture or cancellation.
        });
      } catch (err) {
        logger.error({ err, orderId: o.id }, 'stale reservation sweep failed for an order');
      }
    }
    return orders.length;
  }

  return {
    placeOrder,
    rotateSecret,
    settle,
    findByCheckoutKey: (scope: OrderScope, key: string) =>
      repo.findOrderByCheckoutKey(db, scope.storeId, scope.livemode, key),
    gatewayOf,
    mustFind,

    /** Settles one order now (gateway webhook of that mode): asks the gateway for the authoritative state. */
    async reconcileNow(scope: OrderScope, orderId: string): Promise<OrderRow | null> {
      const o = await repo.findOrder(db, scope.storeId, orderId, scope.livemode);
      if (!o) return null;
      return reconcileOne(o, 'webhook');
    },

    reconcileDue,
    retryStaleRefunds,
    sweepReservations,

    async paymentOf(orderId: string) {
      return repo.paymentOf(db, orderId);
    },

    async linesOf(orderId: string) {
      return repo.linesOf(db, orderId);
    },

    async list(input: {
      storeId: string;
      livemode: boolean;
      status?: OrderStatus;
      email?: string;
      createdFrom?: Date;
      createdTo?: Date;
      beforeId?: string;
      limit: number;
    }) {
      const rows = await repo.listOrders(db, input);
      const lines = await repo.linesOfMany(
        db,
        rows.map((r) => r.id),
      );
      const byOrder = new Map<string, typeof lines>();
      for (const l of lines) byOrder.set(l.orderId, [...(byOrder.get(l.orderId) ?? []), l]);
      return rows.map((o) => ({ order: o, lines: byOrder.get(o.id) ?? [] }));
    },

    async detail(scope: OrderScope, id: string) {
      const o = await mustFindInMode(scope, id);
      const [lines, events, p, refunds, fulfillments] = await Promise.all([
        repo.linesOf(db, id),
        repo.eventsOf(db, id),
        repo.paymentOf(db, id),
        repo.refundsOf(db, id),
        repo.fulfillmentsOf(db, id),
      ]);
      return { order: o, lines, events, payments: p ? [p] : [], refunds, fulfillments };
    },

    /** The shopper's view, behind the order secret; a wrong secret is indistinguishable from no order. */
    async publicView(scope: OrderScope, id: string, secret: string | undefined) {
      const o = await repo.findOrder(db, scope.storeId, id, scope.livemode);
      const given = Buffer.from(sha256(secret ?? ''), 'hex');
      const expected = Buffer.from(o?.secretHash ?? sha256(randomBytes(16).toString('hex')), 'hex');
      if (!o || !secret || !timingSafeEqual(given, expected)) throw notFound(id);
      const [lines, fulfillments] = await Promise.all([repo.linesOf(db, id), repo.fulfillmentsOf(db, id)]);
      return { order: o, lines, fulfillments };
    },

    async fulfill(
      scope: OrderScope,
      id: string,
      input: { carrier: string; trackingNumber: string; trackingUrl: string | null },
    ) {
      const { storeId } = scope;
      let o = await mustFindInMode(scope, id);
      assertTransition(o.status, 'fulfilled');
      o = await captureAuthorized(o);
      const now = clock.now();
      await inTransaction(db, async (tx) => {
        const updated = await transitionOrThrow(
          tx,
          o,
          'fulfilled',
          { fulfillmentStatus: 'fulfilled', fulfilledAt: now },
          now,
        );
        const f = await repo.insertFulfillment(tx, {
          id: ids('fulfillment'),
          storeId,
          orderId: id,
          carrier: input.carrier,
          trackingNumber: input.trackingNumber,
          trackingUrl: input.trackingUrl,
          createdAt: now,
        });
        await record(
          tx,
          updated,
          {
            type: eventForTransition('paid', 'fulfilled'),
            from: 'paid',
            to: 'fulfilled',
            data: { fulfillment_id: f.id, carrier: f.carrier, tracking_number: f.trackingNumber },
          },
          now,
        );
      });
      return this.detail(scope, id);
    },

    async complete(scope: OrderScope, id: string) {
      const o = await mustFindInMode(scope, id);
      assertTransition(o.status, 'completed');
      const now = clock.now();
      await inTransaction(db, async (tx) => {
        const updated = await transitionOrThrow(tx, o, 'completed', { completedAt: now }, now);
        await record(
          tx,
          updated,
          { type: eventForTransition(o.status, 'completed'), from: o.status, to: 'completed' },
          now,
        );
      });
      return this.detail(scope, id);
    },

    async cancel(scope: OrderScope, id: string, input: { reason: string | null }) {
      let o = await mustFindInMode(scope, id);
      assertTransition(o.status, 'cancelled');
      if (o.status === 'pending') {
        // Money may be on its way: learn the truth first, so a paid order is cancelled as paid (refunded).
        o = await reconcileOne(o, 'admin');
        if (o.status === 'pending') {
          const moved = await cancelPending(o, 'requested', null, 'admin', clock.now());
          if (!moved) o = await mustFind(scope.storeId, id);
        }
      }
      if (o.status === 'paid') await cancelPaid(o, input.reason);
      else if (o.status !== 'cancelled') assertTransition(o.status, 'cancelled');
      return this.detail(scope, id);
    },

    async refund(
      scope: OrderScope,
      id: string,
      input: { amount: number; reason: string | null; key: string | null },
    ) {
      const o = await mustFindInMode(scope, id);
      if (o.status === 'pending' || o.paymentStatus === 'authorized' || o.paymentStatus === 'failed') {
        throw new AppError('REFUND_EXCEEDS_CAPTURED', 'Nothing has been captured on this order yet.', {
          param: 'amount',
          extra: { refundable: 0 },
        });
      }
      const r = await createRefund(o, {
        amount: input.amount,
        reason: input.reason,
        key: input.key ?? ids('refund'),
      });
      const done = r.status === 'pending' ? await executeRefund(r) : r;
      if (done.status === 'failed') {
        throw new AppError('PAYMENT_FAILED', 'The gateway refused the refund.', {
          extra: { refund_id: done.id },
        });
      }
      return { refund: done, detail: await this.detail(scope, id) };
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
