import { inTransaction } from '../../shared/db.ts';
import { type OrdersContext, RECONCILE_LEASE_MS, STALE_REFUND_MS } from './orders.context.ts';
import type { Refunds } from './orders.refunds.ts';
import * as repo from './orders.repo.ts';
import type { Settlement } from './orders.settlement.ts';

/** Background work: reconciliation of pending orders, stale refunds, stale reservations. */
export function createOrderJobs(ctx: OrdersContext, settlement: Settlement, refunds: Refunds) {
  const { db, clock, logger, inventory, deps } = ctx;
  const { reconcileOne } = settlement;
  const { executeRefund } = refunds;

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

  return { reconcileDue, retryStaleRefunds, sweepReservations };
}
