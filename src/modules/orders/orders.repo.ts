import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../shared/db.ts';
import { prepared, slot } from '../../shared/prepared.ts';
import { paymentStatusesInto } from './orders.rules.ts';
import {
  type FulfillmentRow,
  fulfillment,
  type OrderEventRow,
  type OrderLineRow,
  type OrderRow,
  type OrderStatus,
  order,
  orderEvent,
  orderLine,
  type PaymentRow,
  type PaymentStatus,
  payment,
  type RefundRow,
  refund,
} from './orders.tables.ts';

export type OrderInsert = typeof order.$inferInsert;
export type OrderPatch = Partial<Omit<OrderInsert, 'id' | 'storeId' | 'version' | 'createdAt'>>;

/** The keys of a row whose value is given, in order: the shape of a prepared statement for it. */
function givenKeys(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((k) => row[k] !== undefined);
}

/** Values of a prepared row, named `prefix + column`. The rows are plain values (`$inferInsert` has no SQL). */
function plainValues(row: Record<string, unknown>, keys: string[], prefix = ''): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const k of keys) {
    values[prefix + k] = row[k];
  }
  return values;
}

const slotsOf = (keys: string[], prefix = '') =>
  Object.fromEntries(keys.map((k) => [k, slot(prefix + k)])) as Record<string, never>;

/** Checkout's order insert, one prepared statement per set of columns given (in practice, one). */
// module-state: statement texts derived from the schema, the same in every app of the process.
const insertOrderStatements = new Map<
  string,
  (tx: Executor, values: Record<string, unknown>) => Promise<OrderRow[]>
>();

/** Inserts the order unless the store already has one for this checkout key or this cart (then undefined). */
export async function insertOrderOnce(tx: Executor, row: OrderInsert): Promise<OrderRow | undefined> {
  const keys = givenKeys(row);
  const values = plainValues(row, keys);
  const shape = keys.join(',');
  let run = insertOrderStatements.get(shape);
  if (!run) {
    run = prepared((db) =>
      db
        .insert(order)
        .values(slotsOf(keys) as unknown as OrderInsert)
        // Any unique conflict: the checkout key (a retry) or the cart's live order (one cart, one order).
        .onConflictDoNothing()
        .returning(),
    );
    insertOrderStatements.set(shape, run);
  }
  return (await run(tx, values))[0];
}

/** An order of the store; with `livemode`, only when it belongs to that mode. */
export async function findOrder(
  tx: Executor,
  storeId: string,
  id: string,
  livemode?: boolean,
): Promise<OrderRow | undefined> {
  const conditions = [eq(order.id, id), eq(order.storeId, storeId)];
  if (livemode !== undefined) conditions.push(eq(order.livemode, livemode));
  const [r] = await tx
    .select()
    .from(order)
    .where(and(...conditions))
    .limit(1);
  return r;
}

const orderByCheckoutKey = prepared<
  { storeId: string; livemode: boolean; key: string },
  ReturnType<typeof buildOrderByCheckoutKey>
>((db) => buildOrderByCheckoutKey(db));

function buildOrderByCheckoutKey(db: Executor) {
  return db
    .select()
    .from(order)
    .where(
      and(
        eq(order.storeId, slot('storeId')),
        eq(order.livemode, slot('livemode')),
        eq(order.checkoutKey, slot('key')),
      ),
    )
    .limit(1);
}

export async function findOrderByCheckoutKey(
  tx: Executor,
  storeId: string,
  livemode: boolean,
  key: string,
): Promise<OrderRow | undefined> {
  const [r] = await orderByCheckoutKey(tx, { storeId, livemode, key });
  return r;
}

/** The cart's order that is not cancelled, if any (at most one: a unique index keeps it so). */
export async function findLiveOrderOfCart(
  tx: Executor,
  storeId: string,
  cartId: string,
): Promise<OrderRow | undefined> {
  const [r] = await tx
    .select()
    .from(order)
    .where(and(eq(order.storeId, storeId), eq(order.cartId, cartId), ne(order.status, 'cancelled')))
    .limit(1);
  return r;
}

