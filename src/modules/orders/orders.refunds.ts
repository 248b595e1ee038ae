import { AppError } from '../../shared/app-error.ts';
import { inTransaction } from '../../shared/db.ts';
import type { OrdersContext } from './orders.context.ts';
import { callGatewayOrFail } from './orders.gateway.ts';
import * as repo from './orders.repo.ts';
import {
  assertPaymentTransition,
  gatewayKeys,
  paymentStatusAfterRefund,
  refundable,
} from './orders.rules.ts';
import { serializeRefund } from './orders.serialize.ts';
import type { OrderRow, RefundRow } from './orders.tables.ts';

/** Refunds: decided in one transaction (never above the capture), then sent to the gateway, recorded once. */
export function createRefunds(ctx: OrdersContext) {
  const { db, ids, clock, gatewayOf, record, mustFind } = ctx;

  /** Sends a pending refund to the gateway and records the outcome exactly once. */
  async function executeRefund(r: RefundRow, actor?: string): Promise<RefundRow> {
    const o = await mustFind(r.storeId, r.orderId);
    const p = await repo.paymentOf(db, r.orderId);
    if (!p?.reference)
      throw new AppError('REFUND_EXCEEDS_CAPTURED', 'The order has no captured payment to refund.');
    const gateway = await gatewayOf(o);
    const reference = p.reference;
    const outcome = await callGatewayOrFail(
      () =>
        gateway.refund({ reference, amount: r.amount, idempotencyKey: gatewayKeys.refund(r.orderId, r.id) }),
      r.orderId,
    );
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
          { type: 'refund.failed', data: { refund_id: r.id, amount: r.amount }, publish: false, actor },
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
          related: { refund: serializeRefund(finished) },
          actor,
        },
        now,
      );
      return finished;
    });
  }

  async function createRefund(
    o: OrderRow,
    input: { amount: number; reason: string | null; key: string; actor?: string },
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
        {
          type: 'refund.created',
          data: { refund_id: r.id, amount: r.amount },
          publish: false,
          actor: input.actor,
        },
        now,
      );
      return r;
    });
  }

  return { executeRefund, createRefund };
}

export type Refunds = ReturnType<typeof createRefunds>;
