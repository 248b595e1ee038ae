import { type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, inTransaction, pgErrorCode, type Tx } from '../../shared/db.ts';
import { decodeCursor, encodeCursor } from '../../shared/http/pagination.ts';
import { newId } from '../../shared/ids.ts';
import type { PeriodicTask } from '../jobs/index.ts';
import * as repo from './inventory.repo.ts';
import {
  adjustmentAllowed,
  availabilityOf,
  chunks,
  freeToSell,
  type OrderLine,
  type StockPolicy,
  sortedUnique,
  stockLines,
} from './inventory.rules.ts';

/**
 * Called in the same transaction whenever on_hand or committed of some variants change
 * (not for holds: they expire on their own and are read live by getAvailability).
 */
export type StockChangeListener = (
  tx: Tx,
  storeId: string,
  variantIds: string[],
  /** The variants' products, when the caller already knows them (saves the listener a look-up). */
  productIds?: string[],
  /** Data-modifying CTEs (`name as (…)`) the listener must send in its statement: the stock alerts. */
  also?: SQL,
) => Promise<void>;

/*
 * Called AFTER the statement that changed on_hand/committed, in the same transaction: the catalog's listener
 * reads the new stock to decide whether a variant crossed zero, so it must see the numbers after the change;
 * the stock alerts read it too, in the same statement.
 */
async function stockChanged(
  onStockChange: StockChangeListener | undefined,
  tx: Tx,
  storeId: string,
  variantIds: string[],
  productIds?: string[],
): Promise<void> {
  if (variantIds.length === 0) return;
  const ids = sortedUnique(variantIds);
  // The stock alerts (inventory.low_stock / out_of_stock) ride in the listener's statement: no round trip more.
  const alerts = repo.stockAlertCtes({
    storeId,
    variantIds: ids,
    eventIds: new Map(ids.map((v) => [v, [newId('event'), newId('event')] as const])),
    now: new Date(),
  });
  if (onStockChange) await onStockChange(tx, storeId, ids, productIds, alerts);
  else await tx.execute(sql`with ${alerts} select 1`);
}

type MovementReason = repo.MovementInsert['reason'];

function movement(
  storeId: string,
  variantId: string,
  reason: MovementReason,
  d: { onHand?: number; committed?: number },
  reference: string | null = null,
  note: string | null = null,
  actor: string | null = null,
): repo.MovementInsert {
  return {
    id: newId('movement'),
    storeId,
    variantId,
    deltaOnHand: d.onHand ?? 0,
    deltaCommitted: d.committed ?? 0,
    reason,
    reference,
    note,
    actor,
  };
}

function insufficient(variantId: string, available: number): AppError {
  return new AppError('INSUFFICIENT_STOCK', `Only ${Math.max(0, available)} left of variant ${variantId}.`, {
    param: 'quantity',
    extra: { variant_id: variantId, available: Math.max(0, available) },
  });
}

const SET_BATCH = 1000;

/**
 * Sets on-hand stock for many variants at once (seed, imports): missing levels are created, and each
 * change is recorded as a 'set' movement with its delta. Batched; rows are locked in variant order.
 */