/** A write of `payment_status` only applies from a state the transition table allows into the new one. */
function paymentGuard(set: OrderPatch | undefined): SQL[] {
  if (!set?.paymentStatus) return [];
  return [inArray(order.paymentStatus, paymentStatusesInto(set.paymentStatus))];
}

/**
 * The payment status after a refund, whatever the order status: conditional on the transition table.
 * Undefined when the order's payment status may not move there.
 */
export async function setPaymentStatus(
  tx: Executor,
  input: { id: string; to: PaymentStatus; now: Date },
): Promise<OrderRow | undefined> {
  const [r] = await tx
    .update(order)
    .set({ paymentStatus: input.to, version: sql`${order.version} + 1`, updatedAt: input.now })
    .where(and(eq(order.id, input.id), ...paymentGuard({ paymentStatus: input.to })))
    .returning();
  return r;
}

/**
 * The only way an order's status changes: a conditional update on the status the caller expects
 * (and the version, when given). Undefined when someone else moved the order first.
 */
export async function transitionOrder(
  tx: Executor,
  input: {
    storeId: string;
    id: string;
    from: OrderStatus;
    to: OrderStatus;
    version?: number;
    set?: OrderPatch;
    now: Date;
  },
): Promise<OrderRow | undefined> {
  const set = input.set ?? {};
  const keys = givenKeys(set);
  const values = plainValues(set, keys, 'set_');
  const guard = set.paymentStatus ? paymentStatusesInto(set.paymentStatus) : [];
  const versioned = input.version !== undefined;
  const shape = `${keys.join(',')}|${guard.length}|${versioned}`;
  let run = transitionStatements.get(shape);
  if (!run) {
    run = prepared((db) =>
      db
        .update(order)
        .set({
          ...slotsOf(keys, 'set_'),
          status: slot('to') as never,
          version: sql`${order.version} + 1`,
          updatedAt: slot('now') as never,
        })
        .where(
          and(
            eq(order.id, slot('id')),
            eq(order.storeId, slot('storeId')),
            eq(order.status, slot('from')),
            ...(guard.length > 0
              ? [
                  inArray(
                    order.paymentStatus,
                    guard.map((_, i) => slot(`guard_${i}`)),
                  ),
                ]
              : []),
            ...(versioned ? [eq(order.version, slot('version'))] : []),
          ),
        )
        .returning(),
    );
    transitionStatements.set(shape, run);
  }
  guard.forEach((status, i) => {
    values[`guard_${i}`] = status;
  });
  if (versioned) values.version = input.version;
  const [r] = await run(tx, {
    ...values,
    id: input.id,
    storeId: input.storeId,
    from: input.from,
    to: input.to,
    now: input.now,
  });
  return r;
}

/** Status transitions, one prepared statement per shape (the columns set, the payment guard, a version check). */
// module-state: statement texts derived from the schema, the same in every app of the process.
const transitionStatements = new Map<
  string,
  (tx: Executor, values: Record<string, unknown>) => Promise<OrderRow[]>
>();

/** A change that is not a status transition (payment status, fulfilment status), still conditional on the status. */
export async function updateOrderWhere(
  tx: Executor,
  input: { storeId: string; id: string; status: OrderStatus; extra?: SQL; set: OrderPatch; now: Date },
): Promise<OrderRow | undefined> {
  const conditions: SQL[] = [
    eq(order.id, input.id),
    eq(order.storeId, input.storeId),
    eq(order.status, input.status),
    ...paymentGuard(input.set),
  ];
  if (input.extra) conditions.push(input.extra);
  const [r] = await tx
    .update(order)
    .set({ ...input.set, version: sql`${order.version} + 1`, updatedAt: input.now })
    .where(and(...conditions))
    .returning();
  return r;
}

export async function setSecretHash(
  tx: Executor,
  storeId: string,
  id: string,
  secretHash: string,
): Promise<void> {
  await tx
    .update(order)
    .set({ secretHash })
    .where(and(eq(order.id, id), eq(order.storeId, storeId)));
}

