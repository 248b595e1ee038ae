import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';

/**
 * Transactional emails, written in the transaction that decided to send them (an outbox of its own) and
 * sent by the worker's `mail.send` task. `dedupe_key` makes every enqueue idempotent per store.
 */
export const email = pgTable(
  'email',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    livemode: boolean('livemode').notNull().default(false),
    /** What the email is for: `order_confirmation`, `order_shipped`, `order_refunded`, or a caller's own kind. */
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    /** The order an order email is about (confirmation, shipping, refund), for the order's email list. */
    orderId: text('order_id'),
    fromAddress: text('from_address').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    state: text('state', { enum: ['queued', 'sent', 'failed'] })
      .notNull()
      .default('queued'),
    /** When the email is next due; a claim moves it forward by the lease, so a crashed sender's email comes back. */
    runAt: ts('run_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    messageId: text('message_id'),
    sentAt: ts('sent_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('email_store_dedupe_key_idx').on(t.storeId, t.dedupeKey),
    index('email_due_idx').on(t.runAt).where(sql`state = 'queued'`),
    // GET /v1/orders/{id}/emails
    index('email_store_order_idx').on(t.storeId, t.orderId).where(sql`order_id is not null`),
  ],
);

export type EmailRow = typeof email.$inferSelect;
export type NewEmailRow = typeof email.$inferInsert;
