import { and, asc, desc, eq, gt, inArray, lt, lte, ne, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../../shared/db.ts';
import { variant } from '../catalog/index.ts';
import {
  inventoryHold,
  inventoryLevel,
  inventoryMovement,
  inventoryReservation,
} from './inventory.tables.ts';

export type MovementRow = typeof inventoryMovement.$inferSelect;
export type MovementInsert = typeof inventoryMovement.$inferInsert;
export type ReservationState = (typeof inventoryReservation.$inferSelect)['state'];

export interface LevelRow {
  variantId: string;
  onHand: number;
  committed: number;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/** Creates missing level rows at zero (no movement: nothing changed). Waits on a concurrent insert of the same row. */
export async function ensureLevels(tx: Executor, storeId: string, variantIds: string[]): Promise<void> {
  if (variantIds.length === 0) return;
  await tx
    .insert(inventoryLevel)
    .values(variantIds.map((variantId) => ({ variantId, storeId })))
    .onConflictDoNothing({ target: inventoryLevel.variantId });
}

function levelsQuery(tx: Executor, storeId: string, variantIds: string[]) {
  return tx
    .select({
      variantId: inventoryLevel.variantId,
      onHand: inventoryLevel.onHand,
      committed: inventoryLevel.committed,
    })
    .from(inventoryLevel)
    .where(and(eq(inventoryLevel.storeId, storeId), inArray(inventoryLevel.variantId, variantIds)));
}

/**
 * Locks the store's level rows of these variants in variant-id order (one lock order for every writer,
 * so two checkouts never deadlock) and returns their latest committed values.
 */
export async function lockLevels(
  tx: Tx,
  storeId: string,
  variantIds: string[],
): Promise<Map<string, LevelRow>> {
  if (variantIds.length === 0) return new Map();
  const r = await levelsQuery(tx, storeId, variantIds).orderBy(asc(inventoryLevel.variantId)).for('update');
  return new Map(r.map((l) => [l.variantId, l]));
}

/** Units in live holds per variant, leaving out one cart's own holds when `exceptCartId` is given. */
export async function liveHolds(
  tx: Executor,
  storeId: string,
  variantIds: string[],
  now: Date,
  exceptCartId: string | null,
): Promise<Map<string, number>> {
  if (variantIds.length === 0) return new Map();
  const r = await tx
    .select({
      variantId: inventoryHold.variantId,
      held: sql<number>`coalesce(sum(${inventoryHold.qty}), 0)::int`,
    })
    .from(inventoryHold)
    .where(
      and(
        eq(inventoryHold.storeId, storeId),
        inArray(inventoryHold.variantId, variantIds),
        gt(inventoryHold.expiresAt, now),
        exceptCartId === null ? undefined : ne(inventoryHold.cartId, exceptCartId),
      ),
    )
    .groupBy(inventoryHold.variantId);
  return new Map(r.map((h) => [h.variantId, Number(h.held)]));
}

export async function liveHoldOfCart(
  tx: Executor,
  cartId: string,
  variantId: string,
  now: Date,
): Promise<number> {
  const [r] = await tx
    .select({ qty: inventoryHold.qty })
    .from(inventoryHold)
    .where(
      and(
        eq(inventoryHold.cartId, cartId),
        eq(inventoryHold.variantId, variantId),
        gt(inventoryHold.expiresAt, now),
      ),
    );
  return r?.qty ?? 0;
}

export async function upsertHold(
  tx: Executor,
  h: { storeId: string; cartId: string; variantId: string; qty: number; expiresAt: Date },
): Promise<void> {
  await tx
    .insert(inventoryHold)
    .values(h)
    .onConflictDoUpdate({
      target: [inventoryHold.cartId, inventoryHold.variantId],
      set: { qty: h.qty, expiresAt: h.expiresAt, storeId: h.storeId },
    });
}

export async function deleteHold(tx: Executor, cartId: string, variantId: string): Promise<void> {
  await tx
    .delete(inventoryHold)
    .where(and(eq(inventoryHold.cartId, cartId), eq(inventoryHold.variantId, variantId)));
}

export async function deleteCartHolds(tx: Executor, cartId: string): Promise<void> {
  await tx.delete(inventoryHold).where(eq(inventoryHold.cartId, cartId));
}

/** Deletes up to `batch` expired holds; returns how many. */
export async function deleteExpiredHolds(tx: Executor, now: Date, batch: number): Promise<number> {
  const r = await rows<{ cart_id: string }>(
    tx,
    sql`delete from inventory_hold where (cart_id, variant_id) in (
          select cart_id, variant_id from inventory_hold where expires_at <= ${ts(now)} limit ${batch}
        ) returning cart_id`,
  );
  return r.length;
}

/**
 * Promises units to an order: `committed += qty`, only where the row still has the units free
 * (backorderable lines skip the check). The rows are already locked by the caller; the condition
 * is the last guard. Returns the variants updated.
 */
export async function addCommitted(
  tx: Executor,
  storeId: string,
  lines: Array<{ variantId: string; qty: number; allowBackorder: boolean; held: number }>,
): Promise<string[]> {
  if (lines.length === 0) return [];
  const values = sql.join(
    lines.map(
      (l) => sql`(${l.variantId}::text, ${l.qty}::int, ${l.allowBackorder}::boolean, ${l.held}::int)`,
    ),
    sql`, `,
  );
  const r = await rows<{ variant_id: string }>(
    tx,
    sql`update inventory_level as l
           set committed = l.committed + v.qty, updated_at = now()
          from (values ${values}) as v(variant_id, qty, backorder, held)
         where l.variant_id = v.variant_id and l.store_id = ${storeId}
           and (v.backorder or l.on_hand - l.committed - v.held >= v.qty)
     returning l.variant_id`,
  );
  return r.map((x) => x.variant_id);
}

/** Applies on_hand/committed deltas to rows the caller has locked; returns the variants updated. */
export async function applyDeltas(
  tx: Executor,
  storeId: string,
  deltas: Array<{ variantId: string; onHand: number; committed: number }>,
): Promise<string[]> {
  if (deltas.length === 0) return [];
  const values = sql.join(
    deltas.map((d) => sql`(${d.variantId}::text, ${d.onHand}::int, ${d.committed}::int)`),
    sql`, `,
  );
  const r = await rows<{ variant_id: string }>(
    tx,
    sql`update inventory_level as l
           set on_hand = l.on_hand + v.d_on_hand, committed = l.committed + v.d_committed, updated_at = now()
          from (values ${values}) as v(variant_id, d_on_hand, d_committed)
         where l.variant_id = v.variant_id and l.store_id = ${storeId}
     returning l.variant_id`,
  );
  return r.map((x) => x.variant_id);
}

export async function setOnHand(
  tx: Executor,
  storeId: string,
  values: Array<{ variantId: string; onHand: number }>,
): Promise<void> {
  if (values.length === 0) return;
  const v = sql.join(
    values.map((x) => sql`(${x.variantId}::text, ${x.onHand}::int)`),
    sql`, `,
  );
  await tx.execute(
    sql`update inventory_level as l set on_hand = v.on_hand, updated_at = now()
          from (values ${v}) as v(variant_id, on_hand)
         where l.variant_id = v.variant_id and l.store_id = ${storeId}`,
  );
}

/** One conditional statement: a negative adjustment never takes on-hand stock below zero. */
export async function adjustOnHand(
  tx: Executor,
  storeId: string,
  variantId: string,
  delta: number,
): Promise<LevelRow | undefined> {
  const [r] = await tx
    .update(inventoryLevel)
    .set({ onHand: sql`${inventoryLevel.onHand} + ${delta}`, updatedAt: sql`now()` })
    .where(
      and(
        eq(inventoryLevel.variantId, variantId),
        eq(inventoryLevel.storeId, storeId),
        delta >= 0 ? undefined : sql`${inventoryLevel.onHand} + ${delta} >= 0`,
      ),
    )
    .returning({
      variantId: inventoryLevel.variantId,
      onHand: inventoryLevel.onHand,
      committed: inventoryLevel.committed,
    });
  return r;
}

export async function insertMovements(tx: Executor, movements: MovementInsert[]): Promise<void> {
  if (movements.length === 0) return;
  await tx.insert(inventoryMovement).values(movements);
}

export async function hasReservations(tx: Executor, orderId: string): Promise<boolean> {
  const r = await tx
    .select({ v: inventoryReservation.variantId })
    .from(inventoryReservation)
    .where(eq(inventoryReservation.orderId, orderId))
    .limit(1);
  return r.length > 0;
}

export async function insertReservations(
  tx: Executor,
  rs: Array<{ orderId: string; variantId: string; storeId: string; qty: number; expiresAt: Date }>,
): Promise<void> {
  if (rs.length === 0) return;
  await tx.insert(inventoryReservation).values(rs);
}

/**
 * Moves an order's reservation rows from one state to another, locking them in variant order.
 * Only rows still in `from` move, so a second call (or a concurrent one) moves nothing.
 */
export async function transitionReservations(
  tx: Tx,
  orderId: string,
  from: ReservationState,
  to: ReservationState,
): Promise<Array<{ variantId: string; storeId: string; qty: number }>> {
  const r = await rows<{ variant_id: string; store_id: string; qty: number }>(
    tx,
    sql`update inventory_reservation set state = ${to}, updated_at = now()
         where (order_id, variant_id) in (
           select order_id, variant_id from inventory_reservation
            where order_id = ${orderId} and state = ${from}
            order by variant_id
              for update
         ) and state = ${from}
     returning variant_id, store_id, qty`,
  );
  return r
    .map((x) => ({ variantId: x.variant_id, storeId: x.store_id, qty: Number(x.qty) }))
    .sort((a, b) => (a.variantId < b.variantId ? -1 : 1));
}

export async function expiredReservations(
  tx: Executor,
  now: Date,
  limit: number,
): Promise<Array<{ orderId: string; storeId: string; expiresAt: Date }>> {
  const r = await tx
    .select({
      orderId: inventoryReservation.orderId,
      storeId: inventoryReservation.storeId,
      expiresAt: sql<string>`min(${inventoryReservation.expiresAt})`,
    })
    .from(inventoryReservation)
    .where(and(eq(inventoryReservation.state, 'reserved'), lte(inventoryReservation.expiresAt, now)))
    .groupBy(inventoryReservation.orderId, inventoryReservation.storeId)
    .orderBy(sql`min(${inventoryReservation.expiresAt})`, inventoryReservation.orderId)
    .limit(limit);
  return r.map((x) => ({ orderId: x.orderId, storeId: x.storeId, expiresAt: new Date(x.expiresAt) }));
}

export async function findVariantPolicy(tx: Executor, storeId: string, variantId: string) {
  const [r] = await tx
    .select({
      id: variant.id,
      trackInventory: variant.trackInventory,
      allowBackorder: variant.allowBackorder,
    })
    .from(variant)
    .where(and(eq(variant.id, variantId), eq(variant.storeId, storeId)))
    .limit(1);
  return r;
}

export async function variantPolicies(tx: Executor, storeId: string, variantIds: string[]) {
  if (variantIds.length === 0) return new Map<string, { trackInventory: boolean; allowBackorder: boolean }>();
  const r = await tx
    .select({
      id: variant.id,
      trackInventory: variant.trackInventory,
      allowBackorder: variant.allowBackorder,
    })
    .from(variant)
    .where(and(eq(variant.storeId, storeId), inArray(variant.id, variantIds)));
  return new Map(
    r.map((v) => [v.id, { trackInventory: v.trackInventory, allowBackorder: v.allowBackorder }]),
  );
}

export async function readLevels(
  tx: Executor,
  storeId: string,
  variantIds: string[],
): Promise<Map<string, LevelRow>> {
  if (variantIds.length === 0) return new Map();
  const r = await levelsQuery(tx, storeId, variantIds);
  return new Map(r.map((l) => [l.variantId, l]));
}

export async function listMovements(
  tx: Executor,
  storeId: string,
  variantId: string,
  beforeSeq: number | null,
  limit: number,
): Promise<MovementRow[]> {
  return tx
    .select()
    .from(inventoryMovement)
    .where(
      and(
        eq(inventoryMovement.storeId, storeId),
        eq(inventoryMovement.variantId, variantId),
        beforeSeq === null ? undefined : lt(inventoryMovement.seq, beforeSeq),
      ),
    )
    .orderBy(desc(inventoryMovement.seq))
    .limit(limit);
}
