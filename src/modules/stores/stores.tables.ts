import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One Stripe account mode's credentials. The key's own prefix (`sk_test_` / `sk_live_`) must match the mode. */
export interface StripeCredentials {
  secret_key: string;
  webhook_secret?: string;
}

export interface StoreSettings {
  /** Prices entered in the catalog include tax (EU style) or not (US style). */
  tax_inclusive?: boolean;
  /**
   * Payment gateway of test-mode checkouts: `test` (built in) or `stripe` (with `stripe.test`).
   * Live-mode checkouts always use Stripe with `stripe.live`: the test gateway never takes a live key.
   */
  gateway?: 'test' | 'stripe';
  /** Stripe credentials per mode. The API endpoint is operator configuration (STRIPE_API_BASE), never a setting. */
  stripe?: { test?: StripeCredentials; live?: StripeCredentials };
  /** Signs the built-in test gateway's webhooks; generated for every store, never a shared default. */
  test_gateway?: { webhook_secret: string };
  /** `automatic` captures at checkout; `manual` authorizes only and captures on fulfilment. */
  capture?: 'automatic' | 'manual';
  hold_ttl_seconds?: number;
  /** `inventory.low_stock` fires when a variant's on_hand − committed falls to this or below (default 5). */
  low_stock_threshold?: number;
  /** The sender of the store's emails: the store's name and MAIL_FROM when unset. */
  email?: { from_name?: string; from_address?: string };
  /** The storefront's base URL; emails link to `<storefront_url>/orders/<id>` when set. */
  storefront_url?: string;
}

export const store = pgTable('store', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  currency: text('currency').notNull(),
  settings: jsonb('settings').$type<StoreSettings>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const apiKey = pgTable(
  'api_key',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['publishable', 'secret'] }).notNull(),
    mode: text('mode', { enum: ['test', 'live'] }).notNull(),
    name: text('name'),
    /** First characters of the key, for humans to recognise it in lists. */
    hint: text('hint').notNull(),
    /** SHA-256 of the whole key, hex. The key itself is shown once and never stored. */
    hash: text('hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('api_key_store_idx').on(t.storeId)],
);
