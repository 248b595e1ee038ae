import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/app-error.ts';
import {
  assertPaymentTransition,
  assertTransition,
  canTransition,
  eventForTransition,
  gatewayKeys,
  ORDER_TRANSITIONS,
  paymentStatusAfterRefund,
  reconcileBackoffMs,
  refundable,
  settlementFor,
} from './orders.rules.ts';
import { ORDER_STATUSES } from './orders.tables.ts';

describe('order state machine', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = ORDER_STATUSES.flatMap((from) =>
      ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      ['pending>paid', 'pending>cancelled', 'paid>fulfilled', 'paid>cancelled', 'fulfilled>completed'].sort(),
    );
  });

  it('refuses everything else with INVALID_ORDER_TRANSITION', () => {
    for (const [from, to] of [
      ['pending', 'fulfilled'],
      ['paid', 'pending'],
      ['fulfilled', 'cancelled'],
      ['completed', 'cancelled'],
      ['cancelled', 'paid'],
      ['paid', 'paid'],
    ] as const) {
      try {
        assertTransition(from, to);
        expect.unreachable(`${from} → ${to} should be refused`);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        expect((e as AppError).code).toBe('INVALID_ORDER_TRANSITION');
        expect((e as AppError).status).toBe(409);
      }
    }
    expect(() => assertTransition('pending', 'paid')).not.toThrow();
  });

  it('terminal states have no way out', () => {
    expect(ORDER_TRANSITIONS.completed).toEqual([]);
    expect(ORDER_TRANSITIONS.cancelled).toEqual([]);
  });

  it('names the outbox event of each transition', () => {
    expect(eventForTransition('pending', 'paid')).toBe('order.paid');
    expect(eventForTransition('pending', 'cancelled', 'payment_declined')).toBe('order.payment_failed');
    expect(eventForTransition('pending', 'cancelled', 'payment_failed')).toBe('order.payment_failed');
    expect(eventForTransition('pending', 'cancelled', 'expired')).toBe('order.cancelled');
    expect(eventForTransition('paid', 'cancelled')).toBe('order.cancelled');
    expect(eventForTransition('paid', 'fulfilled')).toBe('order.fulfilled');
    expect(eventForTransition('fulfilled', 'completed')).toBe('order.completed');
    expect(() => eventForTransition('completed', 'paid')).toThrow(AppError);
  });

  it('moves payment status through refunds and never backwards', () => {
    expect(paymentStatusAfterRefund(1000, 0)).toBe('paid');
    expect(paymentStatusAfterRefund(1000, 1)).toBe('partially_refunded');
    expect(paymentStatusAfterRefund(1000, 1000)).toBe('refunded');
    expect(() => assertPaymentTransition('refunded', 'paid')).toThrow(AppError);
    expect(() => assertPaymentTransition('authorized', 'paid')).not.toThrow();
    expect(() => assertPaymentTransition('partially_refunded', 'refunded')).not.toThrow();
  });

  it('computes what may still be refunded, counting refunds in flight', () => {
    expect(refundable({ amountCaptured: 5000, amountRefunded: 1000 }, 0)).toBe(4000);
    expect(refundable({ amountCaptured: 5000, amountRefunded: 1000 }, 1500)).toBe(2500);
    expect(refundable({ amountCaptured: 5000, amountRefunded: 5000 }, 0)).toBe(0);
    expect(refundable({ amountCaptured: 0, amountRefunded: 0 }, 100)).toBe(0);
  });
});

describe('settlement decisions', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const before = new Date(now.getTime() - 1000);
  const after = new Date(now.getTime() + 1000);

  it('pays on captured or authorized, fails on declined or failed', () => {
    expect(settlementFor('captured', { now, reservedUntil: after })).toEqual({
      kind: 'paid',
      captured: true,
    });
    expect(settlementFor('authorized', { now, reservedUntil: after })).toEqual({
      kind: 'paid',
      captured: false,
    });
    expect(settlementFor('declined', { now, reservedUntil: after })).toEqual({
      kind: 'failed',
      reason: 'payment_declined',
    });
    expect(settlementFor('failed', { now, reservedUntil: after })).toEqual({
      kind: 'failed',
      reason: 'payment_failed',
    });
  });

  it('waits while the gateway is processing, and for unseen payments until the reservation deadline', () => {
    expect(settlementFor('processing', { now, reservedUntil: before })).toEqual({ kind: 'wait' });
    expect(settlementFor('not_found', { now, reservedUntil: after })).toEqual({ kind: 'wait' });
    expect(settlementFor('not_found', { now, reservedUntil: before })).toEqual({ kind: 'expire' });
    expect(settlementFor('voided', { now, reservedUntil: after })).toEqual({ kind: 'expire' });
  });

  it('backs off and derives stable gateway keys', () => {
    expect(reconcileBackoffMs(0)).toBe(5000);
    expect(reconcileBackoffMs(1)).toBe(10_000);
    expect(reconcileBackoffMs(50)).toBe(300_000);
    expect(gatewayKeys.authorize('ord_1')).toBe('ord_1:authorize');
    expect(gatewayKeys.refund('ord_1', 'ref_2')).toBe('ord_1:refund:ref_2');
  });
});
