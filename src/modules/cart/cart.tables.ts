import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Cart signing keys created on first use when CART_SIGNING_KEYS is not configured, so every
 * process on one database signs and verifies cart tokens with the same secret, with zero config.
 * Carts themselves are never stored: they live in the signed token the client holds.
 */
export const cartSigningKey = pgTable('cart_signing_key', {
  kid: text('kid').primaryKey(),
  secret: text('secret').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