export async function setStockLevels(
  tx: Tx,
  rows: { storeId: string; variantId: string; onHand: number }[],
  onStockChange?: StockChangeListener,
  /** Who set it (an admin's `staff:<id>` or `key:<id>`); recorded on each movement. */
  actor: string | null = null,
): Promise<void> {
  for (const r of rows) {
    if (!Number.isInteger(r.onHand) || r.onHand < 0 || r.onHand > 2_147_483_647) {
      throw new AppError(
        'VALIDATION_FAILED',
        `on_hand must be a non-negative integer (variant ${r.variantId}).`,
        {
          param: 'on_hand',
        },
      );
    }
  }
  const byStore = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = byStore.get(r.storeId) ?? new Map<string, number>();
    m.set(r.variantId, r.onHand); // the last value given for a variant wins
    byStore.set(r.storeId, m);
  }
  for (const [storeId, wanted] of byStore) {
    for (const batch of chunks(sortedUnique([...wanted.keys()]), SET_BATCH)) {
      await repo.ensureLevels(tx, storeId, batch);
      const current = await repo.lockLevels(tx, storeId, batch);
      const changes: Array<{ variantId: string; onHand: number; delta: number }> = [];
      for (const variantId of batch) {
        const cur = current.get(variantId);
        if (!cur) throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId} in store ${storeId}.`);
        const onHand = wanted.get(variantId)!;
        if (onHand !== cur.onHand) changes.push({ variantId, onHand, delta: onHand - cur.onHand });
      }
      await repo.setOnHand(tx, storeId, changes);
      await repo.insertMovements(
        tx,
        changes.map((c) => movement(storeId, c.variantId, 'set', { onHand: c.delta }, null, null, actor)),
      );
      await stockChanged(
        onStockChange,
        tx,
        storeId,
        changes.map((c) => c.variantId),
      );
    }
  }
}

export interface PlaceHoldInput {
  storeId: string;
  cartId: string;
  variantId: string;
  qty: number;
  ttlSeconds: number;
  now: Date;
  trackInventory: boolean;
  allowBackorder: boolean;
}

/**
 * Sets this cart's soft hold on a variant to `qty` (0 removes it) and renews its expiry, in ONE statement that
 * is atomic on its own, so it takes any executor: the pool (an autocommit statement, one round trip with no
 * BEGIN/COMMIT) or an open transaction (see placeHold). For a tracked variant that cannot be backordered it
 * is a call of `inventory_place_hold`, which locks the level row first (two carts never both take the last
 * unit) and then reads other carts' live holds with a fresh snapshot (a hold dropped by a checkout that
 * committed while this one waited is not counted). Lowering a hold is always allowed; raising it needs the
 * units free of other carts' live holds. A refusal writes nothing.
 */
export async function placeHoldAtomically(db: Executor, input: PlaceHoldInput): Promise<void> {
  const { storeId, cartId, variantId, qty, now } = input;
  if (!Number.isInteger(qty) || qty < 0) {
    throw new AppError('VALIDATION_FAILED', 'quantity must be a non-negative integer.', {
      param: 'quantity',
    });
  }
  if (qty === 0 || !input.trackInventory) {
    await repo.deleteHold(db, cartId, variantId);
    return;
  }
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000);
  if (input.allowBackorder) {
    await repo.upsertHold(db, { storeId, cartId, variantId, qty, expiresAt });
    return;
  }
  const level = await repo.placeHoldIfFree(db, { storeId, cartId, variantId, qty, expiresAt, now });
  if (!level) throw insufficient(variantId, 0);
  if (!level.placed) {
    throw insufficient(
      variantId,
      freeToSell({ onHand: level.onHand, committed: level.committed, held: level.othersHeld }),
    );
  }
}

/** placeHoldAtomically inside the caller's transaction: several holds of one cart, all or none. */
export async function placeHold(tx: Tx, input: PlaceHoldInput): Promise<void> {
  await placeHoldAtomically(tx, input);
}

export async function releaseHolds(tx: Tx, input: { cartId: string }): Promise<void> {
  await repo.deleteCartHolds(tx, input.cartId);
}

export interface ReserveInput {
  storeId: string;
  orderId: string;
  cartId: string | null;
  lines: {
    variantId: string;
    qty: number;
    trackInventory: boolean;
    allowBackorder: boolean;
    /** When known, the change feed is told without looking the products up. */
    productId?: string | null;
  }[];
  expiresAt: Date;
  now: Date;
}

/**
 * Hard-reserves an order's tracked lines inside the caller's order transaction, all or nothing, in one
 * statement meant to be the transaction's last writer of stock: `committed += qty` where on_hand − committed −
 * other carts' live holds allow it, a reservation row and a 'reserve' movement per variant, and the cart's
 * holds dropped. A second call for the same order does nothing.
 *
 * The reservation is one round trip (repo.reserveStock). The stock-change listener runs after it (it must see
 * the new numbers to tell whether a variant crossed zero), so the level rows stay locked for one more round
 * trip: the listener's single statement.
 */
export async function reserveForOrder(
  tx: Tx,
  input: ReserveInput,
  onStockChange?: StockChangeListener,
): Promise<void> {
  const { storeId, orderId, cartId, now } = input;
  for (const l of input.lines) {
    if (!Number.isInteger(l.qty) || l.qty <= 0) {
      throw new AppError('VALIDATION_FAILED', 'quantity must be a positive integer.', { param: 'quantity' });
    }
  }
  const lines = stockLines(input.lines as OrderLine[]);
  if (lines.length === 0) {
    if (cartId) await repo.deleteCartHolds(tx, cartId);
    return;
  }
  const ids = lines.map((l) => l.variantId);
  // One round trip: the function creates the backorderable lines' missing levels, locks the level rows with a
  // statement of its own, then reserves with a statement that reads other carts' holds after the lock (holds
  // dropped by checkouts that committed while this one waited are gone; one statement would still count
  // them, and a hot SKU would refuse units that are free until the holds expire).
  const outcome = await repo.reserveStock(tx, {
    storeId,
    orderId,
    cartId,
    now,
    expiresAt: input.expiresAt,
    lines: lines.map((l) => ({ ...l, movementId: newId('movement') })),
  });
  if (outcome.alreadyReserved) return;
  if (outcome.reserved) {
    await stockChanged(onStockChange, tx, storeId, ids, productIdsOf(input.lines, ids));
    return;
  }
  // Nothing was written; name the first line that does not fit (the lock makes a partial write impossible).
  const short = outcome.lines.find((l) => !l.fits) ?? outcome.lines[0]!;
  throw insufficient(short.variantId, short.available);
}

/** The products of these variants when every line says its product; otherwise undefined (looked up). */
function productIdsOf(
  lines: ReadonlyArray<{ variantId: string; productId?: string | null }>,
  variantIds: string[],
): string[] | undefined {
  const byVariant = new Map(lines.map((l) => [l.variantId, l.productId]));
  const out = new Set<string>();
  for (const id of variantIds) {
    const p = byVariant.get(id);
    if (!p) return undefined;
    out.add(p);
  }
  return [...out];
}

/** What the caller knows of an order's lines: lets a settlement skip reading the reservations first. */
export interface KnownOrderLines {
  lines: ReadonlyArray<{ variantId: string; productId?: string | null }>;
}

/** Which order an order step applies to; `storeId` + `known` spare the read of its reservations. */
export interface OrderStockInput {
  orderId: string;
  storeId?: string;
  known?: KnownOrderLines;
}

/**
 * Applies one state change of an order's reservations to the levels, with one movement per variant, then
 * tells the listener about the variants that moved (after the change: it reads the new stock).
 */
async function settle(
  tx: Tx,
  input: OrderStockInput,
  from: repo.ReservationState,
  to: repo.ReservationState,
  reason: MovementReason,
  delta: { onHand: -1 | 0 | 1; committed: -1 | 0 | 1 },
  onStockChange: StockChangeListener | undefined,
): Promise<void> {
  const { orderId } = input;
  const known = input.known && input.storeId ? input.known : undefined;
  const variantIds = known
    ? sortedUnique(known.lines.map((l) => l.variantId))
    : await repo.reservedVariants(tx, orderId, from);
  if (variantIds.length === 0) return;
  const movementIds = new Map(variantIds.map((v) => [v, newId('movement')]));
  const moved = await repo.settleReservations(tx, { orderId, from, to, reason, ...delta, movementIds });
  const byStore = new Map<string, string[]>();
  for (const r of moved) byStore.set(r.storeId, [...(byStore.get(r.storeId) ?? []), r.variantId]);
  for (const [storeId, ids] of byStore) {
    const productIds = known && storeId === input.storeId ? productIdsOf(known.lines, ids) : undefined;
    await stockChanged(onStockChange, tx, storeId, ids, productIds);
  }
}

/** Payment captured: reserved units leave the shelf (on_hand −= q, committed −= q). Idempotent. */
export async function commitOrder(
  tx: Tx,
  input: OrderStockInput,
  onStockChange?: StockChangeListener,
): Promise<void> {
  await settle(tx, input, 'reserved', 'committed', 'commit', { onHand: -1, committed: -1 }, onStockChange);
}

/** Payment failed, order cancelled or reservation expired: reserved units become free again. Idempotent. */
export async function releaseOrder(
  tx: Tx,
  input: OrderStockInput & { reason: 'release' | 'cancel' | 'expire' },
  onStockChange?: StockChangeListener,
): Promise<void> {
  await settle(tx, input, 'reserved', 'released', input.reason, { onHand: 0, committed: -1 }, onStockChange);
}

/**
 * A cancelled or refunded order whose stock was committed: its units go back on hand (movement 'return').
 * Only committed reservations are restocked (they move to 'returned'); reserved ones need releaseOrder.
 * Idempotent.
 */
export async function restockOrder(
  tx: Tx,
  input: OrderStockInput,
  onStockChange?: StockChangeListener,
): Promise<void> {
  await settle(tx, input, 'committed', 'returned', 'return', { onHand: 1, committed: 0 }, onStockChange);
}

/**
 * The stock operations that change on_hand or committed, bound to the app's listener (built by
 * createInventoryModule, passed to orders by src/app.ts): each calls it in the caller's transaction.
 */
export function createStockOperations(onStockChange?: StockChangeListener) {
  return {
    setStockLevels: (tx: Tx, rows: Parameters<typeof setStockLevels>[1]) =>
      setStockLevels(tx, rows, onStockChange),
    reserveForOrder: (tx: Tx, input: ReserveInput) => reserveForOrder(tx, input, onStockChange),
    commitOrder: (tx: Tx, input: OrderStockInput) => commitOrder(tx, input, onStockChange),
    releaseOrder: (tx: Tx, input: Parameters<typeof releaseOrder>[1]) =>
      releaseOrder(tx, input, onStockChange),
    restockOrder: (tx: Tx, input: OrderStockInput) => restockOrder(tx, input, onStockChange),
  };
}

export type StockOperations = ReturnType<typeof createStockOperations>;

/** For the catalog's stock-change record: the variants' in-stock state as a relation to embed in its statement. */
export const stockStateQuery = repo.stockStateQuery;

export interface AvailabilityOptions {
  /** Stock policies by variant id; when absent they are read from the catalog's variant table. */
  policies?: Map<string, StockPolicy>;
  /** Leave this cart's own holds out of the count (what this cart may still add). */
  exceptCartId?: string;
  /** Holds expiring at or before this instant are not counted; defaults to the current time. */
  now?: Date;
  /** Count no holds at all: the stock itself (on_hand − committed), one query fewer. */
  withoutHolds?: boolean;
}

/**
 * What each variant can sell now: available = on_hand − committed − live holds (never below 0; null when
 * the variant is not tracked), inStock = untracked, backorderable, or available > 0. Variants without a level
 * row count as 0 on hand; variants unknown to the store are out of stock.
 */
export async function getAvailability(
  db: Executor,
  storeId: string,
  variantIds: string[],
  options: AvailabilityOptions = {},
): Promise<Map<string, { available: number | null; inStock: boolean }>> {
  const ids = sortedUnique(variantIds);
  const now = options.now ?? new Date();
  const [levels, held, policies] = await Promise.all([
    repo.readLevels(db, storeId, ids),
    options.withoutHolds
      ? Promise.resolve(new Map<string, number>())
      : repo.liveHolds(db, storeId, ids, now, options.exceptCartId ?? null),
    options.policies ? Promise.resolve(options.policies) : repo.variantPolicies(db, storeId, ids),
  ]);
  const out = new Map<string, { available: number | null; inStock: boolean }>();
  for (const id of ids) {
    const level = levels.get(id);
    const policy = policies.get(id) ?? { trackInventory: true, allowBackorder: false };
    out.set(
      id,
      availabilityOf(policy, {
        onHand: level?.onHand ?? 0,
        committed: level?.committed ?? 0,
        held: held.get(id) ?? 0,
      }),
    );
  }
  return out;
}

const SWEEP_BATCH = 5000;

/** Deletes expired holds in batches; returns how many. Safe to run in several workers at once. */
export async function sweepExpiredHolds(db: Executor, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await repo.deleteExpiredHolds(db, now, SWEEP_BATCH);
    total += n;
    if (n < SWEEP_BATCH) return total;
  }
}

/**
 * Orders whose reservations are still 'reserved' past their expiry, oldest first. Releasing them is the
 * orders module's decision (it reconciles with the gateway first), then it calls releaseOrder(…, 'expire').
 */
export async function listExpiredReservations(
  db: Executor,
  now: Date,
  limit: number,
): Promise<Array<{ orderId: string; storeId: string; expiresAt: Date }>> {
  return repo.expiredReservations(db, now, limit);
}

export function inventoryTasks(deps: { db: Executor; clock: Clock }): PeriodicTask[] {
  return [
    {
      name: 'inventory.sweep_holds',
      everyMs: 30_000,
      run: () => sweepExpiredHolds(deps.db, deps.clock.now()),
    },
  ];
}

// ——— admin use cases (secret key) ———

export interface LevelView {
  object: 'inventory_level';
  variant_id: string;
  on_hand: number;
  committed: number;
  held: number;
  available: number;
}

export function serializeMovement(m: repo.MovementRow) {
  return {
    id: m.id,
    object: 'inventory_movement' as const,
    variant_id: m.variantId,
    delta_on_hand: m.deltaOnHand,
    delta_committed: m.deltaCommitted,
    reason: m.reason,
    reference: m.reference,
    note: m.note,
    actor: m.actor,
    created_at: m.createdAt.toISOString(),
  };
}

export function createInventoryService(deps: {
  db: Executor;
  clock: Clock;
  onStockChange?: StockChangeListener;
}) {
  const { db, clock, onStockChange } = deps;

  async function assertVariant(tx: Executor, storeId: string, variantId: string) {
    const v = await repo.findVariantPolicy(tx, storeId, variantId);
    if (!v)
      throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId} in this store.`, {
        param: 'variant_id',
      });
    return v;
  }

  async function view(tx: Executor, storeId: string, variantId: string): Promise<LevelView> {
    const level = (await repo.readLevels(tx, storeId, [variantId])).get(variantId);
    const held = (await repo.liveHolds(tx, storeId, [variantId], clock.now(), null)).get(variantId) ?? 0;
    const onHand = level?.onHand ?? 0;
    const committed = level?.committed ?? 0;
    return {
      object: 'inventory_level',
      variant_id: variantId,
      on_hand: onHand,
      committed,
      held,
      available: freeToSell({ onHand, committed, held }),
    };
  }

  return {
    async getLevel(storeId: string, variantId: string): Promise<LevelView> {
      await assertVariant(db, storeId, variantId);
      return view(db, storeId, variantId);
    },

    /** Sets on-hand stock (a count); records a 'set' movement with the delta. Repeating it changes nothing. */
    async setLevel(storeId: string, variantId: string, onHand: number, actor?: string): Promise<LevelView> {
      return inTransaction(db, async (tx) => {
        await assertVariant(tx, storeId, variantId);
        await setStockLevels(tx, [{ storeId, variantId, onHand }], onStockChange, actor ?? null);
        return view(tx, storeId, variantId);
      });
    },

    /**
     * Adds `delta` to on-hand stock (a receipt, a loss) with an 'adjust' movement. On-hand may end below
     * committed (a count that finds fewer units is a fact to record), but never below zero.
     */
    async adjust(
      storeId: string,
      variantId: string,
      delta: number,
      note?: string,
      actor?: string,
    ): Promise<LevelView> {
      try {
        return await inTransaction(db, async (tx) => {
          await assertVariant(tx, storeId, variantId);
          await repo.ensureLevels(tx, storeId, [variantId]);
          const row = await repo.adjustOnHand(tx, storeId, variantId, delta);
          if (!row) {
            const cur = (await repo.readLevels(tx, storeId, [variantId])).get(variantId);
            const onHand = cur?.onHand ?? 0;
            if (!adjustmentAllowed(onHand, delta)) {
              throw new AppError(
                'INSUFFICIENT_STOCK',
                `Cannot remove ${-delta} units: only ${onHand} on hand.`,
                { param: 'delta', extra: { variant_id: variantId, on_hand: onHand } },
              );
            }
            throw new AppError('VARIANT_NOT_FOUND', `No variant ${variantId} in this store.`, {
              param: 'variant_id',
            });
          }
          await repo.insertMovements(tx, [
            movement(storeId, variantId, 'adjust', { onHand: delta }, null, note ?? null, actor ?? null),
          ]);
          await stockChanged(onStockChange, tx, storeId, [variantId]);
          return view(tx, storeId, variantId);
        });
      } catch (e) {
        if (pgErrorCode(e) === '22003') {
          throw new AppError('VALIDATION_FAILED', 'delta: the stock level would be out of range.', {
            param: 'delta',
          });
        }
        throw e;
      }
    },

    async listMovements(storeId: string, variantId: string, page: { limit: number; cursor?: string }) {
      await assertVariant(db, storeId, variantId);
      const listName = `inventory_movements:${variantId}`;
      const after = decodeCursor(listName, page.cursor, 1);
      const beforeSeq = after ? Number(after[0]) : null;
      if (beforeSeq !== null && !Number.isInteger(beforeSeq)) {
        throw new AppError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.', {
          param: 'cursor',
        });
      }
      const rs = await repo.listMovements(db, storeId, variantId, beforeSeq, page.limit + 1);
      return { rows: rs, cursorOf: (m: repo.MovementRow) => encodeCursor(listName, [m.seq]) };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
