import { createHash, randomBytes } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor, Tx } from '../../shared/db.ts';
import type { IdGenerator } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { type NamedWrite, type Write, writeTogether } from '../../shared/write-together.ts';
import { appendEvent as appendStoreEvent, isEventType } from '../events/index.ts';
import type { GatewayChoice, PaymentGateway } from '../payments/index.ts';
import type { StoreSettings } from '../stores/index.ts';
import * as repo from './orders.repo.ts';
import { serializeOrder } from './orders.serialize.ts';
import type { OrderAddress, OrderLineRow, OrderRow, OrderShipping, OrderStatus } from './orders.tables.ts';

/** The inventory operations orders need (the inventory module's exports fit this shape). */
export interface OrdersInventory {
  reserveForOrder(
    tx: Tx,
    input: {
      storeId: string;
      orderId: string;
      cartId: string | null;
      lines: Array<{
        variantId: string;
        productId: string | null;
        qty: number;
        trackInventory: boolean;
        allowBackorder: boolean;
      }>;
      expiresAt: Date;
      now: Date;
    },
  ): Promise<unknown>;
  commitOrder(tx: Tx, input: { orderId: string; storeId?: string; known?: KnownLines }): Promise<unknown>;
  releaseOrder(tx: Tx, input: { orderId: string; reason: 'release' | 'cancel' | 'expire' }): Promise<unknown>;
  restockOrder(tx: Tx, input: { orderId: string }): Promise<unknown>;
  listExpiredReservations(
    db: Executor,
    now: Date,
    limit: number,
  ): Promise<Array<{ orderId: string; storeId: string }>>;
}

/** The order's lines as the caller already has them (a settlement then reads nothing it knows). */
export interface KnownLines {
  lines: readonly OrderLineRow[];
}

/** The coupon operations orders need (the pricing module's exports fit this shape). */
export interface OrdersCoupons {
  /** The writes that take one use for an order of this transaction; `taken` (select list) reads 1 or 0. */
  couponRedemptionWrites(input: { storeId: string; couponId: string; orderId: string }): {
    writes: NamedWrite[];
    taken: SQL;
  };
  /** Why the use was not taken: the error to throw. */
  couponRefusal(tx: Tx, input: { storeId: string; couponId: string }): Promise<Error>;
  releaseCouponRedemption(tx: Tx, input: { couponId: string; orderId: string }): Promise<unknown>;
}

export interface OrdersDeps {
  db: Executor;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: { RECONCILE_AFTER_SECONDS: number; HOLD_TTL_SECONDS: number };
  inventory: OrdersInventory;
  coupons: OrdersCoupons;
  gateways: { forMode(settings: StoreSettings, choice: GatewayChoice): PaymentGateway };
  stores: { getStoreCached(id: string): Promise<{ settings: StoreSettings }> };
}

export interface NewOrderLine {
  variantId: string;
  productId: string | null;
  productTitle: string;
  sku: string;
  title: string;
  unitPrice: number;
  qty: number;
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  trackInventory: boolean;
  allowBackorder: boolean;
}

export interface PlaceOrderInput {
  storeId: string;
  /** From the key that checks out: a test order never reaches a live gateway and the other way round. */
  livemode: boolean;
  checkoutKey: string;
  checkoutFingerprint: string;
  cartId: string | null;
  /** The signed-in customer placing the order, if any. */
  customerId?: string | null;
  email: string;
  currency: string;
  shippingAddress: OrderAddress | null;
  billingAddress: OrderAddress | null;
  shipping: OrderShipping | null;
  totals: {
    subtotal: number;
    discountTotal: number;
    shippingTotal: number;
    taxTotal: number;
    total: number;
    taxInclusive: boolean;
  };
  coupon: { id: string; code: string } | null;
  gateway: 'test' | 'stripe';
  captureMode: 'automatic' | 'manual';
  lines: NewOrderLine[];
}

/** What a key may see: its store, in its mode; and who acts (recorded on the events of admin actions). */
export interface OrderScope {
  storeId: string;
  livemode: boolean;
  /** `staff:<id>` or `key:<id>`; absent for the system's own work. */
  actor?: string;
}

export type SettleSource = 'checkout' | 'webhook' | 'reconcile' | 'admin';

