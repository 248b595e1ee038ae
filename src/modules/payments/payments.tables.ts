import { bigint, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';

/**
 * The built-in test gateway's own ledger: it plays the card processor, so it is written in its own
 * transactions, never in ours, and survives our process crashing right after a charge.
 */
export const testGatewayPayment = pgTable(
  'test_gateway_payment',
  {
    /** The gateway reference, `tpi_…`. */
    id: text('id').primaryKey(),
    /** The authorize call's idempotency key: the same key always yields this same payment. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    orderId: text('order_id').notNull(),
    currency: text('currency').notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    status: text('status', { enum: ['authorized', 'captured', 'declined', 'failed', 'voided'] }).notNull(),
    amountAuthorized: bigint('amount_authorized', { mode: 'number' }).notNull().default(0),
    amountCaptured: bigint('amount_captured', { mode: 'number' }).notNull().default(0),
    amountRefunded: bigint('amount_refunded', { mode: 'number' }).notNull().default(0),
    declineCode: text('decline_code'),
    message: text('message'),
    cardLast4: text('card_last4'),
    email: text('email'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('test_gateway_payment_order_idx').on(t.orderId, t.createdAt)],
);

/** Capture, void and refund calls of the test gateway, kept by idempotency key so a repeat replays the first result. */
export const testGatewayOperation = pgTable('test_gateway_operation', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  kind: text('kind', { enum: ['capture', 'void', 'refund'] }).notNull(),
  paymentId: text('payment_id').notNull(),
  /** `tre_…` for a successful refund. */
  refundId: text('refund_id'),
  result: jsonb('result').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull(),
});
