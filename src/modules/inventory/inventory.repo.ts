import { and, asc, desc, eq, gt, inArray, lt, lte, ne, type SQL, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../../shared/db.ts';
import { isAnyOf, prepared, preparedSql, slot } from '../../shared/prepared.ts';
import { variant } from '../catalog/index.ts';
import { appendEventsFromQuery } from '../events/index.ts';
import { store } from '../stores/index.ts';
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

function buildLevels(db: Executor) {
  return db
    .select({
      variantId: inventoryLevel.variantId,
      onHand: inventoryLevel.onHand,
      committed: inventoryLevel.committed,
    })
    .from(inventoryLevel)
    .where(and(eq(inventoryLevel.storeId, slot('storeId')), isAnyOf(inventoryLevel.variantId, 'ids')));
}
const buildLockedLevels = (db: Executor) =>
  buildLevels(db).orderBy(asc(inventoryLevel.variantId)).for('update');
type LevelsValues = { storeId: string; ids: string[] };
/** Prepared, the ids being one array parameter: every storefront product read that misses the cache reads levels. */
const levelsOf = {
  read: prepared<LevelsValues, ReturnType<typeof buildLevels>>((db) => buildLevels(db)),
  lock: prepared<LevelsValues, ReturnType<typeof buildLockedLevels>>((db) => buildLockedLevels(db)),
};

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
  const r = await levelsOf.lock(tx, { storeId, ids: variantIds });
  return new Map(r.map((l) => [l.variantId, l]));
}

function buildLiveHolds(db: Executor, exceptCart: boolean) {
  return db
    .select({
      variantId: inventoryHold.variantId,
      held: sql<number>`coalesce(sum(${inventoryHold.qty}), 0)::int`,
    })
    .from(inventoryHold)
    .where(
      and(
        eq(inventoryHold.storeId, slot('storeId')),
        isAnyOf(inventoryHold.variantId, 'ids'),
        gt(inventoryHold.expiresAt, slot('now')),
        exceptCart ? ne(inventoryHold.cartId, slot('cartId')) : undefined,
      ),
    )
    .groupBy(inventoryHold.variantId);
}
type LiveHoldsQuery = ReturnType<typeof buildLiveHolds>;
/** Prepared (the ids are one array parameter): every storefront product read that misses the cache runs it. */
const liveHoldsOf = {
  all: prepared<{ storeId: string; ids: string[]; now: Date }, LiveHoldsQuery>((db) =>
    buildLiveHolds(db, false),
  ),
  others: prepared<{ storeId: string; ids: string[]; now: Date; cartId: string }, LiveHoldsQuery>((db) =>
    buildLiveHolds(db, true),
  ),
};

/** Units in live holds per variant, leaving out one cart's own holds when `exceptCartId` is given. */
export async function liveHolds(
  tx: Executor,
  storeId: string,
  variantIds: string[],
  now: Date,
  exceptCartId: string | null,
): Promise<Map<string, number>> {
  if (variantIds.length === 0) return new Map();
  const r =
    exceptCartId === null
      ? await liveHoldsOf.all(tx, { storeId, ids: variantIds, now })
      : await liveHoldsOf.others(tx, { storeId, ids: variantIds, now, cartId: exceptCartId });
  return new Map(r.map((h) => [h.variantId, Number(h.held)]));
}

/** Every cart update that raises a tracked line runs it: built once. */
const placeHoldStatement = preparedSql<
  { storeId: string; cartId: string; variantId: string; qty: number; now: string; expiresAt: string },
  { placed: boolean; on_hand: number; committed: number; own_hold: number; others_held: number }
>(
  () => sql`select placed, on_hand, committed, own_hold, others_held
      from inventory_place_hold(${slot('storeId')}, ${slot('cartId')}, ${slot('variantId')}, ${slot('qty')}::int,
                                ${slot('now')}::timestamptz, ${slot('expiresAt')}::timestamptz)`,
);

