import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';

/**
 * Stock of one variant. `committed` counts units hard-reserved by orders not yet captured;
 * available to sell = on_hand − committed − live holds of other carts.
 */
export const inventoryLevel = pgTable(
  'inventory_level',
  {
    variantId: text('variant_id').primaryKey(),
    storeId: text('store_id').notNull(),
    onHand: integer('on_hand').notNull().default(0),
    committed: integer('committed').notNull().default(0),
    /**
     * The stock band last told to the merchant (`ok`, `low` at or below the store's low-stock threshold, `out`
     * at zero or below): a stock change that moves a level into a lower band emits `inventory.low_stock` or
     * `inventory.out_of_stock` once. A new level starts `out`, so stocking it up tells nothing.
     */
    stockAlert: text('stock_alert', { enum: ['ok', 'low', 'out'] })
      .notNull()
      .default('out'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  // on_hand may go below zero only through backordered sales; committed never does.
  (t) => [check('inventory_level_committed_nonneg', sql`${t.committed} >= 0`)],
);

/** Soft holds placed by carts on add-to-cart; they expire on their own (swept by a job). */
export const inventoryHold = pgTable(
  'inventory_hold',
  {
    cartId: text('cart_id').notNull(),
    variantId: text('variant_id').notNull(),
    storeId: text('store_id').notNull(),
    qty: integer('qty').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.cartId, t.variantId] }),
    index('inventory_hold_variant_idx').on(t.variantId, t.expiresAt),
    index('inventory_hold_expires_idx').on(t.expiresAt),
    check('inventory_hold_qty_positive', sql`${t.qty} > 0`),
  ],
);

/**
 * Hard reservations made by checkout, one row per order line; state moves reserved → committed | released,
 * and committed → returned once a cancelled or refunded order's units are back on hand.
 */
export const inventoryReservation = pgTable(
  'inventory_reservation',
  {
    orderId: text('order_id').notNull(),
    variantId: text('variant_id').notNull(),
    storeId: text('store_id').notNull(),
    qty: integer('qty').notNull(),
    state: text('state', { enum: ['reserved', 'committed', 'released', 'returned'] })
      .notNull()
      .default('reserved'),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.variantId] }),
    index('inventory_reservation_state_idx').on(t.state, t.expiresAt),
    check('inventory_reservation_qty_positive', sql`${t.qty} > 0`),
    check(
      'inventory_reservation_state_valid',
      sql`${t.state} in ('reserved', 'committed', 'released', 'returned')`,
    ),
  ],
);

/** The ledger: one row for every change of on_hand or committed, with its reason. */
export const inventoryMovement = pgTable(
  'inventory_movement',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique(),
    storeId: text('store_id').notNull(),
    variantId: text('variant_id').notNull(),
    deltaOnHand: integer('delta_on_hand').notNull().default(0),
    deltaCommitted: integer('delta_committed').notNull().default(0),
    reason: text('reason', {
      enum: ['set', 'adjust', 'reserve', 'commit', 'release', 'expire', 'return', 'cancel'],
    }).notNull(),
    reference: text('reference'),
    note: text('note'),
    /** Who set or adjusted the stock by hand (`staff:<id>`, `key:<id>`); null for order-driven movements. */
    actor: text('actor'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('inventory_movement_variant_idx').on(t.storeId, t.variantId, t.seq),
    check(
      'inventory_movement_reason_valid',
      sql`${t.reason} in ('set', 'adjust', 'reserve', 'commit', 'release', 'expire', 'return', 'cancel')`,
    ),
  ],
);
