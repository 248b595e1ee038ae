import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cartToken, checkout, seedVariant } from '../../../test/support/commerce.ts';
import { testApp } from '../../../test/support/harness.ts';
import { inTransaction, rows } from '../../shared/db.ts';
import * as repo from './orders.repo.ts';
import { PAYMENT_TRANSITIONS, paymentStatusesInto } from './orders.rules.ts';
import { PAYMENT_STATUSES } from './orders.tables.ts';

const t = await testApp();

async function paidOrder() {
  const s = await t.createStore();
  const v = await seedVariant(t, s, { onHand: 5 });
  const r = await checkout(t, s.pk, await cartToken(t, s.pk, [{ variant_id: v, quantity: 1 }]));
  expect(r.status).toBe(201);
  return { storeId: s.id, id: r.json.order.id as string };
}

const paymentStatusOf = async (id: string) =>
  (
    await rows<{ payment_status: string }>(
      t.database.db,
      sql`select payment_status from "order" where id = ${id}`,
    )
  )[0]!.payment_status;

describe('payment status transitions are enforced where they are written', () => {
  it('lists every source state of each target exactly as the table says', () => {
    for (const to of PAYMENT_STATUSES) {
      for (const from of PAYMENT_STATUSES) {
        expect(paymentStatusesInto(to).includes(from)).toBe(PAYMENT_TRANSITIONS[from].includes(to));
      }
    }
  });

  it('a write the table does not allow changes nothing', async () => {
    const o = await paidOrder();
    const now = new Date();
    await inTransaction(t.database.db, async (tx) => {
      // paid → pending and paid → authorized are not transitions.
      expect(
        await repo.updateOrderWhere(tx, {
          storeId: o.storeId,
          id: o.id,
          status: 'paid',
          set: { paymentStatus: 'pending' },
          now,
        }),
      ).toBeUndefined();
      expect(await repo.setPaymentStatus(tx, { id: o.id, to: 'authorized', now })).toBeUndefined();
      expect(
        await repo.transitionOrder(tx, {
          storeId: o.storeId,
          id: o.id,
          from: 'paid',
          to: 'cancelled',
          set: { paymentStatus: 'failed' },
          now,
        }),
      ).toBeUndefined();
    });
    expect(await paymentStatusOf(o.id)).toBe('paid');
    // An allowed move goes through.
    await inTransaction(t.database.db, async (tx) => {
      expect(await repo.setPaymentStatus(tx, { id: o.id, to: 'partially_refunded', now })).toBeDefined();
    });
    expect(await paymentStatusOf(o.id)).toBe('partially_refunded');
  });
});