export function appendEvent(tx: Executor, row: typeof orderEvent.$inferInsert) {
  return tx.insert(orderEvent).values(row);
}

export function insertLines(tx: Executor, lines: (typeof orderLine.$inferInsert)[]) {
  return tx.insert(orderLine).values(lines);
}

/** The filters of the order list: a key's store and mode, then status, email, creation time, cursor. */
export interface OrderListQuery {
  storeId: string;
  livemode: boolean;
  status?: OrderStatus;
  email?: string;
  createdFrom?: Date;
  createdTo?: Date;
  beforeId?: string;
  limit: number;
}

/**
 * Newest first by (created_at, id), each filter served by an index of the same order (orders.tables.ts): a page
 * reads `limit + 1` index entries whatever the store's size, and the cursor (the last order's id) resumes after
 * that order's creation time without counting or skipping rows.
 */
export async function listOrders(tx: Executor, input: OrderListQuery): Promise<OrderRow[]> {
  const conditions: SQL[] = [eq(order.storeId, input.storeId), eq(order.livemode, input.livemode)];
  if (input.status) conditions.push(eq(order.status, input.status));
  if (input.email) conditions.push(eq(order.email, input.email.toLowerCase()));
  if (input.createdFrom) conditions.push(gte(order.createdAt, input.createdFrom));
  if (input.createdTo) conditions.push(lt(order.createdAt, input.createdTo));
  if (input.beforeId) {
    // An id of another store or mode matches no row: an empty page, as for any cursor past the end.
    conditions.push(
      sql`(${order.createdAt}, ${order.id}) < (select c.created_at, c.id from ${order} c
            where c.id = ${input.beforeId} and c.store_id = ${input.storeId} and c.livemode = ${input.livemode})`,
    );
  }
  return tx
    .select()
    .from(order)
    .where(and(...conditions))
    .orderBy(desc(order.createdAt), desc(order.id))
    .limit(input.limit + 1);
}

/**
 * A customer's orders in one mode, newest first: those placed signed in, and guest orders with the customer's
 * verified email (`guestEmail`).
 */
/** A customer's orders: placed signed in, or as a guest with the customer's verified email. */
function mine(input: { customerId: string; guestEmail: string | null }): SQL {
  return input.guestEmail
    ? or(
        eq(order.customerId, input.customerId),
        and(isNull(order.customerId), eq(order.email, input.guestEmail)),
      )!
    : eq(order.customerId, input.customerId);
}

export interface CustomerOrderTotals {
  currency: string;
  count: number;
  /** The totals of the orders that were paid (paid, fulfilled, completed), before refunds. */
  spent: number;
  lastOrderId: string;
  lastOrderAt: Date;
}

/**
 * A customer's order count, spend and last order per currency, in one aggregate over the rows the indexes
 * `order_store_mode_customer_id_idx` and `order_store_mode_email_id_idx` find (a customer's own orders only).
 */
export async function customerOrderTotals(
  tx: Executor,
  input: { storeId: string; livemode: boolean; customerId: string; guestEmail: string | null },
): Promise<CustomerOrderTotals[]> {
  const rows = await tx
    .select({
      currency: order.currency,
      count: sql<number>`count(*)::int`,
      spent: sql<number>`coalesce(sum(${order.total}) filter (where ${order.status} in ('paid', 'fulfilled', 'completed')), 0)::bigint`,
      lastOrderId: sql<string>`max(${order.id})`,
      lastOrderAt: sql<Date>`max(${order.createdAt})`.mapWith(order.createdAt),
    })
    .from(order)
    .where(and(eq(order.storeId, input.storeId), eq(order.livemode, input.livemode), mine(input)))
    .groupBy(order.currency)
    .orderBy(asc(order.currency));
  return rows.map((r) => ({
    currency: r.currency,
    count: Number(r.count),
    spent: Number(r.spent),
    lastOrderId: r.lastOrderId,
    lastOrderAt: r.lastOrderAt,
  }));
}

