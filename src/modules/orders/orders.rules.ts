import { AppError } from '../../shared/app-error.ts';
import type { GatewayStatus } from '../payments/index.ts';
import type { OrderStatus, PaymentStatus } from './orders.tables.ts';

/**
 * The order life cycle as data. `paid` means the shopper's money is secured: captured, or authorized
 * for stores that capture on fulfilment (then `payment_status` is `authorized`).
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['paid', 'cancelled'],
  paid: ['fulfilled', 'cancelled'],
  fulfilled: ['completed'],
  completed: [],
  cancelled: [],
};

/**
 * Payment status moves on its own axis; refunds never change the order status. Every write of
 * `payment_status` is conditional on a source state listed here (orders.repo.ts), so no code path can
 * make a move this table does not allow.
 */
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  pending: ['authorized', 'paid', 'failed', 'voided'],
  authorized: ['paid', 'voided'],
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  voided: [],
  // Money that arrives for an order already given up (a late capture or authorization) is recorded, then reversed.
  failed: ['authorized', 'paid', 'voided'],
};

/** The payment statuses from which `to` may be reached. */
export function paymentStatusesInto(to: PaymentStatus): PaymentStatus[] {
  return (Object.keys(PAYMENT_TRANSITIONS) as PaymentStatus[]).filter((from) =>
    PAYMENT_TRANSITIONS[from].includes(to),
  );
}

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean =>
  ORDER_TRANSITIONS[from].includes(to);

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('INVALID_ORDER_TRANSITION', `An order cannot go from ${from} to ${to}.`, {
      extra: { from, to },
    });
  }
}

export function assertPaymentTransition(from: PaymentStatus, to: PaymentStatus): void {
  if (!PAYMENT_TRANSITIONS[from].includes(to)) {
    throw new AppError('INVALID_ORDER_TRANSITION', `The payment cannot go from ${from} to ${to}.`, {
      extra: { from, to },
    });
  }
}

export const ORDER_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.cancelled',
  'order.fulfilled',
  'order.completed',
  'order.refunded',
  'order.payment_failed',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

export type CancelReason = 'payment_declined' | 'payment_failed' | 'expired' | 'requested';

/** The outbox event a transition publishes. A cancellation caused by the payment is `order.payment_failed`. */
export function eventForTransition(
  from: OrderStatus,
  to: OrderStatus,
  reason?: CancelReason,
): OrderEventType {
  assertTransition(from, to);
  switch (to) {
    case 'paid':
      return 'order.paid';
    case 'fulfilled':
      return 'order.fulfilled';
    case 'completed':
      return 'order.completed';
    case 'cancelled':
      return from === 'pending' && (reason === 'payment_declined' || reason === 'payment_failed')
        ? 'order.payment_failed'
        : 'order.cancelled';
    case 'pending':
      return 'order.created';
  }
}

export function paymentStatusAfterRefund(captured: number, refunded: number): PaymentStatus {
  if (refunded <= 0) return 'paid';
  return refunded >= captured ? 'refunded' : 'partially_refunded';
}

/** What may still be refunded: captured minus refunded minus refunds in flight. */
export function refundable(
  p: { amountCaptured: number; amountRefunded: number },
  pendingRefunds: number,
): number {
  return Math.max(0, p.amountCaptured - p.amountRefunded - pendingRefunds);
}

/**
 * What to do with a pending order given what the gateway says about its payment. One function decides
 * for checkout, the gateway webhook and the reconciliation job alike.
 */
export type Settlement =
  | { kind: 'paid'; captured: boolean }
  | { kind: 'failed'; reason: 'payment_declined' | 'payment_failed' }
  | { kind: 'expire' }
  | { kind: 'wait' };

export function settlementFor(status: GatewayStatus, o: { now: Date; reservedUntil: Date }): Settlement {
  switch (status) {
    case 'captured':
      return { kind: 'paid', captured: true };
    case 'authorized':
      return { kind: 'paid', captured: false };
    case 'declined':
      return { kind: 'failed', reason: 'payment_declined' };
    case 'failed':
      return { kind: 'failed', reason: 'payment_failed' };
    case 'voided':
      return { kind: 'expire' };
    case 'not_found':
      // The gateway never saw the charge: once the reservation deadline has passed, nothing will come.
      return o.now.getTime() >= o.reservedUntil.getTime() ? { kind: 'expire' } : { kind: 'wait' };
    case 'processing':
      return { kind: 'wait' };
  }
}

/** When the reconciliation job looks at an order again after an inconclusive answer: 5 s, 10 s, … capped at 5 min. */
export function reconcileBackoffMs(attempts: number): number {
  return Math.min(300_000, 5_000 * 2 ** Math.min(attempts, 10));
}

/** Derived gateway idempotency keys: a retried step can never charge, capture or refund twice. */
export const gatewayKeys = {
  authorize: (orderId: string) => `${orderId}:authorize`,
  capture: (orderId: string) => `${orderId}:capture`,
  void: (orderId: string) => `${orderId}:void`,
  refund: (orderId: string, refundId: string) => `${orderId}:refund:${refundId}`,
};
