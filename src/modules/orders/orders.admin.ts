import { eq } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import { inTransaction, type Tx } from '../../shared/db.ts';
import type { OrderScope, OrdersContext } from './orders.context.ts';
import { callGatewayOrFail } from './orders.gateway.ts';
import type { OrderQueries } from './orders.queries.ts';
import type { Refunds } from './orders.refunds.ts';
import * as repo from './orders.repo.ts';
import { assertTransition, eventForTransition, gatewayKeys, refundable } from './orders.rules.ts';
import { serializeFulfillment } from './orders.serialize.ts';
import type { Settlement } from './orders.settlement.ts';
import { type OrderRow, type OrderStatus, order as orderTable, type RefundRow } from './orders.tables.ts';

/** Admin actions (secret key): capture, fulfil, complete, cancel, refund. */
export function createOrderAdmin(
  ctx: OrdersContext,
  parts: { settlement: Settlement; refunds: Refunds; queries: OrderQueries },
) {
  const { db, ids, clock, logger, inventory, coupons, gatewayOf, record, mustFind, mustFindInMode } = ctx;
  const { settlement, refunds, queries } = parts;
  const { reconcileOne, cancelPending } = settlement;
  const { createRefund, executeRefund } = refunds;

  async function captureAuthorized(o: OrderRow, actor?: string): Promise<OrderRow> {
    if (o.paymentStatus !== 'authorized') return o;
    const p = await repo.paymentOf(db, o.id);
    if (!p?.reference)
      throw new AppError('PAYMENT_FAILED', 'The order has no authorized payment to capture.');
    const gateway = await gatewayOf(o);
    const reference = p.reference;
    const result = await callGatewayOrFail(
      () => gateway.capture({ reference, amount: o.total, idempotencyKey: gatewayKeys.capture(o.id) }),
      o.id,
    );
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
          actor,
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

  async function cancelPaid(o: OrderRow, reason: string | null, actor?: string): Promise<OrderRow> {
    const now = clock.now();
    if (o.paymentStatus === 'authorized') {
      // Nothing was captured: void at the gateway first (the same key makes a retry safe), then record.
      const p = await repo.paymentOf(db, o.id);
      if (p?.reference) {
        const gateway = await gatewayOf(o);
        const reference = p.reference;
        const result = await callGatewayOrFail(
          () => gateway.void({ reference, idempotencyKey: gatewayKeys.void(o.id) }),
          o.id,
        );
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
            actor,
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
          actor,
        },
        now,
      );
      return r;
    });
    if (pendingRefund) {
      try {
        await executeRefund(pendingRefund, actor);
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

  async function fulfill(
    scope: OrderScope,
    id: string,
    input: { carrier: string; trackingNumber: string; trackingUrl: string | null },
  ) {
    const { storeId } = scope;
    let o = await mustFindInMode(scope, id);
    assertTransition(o.status, 'fulfilled');
    o = await captureAuthorized(o, scope.actor);
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
          related: { fulfillment: serializeFulfillment(f) },
          actor: scope.actor,
        },
        now,
      );
    });
    return queries.detail(scope, id);
  }

  async function complete(scope: OrderScope, id: string) {
    const o = await mustFindInMode(scope, id);
    assertTransition(o.status, 'completed');
    const now = clock.now();
    await inTransaction(db, async (tx) => {
      const updated = await transitionOrThrow(tx, o, 'completed', { completedAt: now }, now);
      await record(
        tx,
        updated,
        {
          type: eventForTransition(o.status, 'completed'),
          from: o.status,
          to: 'completed',
          actor: scope.actor,
        },
        now,
      );
    });
    return queries.detail(scope, id);
  }

  async function cancel(scope: OrderScope, id: string, input: { reason: string | null }) {
    let o = await mustFindInMode(scope, id);
    assertTransition(o.status, 'cancelled');
    if (o.status === 'pending') {
      // Money may be on its way: learn the truth first, so a paid order is cancelled as paid (refunded).
      o = await reconcileOne(o, 'admin');
      if (o.status === 'pending') {
        const moved = await cancelPending(o, 'requested', null, 'admin', clock.now(), undefined, scope.actor);
        if (!moved) o = await mustFind(scope.storeId, id);
      }
    }
    if (o.status === 'paid') await cancelPaid(o, input.reason, scope.actor);
    else if (o.status !== 'cancelled') assertTransition(o.status, 'cancelled');
    return queries.detail(scope, id);
  }

  async function refund(
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
      actor: scope.actor,
    });
    const done = r.status === 'pending' ? await executeRefund(r, scope.actor) : r;
    if (done.status === 'failed') {
      throw new AppError('PAYMENT_FAILED', 'The gateway refused the refund.', {
        extra: { refund_id: done.id },
      });
    }
    return { refund: done, detail: await queries.detail(scope, id) };
  }

  return { fulfill, complete, cancel, refund };
}