export async function listCustomerOrders(
  tx: Executor,
  input: {
    storeId: string;
    livemode: boolean;
    customerId: string;
    guestEmail: string | null;
    beforeId: string | null;
    limit: number;
  },
): Promise<OrderRow[]> {
  const conditions: SQL[] = [
    eq(order.storeId, input.storeId),
    eq(order.livemode, input.livemode),
    mine(input),
  ];
  if (input.beforeId) conditions.push(lt(order.id, input.beforeId));
  return tx
    .select()
    .from(order)
    .where(and(...conditions))
    .orderBy(desc(order.id))
    .limit(input.limit + 1);
}

export async function linesOf(tx: Executor, orderId: string): Promise<OrderLineRow[]> {
  return tx.select().from(orderLine).where(eq(orderLine.orderId, orderId)).orderBy(asc(orderLine.position));
}

export async function linesOfMany(tx: Executor, orderIds: string[]): Promise<OrderLineRow[]> {
  if (orderIds.length === 0) return [];
  return tx
    .select()
    .from(orderLine)
    .where(inArray(orderLine.orderId, orderIds))
    .orderBy(asc(orderLine.orderId), asc(orderLine.position));
}

export async function eventsOf(tx: Executor, orderId: string): Promise<OrderEventRow[]> {
  return tx.select().from(orderEvent).where(eq(orderEvent.orderId, orderId)).orderBy(asc(orderEvent.id));
}

export async function paymentOf(tx: Executor, orderId: string): Promise<PaymentRow | undefined> {
  const [r] = await tx.select().from(payment).where(eq(payment.orderId, orderId)).limit(1);
  return r;
}

export async function lockOrder(tx: Tx, storeId: string, id: string): Promise<OrderRow | undefined> {
  const [r] = await tx
    .select()
    .from(order)
    .where(and(eq(order.id, id), eq(order.storeId, storeId)))
    .limit(1)
    .for('update');
  return r;
}

/** Locks the payment row: refunds and captures of one order queue behind each other. */
export async function lockPayment(tx: Tx, orderId: string): Promise<PaymentRow | undefined> {
  const [r] = await tx.select().from(payment).where(eq(payment.orderId, orderId)).limit(1).for('update');
  return r;
}

