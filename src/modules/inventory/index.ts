/**
 * Inventory: stock levels, soft cart holds, hard order reservations and the movement ledger.
 *
 * Guarantees (DESIGN §5): no oversell with any number of processes on one database. Every writer that takes
 * units (raises `committed` or a hold) locks its `inventory_level` row first (`FOR UPDATE`, several rows always
 * in variant-id order), then checks and writes (writers that only free units — deleting holds, the expiry sweep
 * — need no lock); the conditional UPDATE repeats the check as a guard. A hold and
 * an order's reservation are each one call of a PL/pgSQL function (one round trip) that locks the level rows
 * with a statement of its own and reads other carts' holds with the next one, whose fresh snapshot (READ
 * COMMITTED) sees every hold change committed before the lock was granted. A hold is atomic on its own, so
 * `placeHoldAtomically` takes any executor (a single cart change runs it without a transaction). The
 * stock-change listener runs after each stock statement (it reads the new stock), so it holds the level rows'
 * locks one round trip longer.
 * Every change of on_hand/committed writes an `inventory_movement` row with its reason, so the ledger sums
 * to the levels. Every order step is idempotent (conditional updates on the reservation state).
 *
 * The stock operations take the caller's executor (usually its open transaction) and never open their own.
 *
 * Availability: `getAvailability(db, storeId, variantIds, options?)` combines the stock figures with each
 * variant's `track_inventory` / `allow_backorder`. Pass `options.policies` when you already hold them
 * (e.g. from the catalog cache); otherwise they are read from the variant table in the same round trip set.
 *
 * Change notification: `createInventoryModule({ …, onStockChange })` binds the listener into the module's
 * `stock` operations and service; they call it in the same transaction whenever on_hand or committed change
 * (not for holds). The bare exported functions take it as an optional last argument.
 */

import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import { inventoryRoutes } from './inventory.routes.ts';
import {
  createInventoryService,
  createStockOperations,
  inventoryTasks,
  type StockChangeListener,
} from './inventory.service.ts';

export type { StockPolicy } from './inventory.rules.ts';
export {
  type AvailabilityOptions,
  commitOrder,
  getAvailability,
  type InventoryService,
  inventoryTasks,
  type LevelView,
  listExpiredReservations,
  type PlaceHoldInput,
  placeHold,
  placeHoldAtomically,
  type ReserveInput,
  releaseHolds,
  releaseOrder,
  reserveForOrder,
  restockOrder,
  type StockChangeListener,
  type StockOperations,
  setStockLevels,
  stockStateQuery,
  sweepExpiredHolds,
} from './inventory.service.ts';
export { inventoryHold, inventoryLevel } from './inventory.tables.ts';

export interface InventoryDeps {
  db: Executor;
  auth: { secret: readonly MiddlewareHandler<AppEnv>[] };
  ids: IdGenerator;
  clock: Clock;
  config: Config;
  onStockChange?: StockChangeListener;
}

export function createInventoryModule(deps: InventoryDeps) {
  const service = createInventoryService({
    db: deps.db,
    clock: deps.clock,
    onStockChange: deps.onStockChange,
  });
  return {
    routes: inventoryRoutes({ service, secret: deps.auth.secret }),
    service,
    /** The stock operations of the money path, calling this module's `onStockChange` listener. */
    stock: createStockOperations(deps.onStockChange),
    tasks: inventoryTasks({ db: deps.db, clock: deps.clock }),
  };
}
