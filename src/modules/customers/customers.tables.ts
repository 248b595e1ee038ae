import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

/** A shopper's account in one store. `email` is stored lower-case and is unique per store. */
export const customer = pgTable(
  'customer',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    name: text('name'),
    emailVerifiedAt: ts('email_verified_at'),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('customer_store_email_uq').on(t.storeId, t.email),
    // The staff list (GET /v1/customers): a store's customers, newest first.
    index('customer_store_id_idx').on(t.storeId, t.id),
    // Its search by prefix (`?q=`): pattern operators, so `like 'ann%'` is a range scan whatever the collation.
    index('customer_store_email_prefix_idx').on(t.storeId, t.email.op('text_pattern_ops')),
    index('customer_store_name_prefix_idx').on(t.storeId, sql`lower(${t.name}) text_pattern_ops`),
  ],
);

export const customerAddress = pgTable(
  'customer_address',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customer.id, { onDelete: 'cascade' }),
    name: text('name'),
    line1: text('line1'),
    line2: text('line2'),
    city: text('city'),
    region: text('region'),
    postalCode: text('postal_code'),
    country: text('country').notNull(),
    phone: text('phone'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('customer_address_customer_idx').on(t.customerId, t.id)],
);

export const EMAIL_TOKEN_KINDS = ['verify_email', 'password_reset'] as const;
export type EmailTokenKind = (typeof EMAIL_TOKEN_KINDS)[number];

/** One-time tokens sent by email, stored as SHA-256 hashes; used once (`used_at`), before `expires_at`. */
export const customerEmailToken = pgTable(
  'customer_email_token',
  {
    tokenHash: text('token_hash').primaryKey(),
    storeId: text('store_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customer.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: EMAIL_TOKEN_KINDS }).notNull(),
    /** The address the token was sent to: verifying proves this address, not a later one. */
    email: text('email').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('customer_email_token_open_idx').on(t.customerId, t.kind).where(sql`used_at is null`)],
);

export type CustomerRow = typeof customer.$inferSelect;
export type CustomerAddressRow = typeof customerAddress.$inferSelect;