/** Writes what the gateway said about the order's one payment (insert, or overwrite the earlier answer). */
export function upsertPaymentWrite(tx: Executor, row: typeof payment.$inferInsert) {
  return tx
    .insert(payment)
    .values(row)
    .onConflictDoUpdate({
      target: payment.orderId,
      set: {
        reference: sql`coalesce(excluded.reference, ${payment.reference})`,
        status: sql`excluded.status`,
        amountAuthorized: sql`excluded.amount_authorized`,
        amountCaptured: sql`greatest(excluded.amount_captured, ${payment.amountCaptured})`,
        declineCode: sql`excluded.decline_code`,
        message: sql`excluded.message`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}

export async function upsertPayment(tx: Executor, row: typeof payment.$inferInsert): Promise<PaymentRow> {
  const [r] = await upsertPaymentWrite(tx, row).returning();
  return r!;
}

export async function updatePayment(
  tx: Executor,
  orderId: string,
  set: Partial<typeof payment.$inferInsert>,
  extra?: SQL,
): Promise<PaymentRow | undefined> {
  const [r] = await tx
    .update(payment)
    .set(set)
    .where(extra ? and(eq(payment.orderId, orderId), extra) : eq(payment.orderId, orderId))
    .returning();
  return r;
}

export async function addRefunded(
  tx: Executor,
  orderId: string,
  amount: number,
  now: Date,
): Promise<PaymentRow | undefined> {
  // The CHECK (captured >= refunded) is the last line of defence: this fails rather than over-refund.
  const [r] = await tx
    .update(payment)
    .set({ amountRefunded: sql`${payment.amountRefunded} + ${amount}`, updatedAt: now })
    .where(eq(payment.orderId, orderId))
    .returning();
  return r;
}

export async function refundsOf(tx: Executor, orderId: string): Promise<RefundRow[]> {
  return tx.select().from(refund).where(eq(refund.orderId, orderId)).orderBy(asc(refund.id));
}

export async function findRefundByKey(
  tx: Executor,
  orderId: string,
  key: string,
): Promise<RefundRow | undefined> {
  const [r] = await tx
    .select()
    .from(refund)
    .where(and(eq(refund.orderId, orderId), eq(refund.idempotencyKey, key)))
    .limit(1);
  return r;
}

export async function pendingRefundTotal(tx: Executor, orderId: string): Promise<number> {
  const [r] = await tx
    .select({ n: sql<number>`coalesce(sum(${refund.amount}), 0)::bigint` })
    .from(refund)
    .where(and(eq(refund.orderId, orderId), eq(refund.status, 'pending')));
  return Number(r?.n ?? 0);
}

export async function insertRefund(tx: Executor, row: typeof refund.$inferInsert): Promise<RefundRow> {
  const [r] = await tx.insert(refund).values(row).returning();
  return r!;
}

/** Settles a pending refund exactly once. */
export async function finishRefund(
  tx: Executor,
  input: { id: string; status: 'succeeded' | 'failed'; gatewayReference: string | null; now: Date },
): Promise<RefundRow | undefined> {
  const [r] = await tx
    .update(refund)
    .set({ status: input.status, gatewayReference: input.gatewayReference, updatedAt: input.now })
    .where(and(eq(refund.id, input.id), eq(refund.status, 'pending')))
    .returning();
  return r;
}

/** Refunds left pending by a crash between the gateway call and our write; oldest first. */
export async function stalePendingRefunds(tx: Tx, olderThan: Date, limit: number): Promise<RefundRow[]> {
  return tx
    .select()
    .from(refund)
    .where(and(eq(refund.status, 'pending'), lte(refund.createdAt, olderThan)))
    .orderBy(asc(refund.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function fulfillmentsOf(tx: Executor, orderId: string): Promise<FulfillmentRow[]> {
  return tx.select().from(fulfillment).where(eq(fulfillment.orderId, orderId)).orderBy(asc(fulfillment.id));
}

export async function insertFulfillment(
  tx: Executor,
  row: typeof fulfillment.$inferInsert,
): Promise<FulfillmentRow> {
  const [r] = await tx.insert(fulfillment).values(row).returning();
  return r!;
}

/**
 * Claims pending orders due for reconciliation: rows locked by another worker are skipped, and the
 * claimed ones get a lease (`reconcile_after` in the future) so no other worker takes them meanwhile.
 * The gateway is then asked outside any transaction.
 */
export async function claimDueOrders(
  tx: Tx,
  input: {
    now: Date;
    createdBefore: Date;
    leaseUntil: Date;
    limit: number;
    storeId?: string;
    orderId?: string;
  },
): Promise<OrderRow[]> {
  const conditions: SQL[] = [
    eq(order.status, 'pending'),
    lte(order.reconcileAfter, input.now),
    lte(order.createdAt, input.createdBefore),
  ];
  if (input.storeId) conditions.push(eq(order.storeId, input.storeId));
  if (input.orderId) conditions.push(eq(order.id, input.orderId));
  const due = await tx
    .select({ id: order.id })
    .from(order)
    .where(and(...conditions))
    .orderBy(asc(order.reconcileAfter))
    .limit(input.limit)
    .for('update', { skipLocked: true });
  if (due.length === 0) return [];
  return tx
    .update(order)
    .set({ reconcileAfter: input.leaseUntil, reconcileAttempts: sql`${order.reconcileAttempts} + 1` })
    .where(
      and(
        inArray(
          order.id,
          due.map((d) => d.id),
        ),
        eq(order.status, 'pending'),
      ),
    )
    .returning();
}

/** After an inconclusive answer: look again later (backoff), unless the order moved meanwhile. */
export async function scheduleReconcile(tx: Executor, id: string, at: Date): Promise<void> {
  await tx
    .update(order)
    .set({ reconcileAfter: at })
    .where(and(eq(order.id, id), eq(order.status, 'pending')));
}

export async function ordersByIds(tx: Executor, ids: string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return [];
  return tx.select().from(order).where(inArray(order.id, ids));
}