/** Authorize-only payments keep their stock reserved this long (a card authorization's usual life). */
export const AUTHORIZATION_HOLD_MS = 7 * 86_400_000;
/** How long a claimed order is left to the worker that claimed it. */
export const RECONCILE_LEASE_MS = 60_000;
/** A refund left pending this long is retried (same gateway idempotency key, so never twice). */
export const STALE_REFUND_MS = 30_000;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
export const newSecret = () => `osec_${randomBytes(24).toString('base64url')}`;

export function notFound(id: string): AppError {
  return new AppError('ORDER_NOT_FOUND', `No order ${id} in this store.`, { param: 'id' });
}

/** What every part of the orders service shares: its effects, the audit and outbox writer, the look-ups. */
export function createOrdersContext(deps: OrdersDeps) {
  const { db, ids, clock, logger, inventory, coupons } = deps;

  async function gatewayOf(o: Pick<OrderRow, 'storeId' | 'gateway' | 'livemode'>): Promise<PaymentGateway> {
    const s = await deps.stores.getStoreCached(o.storeId);
    // An order stays with the gateway and the mode it was paid through, even if the store switched since.
    return deps.gateways.forMode(s.settings, {
      gateway: o.gateway as 'test' | 'stripe',
      livemode: o.livemode,
    });
  }

  /**
   * The audit row and, for transitions and money movements, the event (events module) carrying the order as
   * `GET /v1/orders/{id}` shows it, as writes for the caller's transaction. `lines` are the order's lines,
   * needed when the event is published (the caller passes what it has; `record` reads them otherwise).
   */
  function recordWrites(
    tx: Tx,
    o: OrderRow,
    e: {
      type: string;
      from?: OrderStatus | null;
      to?: OrderStatus | null;
      data?: Record<string, unknown>;
      publish?: boolean;
      lines?: readonly OrderLineRow[];
      /** Published beside the order in the event's `data` (the fulfilment, the refund). */
      related?: Record<string, unknown>;
      /** Who asked for it (admin actions); the audit row says `system` otherwise. */
      actor?: string;
    },
    now: Date,
  ): Write[] {
    const audit = repo.appendEvent(tx, {
      id: ids('orderEvent'),
      storeId: o.storeId,
      orderId: o.id,
      type: e.type,
      fromStatus: e.from ?? null,
      toStatus: e.to ?? null,
      data: e.data ?? {},
      actor: e.actor ?? 'system',
      createdAt: now,
    });
    if (e.publish === false) return [audit];
    if (!e.lines) throw new Error(`recordWrites: the lines of order ${o.id} are needed to publish ${e.type}`);
    if (!isEventType(e.type)) throw new Error(`recordWrites: ${e.type} is not in the event catalogue`);
    return [
      audit,
      appendStoreEvent(tx, {
        id: ids('event'),
        storeId: o.storeId,
        livemode: o.livemode,
        type: e.type,
        object: serializeOrder(o, [...e.lines]),
        related: e.related,
        createdAt: now,
      }),
    ];
  }

  /**
   * The audit row and, for transitions and money movements, the event: always in the caller's transaction.
   * Reads the order's lines when the caller does not pass them (one statement, off the checkout path).
   */
  async function record(
    tx: Tx,
    o: OrderRow,
    e: Parameters<typeof recordWrites>[2],
    now: Date,
  ): Promise<void> {
    const lines = e.publish === false || e.lines ? e.lines : await repo.linesOf(tx, o.id);
    await writeTogether(tx, recordWrites(tx, o, { ...e, lines }, now));
  }

  async function mustFind(storeId: string, id: string, executor: Executor = db): Promise<OrderRow> {
    const o = await repo.findOrder(executor, storeId, id);
    if (!o) throw notFound(id);
    return o;
  }

  /** An order as a key sees it: an order of the other mode does not exist for it. */
  async function mustFindInMode(scope: OrderScope, id: string): Promise<OrderRow> {
    const o = await repo.findOrder(db, scope.storeId, id, scope.livemode);
    if (!o) throw notFound(id);
    return o;
  }

  return {
    deps,
    db,
    ids,
    clock,
    logger,
    inventory,
    coupons,
    gatewayOf,
    recordWrites,
    record,
    mustFind,
    mustFindInMode,
  };
}

export type OrdersContext = ReturnType<typeof createOrdersContext>;
