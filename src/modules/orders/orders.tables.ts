import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

const money = (name: string) => bigint(name, { mode: 'number' });

export const ORDER_STATUSES = ['pending', 'paid', 'fulfilled', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'paid',
  'partially_refunded',
  'refunded',
  'voided',
  'failed',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const FULFILLMENT_STATUSES = ['unfulfilled', 'fulfilled'] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

export interface OrderAddress {
  [field: string]: unknown;
}

export interface OrderShipping {
  id: string;
  name: string;
  amount: number;
}

/**
 * An order: a snapshot of a priced cart at checkout plus its life cycle. `status` only moves through
 * conditional updates (`WHERE status = <expected>`), so two processes settling the same order
 * (checkout, a gateway webhook, the reconciliation job) apply one transition between them.
 */
export const order = pgTable(
  'order',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    /** From the key that placed it: test and live orders never mix (DESIGN §1.6). */
    livemode: boolean('livemode').notNull().default(false),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending'),
    paymentStatus: text('payment_status', { enum: PAYMENT_STATUSES }).notNull().default('pending'),
    fulfillmentStatus: text('fulfillment_status', { enum: FULFILLMENT_STATUSES })
      .notNull()
      .default('unfulfilled'),
    currency: text('currency').notNull(),
    email: text('email').notNull(),
    shippingAddress: jsonb('shipping_address').$type<OrderAddress>(),
    billingAddress: jsonb('billing_address').$type<OrderAddress>(),
    shipping: jsonb('shipping').$type<OrderShipping>(),
    subtotal: money('subtotal').notNull(),
    discountTotal: money('discount_total').notNull().default(0),
    shippingTotal: money('shipping_total').notNull().default(0),
    taxTotal: money('tax_total').notNull().default(0),
    total: money('total').notNull(),
    taxInclusive: boolean('tax_inclusive').notNull().default(false),
    couponId: text('coupon_id'),
    couponCode: text('coupon_code'),
    cartId: text('cart_id'),
    /** The signed-in customer who placed it (null for a guest checkout). */
    customerId: text('customer_id'),
    /** The checkout's Idempotency-Key: a re-executed checkout (crash, retry) resumes this order instead of making another. */
    checkoutKey: text('checkout_key'),
    /** SHA-256 of what identifies the checkout request (cart token, email, payment method), to refuse a reused key. */
    checkoutFingerprint: text('checkout_fingerprint'),
    /** SHA-256 of the order secret shown once to the shopper (public order page). */
    secretHash: text('secret_hash').notNull(),
    gateway: text('gateway').notNull(),
    /** The store's capture setting when the order was placed; later changes of the setting do not apply. */
    captureMode: text('capture_mode', { enum: ['automatic', 'manual'] })
      .notNull()
      .default('automatic'),
    /** Until then an unanswered payment keeps the stock reserved; past it, an order the gateway never saw expires. */
    reservedUntil: ts('reserved_until').notNull(),
    /** Lease of the reconciliation job: no worker looks at the pending order again before this time. */
    reconcileAfter: ts('reconcile_after').notNull(),
    reconcileAttempts: integer('reconcile_attempts').notNull().default(0),
    cancelReason: text('cancel_reason'),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    paidAt: ts('paid_at'),
    fulfilledAt: ts('fulfilled_at'),
    completedAt: ts('completed_at'),
    cancelledAt: ts('cancelled_at'),
  },
  (t) => [
    uniqueIndex('order_store_checkout_key_uq').on(t.storeId, t.livemode, t.checkoutKey),
    // One cart, one order: a second checkout of a cart whose order is not cancelled cannot insert.
    uniqueIndex('order_store_cart_live_uq')
      .on(t.storeId, t.cartId)
      .where(sql`status <> 'cancelled' and cart_id is not null`),
    // The admin list, newest first by (created_at, id): one index per filter, in the list's order, so a page (a
    // date range and the cursor included) is a short index range scan on a store of millions of orders.
    index('order_store_mode_created_idx').on(t.storeId, t.livemode, t.createdAt, t.id),
    index('order_store_mode_status_created_idx').on(t.storeId, t.livemode, t.status, t.createdAt, t.id),
    index('order_store_mode_email_created_idx').on(t.storeId, t.livemode, t.email, t.createdAt, t.id),
    // Sales per day of payment (the reports' rollups and today's figures) read a day's paid orders only.
    index('order_store_paid_idx').on(t.storeId, t.paidAt).where(sql`paid_at is not null`),
    index('order_store_mode_customer_id_idx')
      .on(t.storeId, t.livemode, t.customerId, t.id)
      .where(sql`customer_id is not null`),
    index('order_pending_reconcile_idx').on(t.reconcileAfter).where(sql`status = 'pending'`),
    check(
      'order_totals_nonneg',
      sql`${t.subtotal} >= 0 and ${t.discountTotal} >= 0 and ${t.shippingTotal} >= 0 and ${t.taxTotal} >= 0 and ${t.total} >= 0`,
    ),
  ],
);

