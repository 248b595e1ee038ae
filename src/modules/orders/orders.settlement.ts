import { inTransaction } from '../../shared/db.ts';
import { writeTogether } from '../../shared/write-together.ts';
import type { GatewayResult } from '../payments/index.ts';
import type { KnownLines, OrderScope, OrdersContext, SettleSource } from './orders.context.ts';
import { callGateway } from './orders.gateway.ts';
import type { Refunds } from './orders.refunds.ts';
import * as repo from './orders.repo.ts';
import {
  type CancelReason,
  eventForTransition,
  gatewayKeys,
  reconcileBackoffMs,
  refundable,
  settlementFor,
} from './orders.rules.ts';
import type { OrderRow, PaymentRow } from './orders.tables.ts';

/** Settlement: checkout, gateway webhooks and reconciliation all apply the gateway's answer through here. */
export function createSettlement(ctx: OrdersContext, refunds: Refunds) {
  const { db, ids, clock, logger, inventory, coupons, gatewayOf, record, recordWrites, mustFind } = ctx;
  const { executeRefund } = refunds;

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
   * pending → paid as one statement chain: the conditional transition, then the payment, audit and event rows
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
      // Checkout knows the lines it just wrote; a webhook or the reconciliation job reads them for the event.
      const lines = known?.lines ?? (await repo.linesOf(tx, o.id));
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
            lines,
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
    known?: KnownLines,
    actor?: string,
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
          lines: known?.lines,
          actor,
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
        moved = await cancelPending(o, decision.reason, result, source, now, known);
      else if (decision.kind === 'expire')
        moved = await cancelPending(o, 'expired', result, source, now, known);
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
    const asked = await callGateway(() =>
      gateway.retrieve({ orderId: o.id, reference: p?.reference ?? null }),
    );
    if (!asked.ok) {
      await repo.scheduleReconcile(
        db,
        o.id,
        new Date(clock.now().getTime() + reconcileBackoffMs(o.reconcileAttempts)),
      );
      return o;
    }
    const after = await settle(o, asked.value, source);
    if (after.status === 'pending') {
      await repo.scheduleReconcile(
        db,
        o.id,
        new Date(clock.now().getTime() + reconcileBackoffMs(o.reconcileAttempts)),
      );
    }
    return after;
  }

  /** Settles one order now (gateway webhook of that mode): asks the gateway for the authoritative state. */
  async function reconcileNow(scope: OrderScope, orderId: string): Promise<OrderRow | null> {
    const o = await repo.findOrder(db, scope.storeId, orderId, scope.livemode);
    if (!o) return null;
    return reconcileOne(o, 'webhook');
  }

  return { cancelPending, settle, reconcileOne, reconcileNow };
}

export type Settlement = ReturnType<typeof createSettlement>;