/**
 * Sets a cart's hold on a variant to `qty` (> 0) through `inventory_place_hold`, one statement that needs no
 * transaction around it: the function locks the level row, then reads the holds with a fresh snapshot (other
 * carts' holds as they are once the lock is granted) and writes the hold only if lowering or keeping this
 * cart's own hold, or if on_hand − committed − other carts' live holds covers `qty`. Undefined when the
 * variant has no level row; otherwise whether the hold was set and the figures it was decided on.
 */
export async function placeHoldIfFree(
  db: Executor,
  h: { storeId: string; cartId: string; variantId: string; qty: number; expiresAt: Date; now: Date },
): Promise<(LevelRow & { placed: boolean; ownHold: number; othersHeld: number }) | undefined> {
  const { rows: r } = await placeHoldStatement(db, {
    storeId: h.storeId,
    cartId: h.cartId,
    variantId: h.variantId,
    qty: h.qty,
    now: h.now.toISOString(),
    expiresAt: h.expiresAt.toISOString(),
  });
  const x = r[0];
  if (!x) return undefined;
  return {
    variantId: h.variantId,
    placed: x.placed === true,
    onHand: Number(x.on_hand),
    committed: Number(x.committed),
    ownHold: Number(x.own_hold),
    othersHeld: Number(x.others_held),
  };
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

/** Every checkout runs it: built once (the lines are one JSON parameter, so every order has this shape). */
const reserveStatement = preparedSql<
  { storeId: string; orderId: string; cartId: string | null; now: string; expiresAt: string; lines: string },
  { variant_id: string; fits: boolean; available: number | null; already: boolean; reserved: boolean }
>(
  () => sql`select variant_id, fits, available, already, reserved
      from inventory_reserve_order(${slot('storeId')}, ${slot('orderId')}, ${slot('cartId')}::text,
                                   ${slot('now')}::timestamptz, ${slot('expiresAt')}::timestamptz, ${slot('lines')}::jsonb)`,
);

/**
 * Hard-reserves an order's stock through `inventory_reserve_order`, all or nothing, in one round trip: the
 * function creates the missing level rows of backorderable lines, locks the level rows in variant-id order
 * with a statement of its own, then checks every line against `on_hand − committed − other carts' live holds`
 * (backorderable lines skip the check), and only when every line fits (and the order has no reservation yet)
 * applies `committed += qty`, inserts a reservation row and a 'reserve' movement per variant and drops the
 * cart's holds. Answers per line whether it fit and what was free, and whether the order was already reserved.
 *
 * `committed` is exact: the locked rows are read at their newest version and the UPDATE re-checks them.
 * Other carts' holds are read by the statement after the lock, with a fresh snapshot (READ COMMITTED): holds
 * dropped by checkouts that committed while this one waited for the lock are gone, holds placed then count.
 * The lines are passed as one JSON parameter, so every order shape is the same prepared statement.
 */
export async function reserveStock(
  tx: Tx,
  input: {
    storeId: string;
    orderId: string;
    /** The checking-out cart, whose own holds do not count against it and are dropped. */
    cartId: string | null;
    now: Date;
    expiresAt: Date;
    lines: Array<{ variantId: string; qty: number; allowBackorder: boolean; movementId: string }>;
  },
): Promise<{
  alreadyReserved: boolean;
  reserved: boolean;
  lines: Array<{ variantId: string; fits: boolean; available: number }>;
}> {
  const { storeId, orderId, cartId, now, lines } = input;
  const json = JSON.stringify(
    lines.map((l) => ({
      variant_id: l.variantId,
      qty: l.qty,
      backorder: l.allowBackorder,
      movement_id: l.movementId,
    })),
  );
  const { rows: r } = await reserveStatement(tx, {
    storeId,
    orderId,
    cartId,
    now: now.toISOString(),
    expiresAt: input.expiresAt.toISOString(),
    lines: json,
  });
  const byVariant = new Map(r.map((x) => [x.variant_id, x]));
  return {
    alreadyReserved: r[0]?.already ?? false,
    reserved: lines.every((l) => byVariant.get(l.variantId)?.reserved === true),
    lines: lines.map((l) => {
      const x = byVariant.get(l.variantId);
      return { variantId: l.variantId, fits: x?.fits === true, available: Number(x?.available ?? 0) };
    }),
  };
}

/**
 * Moves an order's reservations from one state to another and applies the level deltas in one statement
 * (reservation rows, then level rows, each locked in variant-id order), with one movement per variant
 * whose id the caller supplies (`movementIds`: every variant the order may have reserved).
 * Only rows still in `from` move, so a second call (or a concurrent one) changes nothing.
 */
export async function settleReservations(
  tx: Tx,
  input: {
    orderId: string;
    from: ReservationState;
    to: ReservationState;
    reason: MovementInsert['reason'];
    /** Multipliers of the moved qty: commit is (−1, −1), release (0, −1), return (+1, 0). */
    onHand: -1 | 0 | 1;
    committed: -1 | 0 | 1;
    movementIds: Map<string, string>;
  },
): Promise<Array<{ variantId: string; storeId: string; qty: number }>> {
  if (input.movementIds.size === 0) return [];
  const ids = sql.join(
    [...input.movementIds].map(([variantId, id]) => sql`(${variantId}::text, ${id}::text)`),
    sql`, `,
  );
  const r = await rows<{ variant_id: string; store_id: string; qty: number; movement_id: string | null }>(
    tx,
    sql`with moved as (
           update inventory_reservation set state = ${input.to}, updated_at = now()
            where (order_id, variant_id) in (
              select order_id, variant_id from inventory_reservation
               where order_id = ${input.orderId} and state = ${input.from}
               order by variant_id
                 for update
            ) and state = ${input.from}
        returning variant_id, store_id, qty
         ),
         locked as (
           select l.variant_id from inventory_level l join moved m
               on m.variant_id = l.variant_id and m.store_id = l.store_id
            order by l.variant_id
              for update of l
         ),
         levels as (
           update inventory_level as l
              set on_hand = l.on_hand + ${input.onHand}::int * m.qty,
                  committed = l.committed + ${input.committed}::int * m.qty,
                  updated_at = now()
             from moved m
            where l.variant_id = m.variant_id and l.store_id = m.store_id
              and l.variant_id in (select variant_id from locked)
        returning l.variant_id
         ),
         ids(variant_id, id) as (values ${ids}),
         movements as (
           insert into inventory_movement (id, store_id, variant_id, delta_on_hand, delta_committed, reason, reference)
           select ids.id, m.store_id, m.variant_id, ${input.onHand}::int * m.qty, ${input.committed}::int * m.qty,
                  ${input.reason}, ${input.orderId}
             from moved m join ids on ids.variant_id = m.variant_id
        returning variant_id
         )
       select m.variant_id, m.store_id, m.qty, ids.id as movement_id
         from moved m left join ids on ids.variant_id = m.variant_id
        order by m.variant_id`,
  );
  const missing = r.find((x) => x.movement_id === null);
  // Every moved variant needs its ledger row; the caller's ids are built from the order's lines.
  if (missing) throw new Error(`settleReservations: no movement id for variant ${missing.variant_id}`);
  return r.map((x) => ({ variantId: x.variant_id, storeId: x.store_id, qty: Number(x.qty) }));
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

/** The variants of an order's reservations in one state, in variant-id order. */
export async function reservedVariants(
  tx: Executor,
  orderId: string,
  state: ReservationState,
): Promise<string[]> {
  const r = await tx
    .select({ v: inventoryReservation.variantId })
    .from(inventoryReservation)
    .where(and(eq(inventoryReservation.orderId, orderId), eq(inventoryReservation.state, state)))
    .orderBy(asc(inventoryReservation.variantId));
  return r.map((x) => x.v);
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

/** The levels of these variants as committed (no lock). */
export async function readLevels(
  tx: Executor,
  storeId: string,
  variantIds: string[],
): Promise<Map<string, LevelRow>> {
  if (variantIds.length === 0) return new Map();
  const r = await levelsOf.read(tx, { storeId, ids: variantIds });
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

/**
 * A relation `(variant_id, in_stock)` of these variants: in stock by the stock itself, holds left out
 * (availabilityOf with no holds: untracked or backorderable, or on_hand − committed > 0). A query to embed in
 * another statement, read with that statement's snapshot.
 */
export function stockStateQuery(storeId: string, variantIds: string[]): SQL {
  const ids = variantIds.length
    ? sql.join(
        variantIds.map((id) => sql`${id}`),
        sql`, `,
      )
    : sql`null`;
  return sql`select v.id as variant_id,
                    (not v.track_inventory or v.allow_backorder
                      or coalesce(l.on_hand - l.committed, 0) > 0) as in_stock
               from ${variant} v
               left join ${inventoryLevel} l on l.variant_id = v.id and l.store_id = v.store_id
              where v.store_id = ${storeId} and v.id in (${ids})`;
}

/** Stock alerts fire at or below this many units unless the store sets `low_stock_threshold`. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

/**
 * The stock alerts of a stock change, as data-modifying CTEs (`inv_… as (…)`) for the statement that follows
 * it (the catalog's stock-change record, or a statement of their own): each tracked level's band (`out` at
 * on_hand − committed ≤ 0, `low` at or below the threshold, else `ok`) is stored, and a level that moved into
 * a lower band emits `inventory.out_of_stock` or `inventory.low_stock`, once per mode (the catalog is shared
 * by both). Carts' soft holds do not count: they come and go on their own. `eventIds` gives two fresh event
 * ids per variant (test, live); unused ones are dropped.
 */
export function stockAlertCtes(input: {
  storeId: string;
  variantIds: string[];
  eventIds: ReadonlyMap<string, readonly [string, string]>;
  now: Date;
}): SQL {
  const { storeId, now } = input;
  const idRows = sql.join(
    input.variantIds.map((v) => {
      const [testId, liveId] = input.eventIds.get(v)!;
      return sql`(${v}::text, ${testId}::text, ${liveId}::text)`;
    }),
    sql`, `,
  );
  const threshold = sql`coalesce((select (s.settings->>'low_stock_threshold')::int from ${store} s where s.id = ${storeId}), ${DEFAULT_LOW_STOCK_THRESHOLD})`;
  const alerts = sql`select a.variant_id, a.product_id, a.sku, a.on_hand, a.committed, a.threshold,
          a.test_id, a.live_id,
          case when a.band = 'out' then 'inventory.out_of_stock' else 'inventory.low_stock' end as type
     from inv_alerted a
    where (a.band = 'out' and a.was <> 'out') or (a.band = 'low' and a.was = 'ok')`;
  const data = sql`jsonb_build_object('object', jsonb_build_object(
        'object', 'inventory_level', 'variant_id', x.variant_id, 'product_id', x.product_id, 'sku', x.sku,
        'on_hand', x.on_hand, 'committed', x.committed, 'available', x.on_hand - x.committed,
        'low_stock_threshold', x.threshold))`;
  const events = appendEventsFromQuery(sql`
    select case when m.livemode then x.live_id else x.test_id end as id, ${storeId}::text as store_id,
           m.livemode, x.type, ${data} as data, ${now.toISOString()}::timestamptz as created_at
      from (${alerts}) x cross join (values (false), (true)) as m(livemode)`);
  return sql`inv_levels as (
      select l.variant_id, l.on_hand, l.committed, l.stock_alert as was, v.product_id, v.sku, t.threshold,
             ids.test_id, ids.live_id,
             case when not v.track_inventory then 'ok'
                  when l.on_hand - l.committed <= 0 then 'out'
                  when l.on_hand - l.committed <= t.threshold then 'low'
                  else 'ok' end as band
        from ${inventoryLevel} l
        join ${variant} v on v.id = l.variant_id and v.store_id = l.store_id
        join (values ${idRows}) as ids(variant_id, test_id, live_id) on ids.variant_id = l.variant_id
        cross join (select ${threshold} as threshold) t
       where l.store_id = ${storeId}
    ),
    inv_alerted as (
      update ${inventoryLevel} l set stock_alert = x.band
        from inv_levels x
       where l.variant_id = x.variant_id and l.store_id = ${storeId} and l.stock_alert <> x.band
      returning x.*
    ),
    inv_alert_events as (${events})`;
}