/** The immutable snapshot of what was bought, at the price it was bought. */
export const orderLine = pgTable(
  'order_line',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => order.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    storeId: text('store_id').notNull(),
    variantId: text('variant_id').notNull(),
    productId: text('product_id'),
    sku: text('sku').notNull(),
    productTitle: text('product_title').notNull().default(''),
    title: text('title').notNull(),
    unitPrice: money('unit_price').notNull(),
    qty: integer('qty').notNull(),
    subtotal: money('subtotal').notNull(),
    discount: money('discount').notNull().default(0),
    tax: money('tax').notNull().default(0),
    total: money('total').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.position] }),
    check(
      'order_line_amounts',
      sql`${t.qty} > 0 and ${t.unitPrice} >= 0 and ${t.discount} >= 0 and ${t.tax} >= 0 and ${t.total} >= 0`,
    ),
  ],
);

/** Append-only audit of everything that happened to an order (a trigger refuses updates and deletes). */
export const orderEvent = pgTable(
  'order_event',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    orderId: text('order_id').notNull(),
    type: text('type').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /** Who caused it: `staff:<id>`, `key:<id>` (admin actions), or `system` (checkout, webhooks, jobs). */
    actor: text('actor').notNull().default('system'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('order_event_order_idx').on(t.orderId, t.id)],
);

export const PAYMENT_ROW_STATUSES = ['authorized', 'captured', 'voided', 'declined', 'failed'] as const;

/** The one payment of an order (unique per order: one order, one charge). */
export const payment = pgTable(
  'payment',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    orderId: text('order_id')
      .notNull()
      .references(() => order.id, { onDelete: 'cascade' }),
    livemode: boolean('livemode').notNull().default(false),
    gateway: text('gateway').notNull(),
    reference: text('reference'),
    currency: text('currency').notNull(),
    status: text('status', { enum: PAYMENT_ROW_STATUSES }).notNull(),
    amountAuthorized: money('amount_authorized').notNull().default(0),
    amountCaptured: money('amount_captured').notNull().default(0),
    amountRefunded: money('amount_refunded').notNull().default(0),
    declineCode: text('decline_code'),
    message: text('message'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payment_order_uq').on(t.orderId),
    check(
      'payment_amounts',
      sql`${t.amountAuthorized} >= 0 and ${t.amountCaptured} >= ${t.amountRefunded} and ${t.amountRefunded} >= 0`,
    ),
  ],
);

export const refund = pgTable(
  'refund',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    orderId: text('order_id')
      .notNull()
      .references(() => order.id, { onDelete: 'cascade' }),
    paymentId: text('payment_id').notNull(),
    livemode: boolean('livemode').notNull().default(false),
    amount: money('amount').notNull(),
    reason: text('reason'),
    /** `pending` counts against what may still be refunded, so two concurrent refunds never exceed the capture. */
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] })
      .notNull()
      .default('pending'),
    gatewayReference: text('gateway_reference'),
    /** The admin's Idempotency-Key (or an internal one, e.g. `cancel`): the same key is the same refund. */
    idempotencyKey: text('idempotency_key').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refund_order_key_uq').on(t.orderId, t.idempotencyKey),
    index('refund_pending_idx').on(t.createdAt).where(sql`status = 'pending'`),
    check('refund_amount_positive', sql`${t.amount} > 0`),
  ],
);

export const fulfillment = pgTable(
  'fulfillment',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    orderId: text('order_id')
      .notNull()
      .references(() => order.id, { onDelete: 'cascade' }),
    carrier: text('carrier').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    trackingUrl: text('tracking_url'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('fulfillment_order_idx').on(t.orderId)],
);

export type OrderRow = typeof order.$inferSelect;
export type OrderLineRow = typeof orderLine.$inferSelect;
export type OrderEventRow = typeof orderEvent.$inferSelect;
export type PaymentRow = typeof payment.$inferSelect;
export type RefundRow = typeof refund.$inferSelect;
export type FulfillmentRow = typeof fulfillment.$inferSelect;
