import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../../shared/db.ts';
import { notFound, type OrderScope, type OrdersContext, sha256 } from './orders.context.ts';
import * as repo from './orders.repo.ts';
import { serializeFulfillment, serializeRefund } from './orders.serialize.ts';

/** Reads: the admin list and detail, the shopper's view behind the order secret. */
export function createOrderQueries(ctx: OrdersContext) {
  const { db, mustFindInMode } = ctx;

  const findByCheckoutKey = (scope: OrderScope, key: string) =>
    repo.findOrderByCheckoutKey(db, scope.storeId, scope.livemode, key);

  async function paymentOf(orderId: string) {
    return repo.paymentOf(db, orderId);
  }

  async function linesOf(orderId: string) {
    return repo.linesOf(db, orderId);
  }

  async function withLines(rows: Awaited<ReturnType<typeof repo.listOrders>>) {
    const lines = await repo.linesOfMany(
      db,
      rows.map((r) => r.id),
    );
    const byOrder = new Map<string, typeof lines>();
    for (const l of lines) byOrder.set(l.orderId, [...(byOrder.get(l.orderId) ?? []), l]);
    return rows.map((o) => ({ order: o, lines: byOrder.get(o.id) ?? [] }));
  }

  async function list(input: repo.OrderListQuery) {
    return withLines(await repo.listOrders(db, input));
  }

  /** A customer's order history: see `repo.listCustomerOrders`. */
  async function listForCustomer(input: {
    storeId: string;
    livemode: boolean;
    customerId: string;
    verifiedEmail: string | null;
    beforeId: string | null;
    limit: number;
  }) {
    return withLines(await repo.listCustomerOrders(db, { ...input, guestEmail: input.verifiedEmail }));
  }

  /** A customer's order count, spend and last order per currency (same orders as `listForCustomer`). */
  async function totalsForCustomer(input: {
    storeId: string;
    livemode: boolean;
    customerId: string;
    verifiedEmail: string | null;
  }) {
    return repo.customerOrderTotals(db, { ...input, guestEmail: input.verifiedEmail });
  }

  async function detail(scope: OrderScope, id: string) {
    const o = await mustFindInMode(scope, id);
    const [lines, events, p, refunds, fulfillments] = await Promise.all([
      repo.linesOf(db, id),
      repo.eventsOf(db, id),
      repo.paymentOf(db, id),
      repo.refundsOf(db, id),
      repo.fulfillmentsOf(db, id),
    ]);
    return { order: o, lines, events, payments: p ? [p] : [], refunds, fulfillments };
  }

  /** The shopper's view, behind the order secret; a wrong secret is indistinguishable from no order. */
  async function publicView(scope: OrderScope, id: string, secret: string | undefined) {
    const o = await repo.findOrder(db, scope.storeId, id, scope.livemode);
    const given = Buffer.from(sha256(secret ?? ''), 'hex');
    const expected = Buffer.from(o?.secretHash ?? sha256(randomBytes(16).toString('hex')), 'hex');
    if (!o || !secret || !timingSafeEqual(given, expected)) throw notFound(id);
    const [lines, fulfillments] = await Promise.all([repo.linesOf(db, id), repo.fulfillmentsOf(db, id)]);
    return { order: o, lines, fulfillments };
  }

  return {
    findByCheckoutKey,
    paymentOf,
    linesOf,
    list,
    listForCustomer,
    totalsForCustomer,
    detail,
    publicView,
  };
}

export type OrderQueries = ReturnType<typeof createOrderQueries>;

/**
 * An order's fulfilments and refunds as the API shows them, read with the caller's executor: the order events
 * carry the order only, and the mail consumer reads the tracking and refund amounts in the relay's transaction.
 */
export async function fulfillmentsAndRefunds(tx: Executor, orderId: string) {
  const fulfillments = await repo.fulfillmentsOf(tx, orderId);
  const refunds = await repo.refundsOf(tx, orderId);
  return { fulfillments: fulfillments.map(serializeFulfillment), refunds: refunds.map(serializeRefund) };
}
