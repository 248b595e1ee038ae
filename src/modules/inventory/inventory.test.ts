import { eq, type SQL, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DB_KIND, testApp } from '../../../test/support/harness.ts';
import { AppError } from '../../shared/app-error.ts';
import { fixedClock } from '../../shared/clock.ts';
import { inTransaction, rows, type Tx } from '../../shared/db.ts';
import { newId } from '../../shared/ids.ts';
import { product, variant } from '../catalog/index.ts';
import {
  commitOrder,
  createInventoryModule,
  getAvailability,
  listExpiredReservations,
  type PlaceHoldInput,
  placeHold,
  placeHoldAtomically,
  releaseHolds,
  releaseOrder,
  reserveForOrder,
  restockOrder,
  type StockOperations,
  setStockLevels,
  sweepExpiredHolds,
} from './index.ts';
import { reserveStock } from './inventory.repo.ts';
import {
  inventoryHold,
  inventoryLevel,
  inventoryMovement,
  inventoryReservation,
} from './inventory.tables.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const clock = fixedClock(T0);
const t = await testApp({ clock });
const db = t.database.db;
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function makeVariant(
  storeId: string,
  opts: { track?: boolean; backorder?: boolean; onHand?: number } = {},
) {
  const productId = newId('product');
  await db
    .insert(product)
    .values({ id: productId, storeId, title: 'Tee', slug: productId, status: 'active' });
  const id = newId('variant');
  await db.insert(variant).values({
    id,
    storeId,
    productId,
    sku: id,
    title: 'Tee',
    price: 1500,
    trackInventory: opts.track ?? true,
    allowBackorder: opts.backorder ?? false,
  });
  const onHand = opts.onHand;
  if (onHand !== undefined)
    await inTransaction(db, (tx) => setStockLevels(tx, [{ storeId, variantId: id, onHand }]));
  return id;
}

async function first<T>(query: SQL): Promise<T> {
  return (await rows<T>(db, query))[0]!;
}

async function level(variantId: string) {
  const [l] = await db.select().from(inventoryLevel).where(eq(inventoryLevel.variantId, variantId));
  return l;
}

async function movements(variantId: string) {
  return db
    .select()
    .from(inventoryMovement)
    .where(eq(inventoryMovement.variantId, variantId))
    .orderBy(inventoryMovement.seq);
}

/** The ledger: the sum of movements equals the level, for every variant of the store. */
async function expectLedgerBalanced(storeId: string) {
  const r = await rows<{
    variant_id: string;
    on_hand: number;
    committed: number;
    m_on_hand: number;
    m_committed: number;
  }>(
    db,
    sql`select l.variant_id, l.on_hand, l.committed,
               coalesce(sum(m.delta_on_hand), 0)::int as m_on_hand, coalesce(sum(m.delta_committed), 0)::int as m_committed
          from inventory_level l left join inventory_movement m on m.variant_id = l.variant_id
         where l.store_id = ${storeId}
         group by l.variant_id, l.on_hand, l.committed`,
  );
  expect(r.length).toBeGreaterThan(0);
  for (const x of r) {
    expect({ v: x.variant_id, on_hand: x.m_on_hand, committed: x.m_committed }).toEqual({
      v: x.variant_id,
      on_hand: x.on_hand,
      committed: x.committed,
    });
  }
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

const line = (variantId: string, qty: number, o: { track?: boolean; backorder?: boolean } = {}) => ({
  variantId,
  qty,
  trackInventory: o.track ?? true,
  allowBackorder: o.backorder ?? false,
});

/** A cart's hold of `qty` units of a tracked variant that cannot be backordered. */
const holdInput = (
  storeId: string,
  cartId: string,
  variantId: string,
  qty: number,
  now = T0,
  ttlSeconds = 900,
): PlaceHoldInput => ({
  storeId,
  cartId,
  variantId,
  qty,
  ttlSeconds,
  now,
  trackInventory: true,
  allowBackorder: false,
});

const hold = (storeId: string, cartId: string, variantId: string, qty: number, now = T0, ttlSeconds = 900) =>
  inTransaction(db, (tx) => placeHold(tx, holdInput(storeId, cartId, variantId, qty, now, ttlSeconds)));

const reserve = (
  tx: Tx,
  storeId: string,
  orderId: string,
  lines: ReturnType<typeof line>[],
  cartId: string | null = null,
  now = T0,
) =>
  reserveForOrder(tx, { storeId, orderId, cartId, lines, expiresAt: new Date(now.getTime() + 600_000), now });
/** The same reservation through a module's bound stock operations (which call its listener). */
const reserveVia = (
  stock: StockOperations,
  tx: Tx,
  storeId: string,
  orderId: string,
  lines: ReturnType<typeof line>[],
) =>
  stock.reserveForOrder(tx, {
    storeId,
    orderId,
    cartId: null,
    lines,
    expiresAt: new Date(T0.getTime() + 600_000),
    now: T0,
  });

describe('stock levels', () => {
  it('sets thousands of levels in batches, with a set movement per change only', async () => {
    const s = await t.createStore();
    const ids = Array.from({ length: 2500 }, () => newId('variant'));
    await inTransaction(db, (tx) =>
      setStockLevels(
        tx,
        ids.map((variantId, i) => ({ storeId: s.id, variantId, onHand: i % 7 })),
      ),
    );
    const { n } = await first<{ n: number }>(
      sql`select count(*)::int as n from inventory_level where store_id = ${s.id}`,
    );
    expect(n).toBe(2500);
    const { m } = await first<{ m: number }>(
      sql`select count(*)::int as m from inventory_movement where store_id = ${s.id} and reason = 'set'`,
    );
    expect(m).toBe(ids.filter((_, i) => i % 7 !== 0).length);
    // Same values again: nothing changes, nothing is recorded.
    await inTransaction(db, (tx) =>
      setStockLevels(
        tx,
        ids.slice(0, 10).map((variantId, i) => ({ storeId: s.id, variantId, onHand: i % 7 })),
      ),
    );
    await inTransaction(db, (tx) => setStockLevels(tx, [{ storeId: s.id, variantId: ids[3]!, onHand: 10 }]));
    const mv = await movements(ids[3]!);
    expect(mv.map((x) => [x.reason, x.deltaOnHand])).toEqual([
      ['set', 3],
      ['set', 7],
    ]);
    await expectLedgerBalanced(s.id);
  });
});

describe('holds', () => {
  it('refuse over-allocation between carts, counting only other carts', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 5 });
    await hold(s.id, 'cart_a', v, 3);
    const e = await refusal(hold(s.id, 'cart_b', v, 3));
    expect(e.code).toBe('INSUFFICIENT_STOCK');
    expect(e.details.param).toBe('quantity');
    expect(e.details.extra).toEqual({ variant_id: v, available: 2 });
    await hold(s.id, 'cart_b', v, 2);
    await hold(s.id, 'cart_a', v, 3); // renewing its own hold is not counted against itself
    await hold(s.id, 'cart_a', v, 1); // lowering always works
    await hold(s.id, 'cart_b', v, 4);
    expect((await refusal(hold(s.id, 'cart_c', v, 1))).code).toBe('INSUFFICIENT_STOCK');
    await hold(s.id, 'cart_a', v, 0); // removes it
    await hold(s.id, 'cart_c', v, 1);
    const hs = await db
      .select()
      .from(inventoryHold)
      .where(eq(inventoryHold.variantId, v))
      .orderBy(inventoryHold.cartId);
    expect(hs.map((h) => [h.cartId, h.qty])).toEqual([
      ['cart_b', 4],
      ['cart_c', 1],
    ]);
    // Holds never touch the ledger.
    expect((await movements(v)).map((m) => m.reason)).toEqual(['set']);
    await inTransaction(db, (tx) => releaseHolds(tx, { cartId: 'cart_b' }));
    await hold(s.id, 'cart_d', v, 4);
  });

  it('do not limit untracked or backorderable variants, and refuse variants without stock', async () => {
    const s = await t.createStore();
    const none = await makeVariant(s.id);
    expect((await refusal(hold(s.id, 'cart_a', none, 1))).details.extra).toEqual({
      variant_id: none,
      available: 0,
    });
    const untracked = await makeVariant(s.id, { track: false });
    await inTransaction(db, (tx) =>
      placeHold(tx, {
        storeId: s.id,
        cartId: 'cart_a',
        variantId: untracked,
        qty: 50,
        ttlSeconds: 60,
        now: T0,
        trackInventory: false,
        allowBackorder: false,
      }),
    );
    const back = await makeVariant(s.id, { backorder: true, onHand: 1 });
    await inTransaction(db, (tx) =>
      placeHold(tx, {
        storeId: s.id,
        cartId: 'cart_a',
        variantId: back,
        qty: 50,
        ttlSeconds: 60,
        now: T0,
        trackInventory: true,
        allowBackorder: true,
      }),
    );
  });

  it('expire after their TTL, freeing the stock, and the sweep deletes them', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 5 });
    await hold(s.id, 'cart_ttl_a', v, 5, T0, 60);
    expect((await refusal(hold(s.id, 'cart_ttl_b', v, 1, at(59)))).code).toBe('INSUFFICIENT_STOCK');
    expect((await getAvailability(db, s.id, [v], { now: at(59) })).get(v)).toEqual({
      available: 0,
      inStock: false,
    });
    expect((await getAvailability(db, s.id, [v], { now: at(60) })).get(v)).toEqual({
      available: 5,
      inStock: true,
    });
    await hold(s.id, 'cart_ttl_b', v, 5, at(60));
    const swept = await sweepExpiredHolds(db, at(60));
    expect(swept).toBeGreaterThanOrEqual(1);
    const left = await db.select().from(inventoryHold).where(eq(inventoryHold.variantId, v));
    expect(left.map((h) => h.cartId)).toEqual(['cart_ttl_b']);
  });
});

describe('order reservations', () => {
  it('are all or nothing across lines', async () => {
    const s = await t.createStore();
    const a = await makeVariant(s.id, { onHand: 5 });
    const b = await makeVariant(s.id, { onHand: 1 });
    const orderId = newId('order');
    // Straight on the pool, no surrounding transaction: the refusal must come before any write.
    const e = await refusal(inTransaction(db, (tx) => reserve(tx, s.id, orderId, [line(a, 2), line(b, 2)])));
    expect(e.code).toBe('INSUFFICIENT_STOCK');
    expect(e.details.extra).toMatchObject({ variant_id: b });
    expect((await level(a))!.committed).toBe(0);
    expect((await level(b))!.committed).toBe(0);
    expect(
      await db.select().from(inventoryReservation).where(eq(inventoryReservation.orderId, orderId)),
    ).toEqual([]);
    expect((await movements(a)).map((m) => m.reason)).toEqual(['set']);
  });

  it("count other carts' live holds, and drop the buying cart's holds", async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 3 });
    const w = await makeVariant(s.id, { onHand: 3 });
    await hold(s.id, 'cart_b', v, 2);
    await hold(s.id, 'cart_b', w, 1);
    const e = await refusal(
      inTransaction(db, (tx) => reserve(tx, s.id, newId('order'), [line(v, 2)], 'cart_a')),
    );
    expect(e.details.extra).toMatchObject({ variant_id: v, available: 1 });
    await inTransaction(db, (tx) => reserve(tx, s.id, newId('order'), [line(v, 3)], 'cart_b'));
    expect(await db.select().from(inventoryHold).where(eq(inventoryHold.cartId, 'cart_b'))).toEqual([]);
    expect(await level(v)).toMatchObject({ onHand: 3, committed: 3 });
    // An expired hold of another cart does not count.
    await hold(s.id, 'cart_c', w, 3, T0, 10);
    await inTransaction(db, (tx) => reserve(tx, s.id, newId('order'), [line(w, 3)], 'cart_a', at(11)));
    expect(await level(w)).toMatchObject({ onHand: 3, committed: 3 });
    await expectLedgerBalanced(s.id);
  });

  it('reserve, commit, release and restock are idempotent and keep the ledger balanced', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 10 });
    const u = await makeVariant(s.id, { track: false });
    const o1 = newId('order');
    await inTransaction(db, (tx) =>
      reserve(tx, s.id, o1, [line(v, 2), line(v, 1), line(u, 5, { track: false })]),
    );
    await inTransaction(db, (tx) => reserve(tx, s.id, o1, [line(v, 3)]));
    expect(await level(v)).toMatchObject({ onHand: 10, committed: 3 });
    const res = await db.select().from(inventoryReservation).where(eq(inventoryReservation.orderId, o1));
    expect(res.map((r) => [r.variantId, r.qty, r.state])).toEqual([[v, 3, 'reserved']]);

    await inTransaction(db, (tx) => commitOrder(tx, { orderId: o1 }));
    await inTransaction(db, (tx) => commitOrder(tx, { orderId: o1 }));
    await inTransaction(db, (tx) => releaseOrder(tx, { orderId: o1, reason: 'cancel' })); // committed: no-op
    expect(await level(v)).toMatchObject({ onHand: 7, committed: 0 });

    await inTransaction(db, (tx) => restockOrder(tx, { orderId: o1 }));
    await inTransaction(db, (tx) => restockOrder(tx, { orderId: o1 }));
    expect(await level(v)).toMatchObject({ onHand: 10, committed: 0 });

    const o2 = newId('order');
    await inTransaction(db, (tx) => reserve(tx, s.id, o2, [line(v, 4)]));
    await inTransaction(db, (tx) => releaseOrder(tx, { orderId: o2, reason: 'release' }));
    await inTransaction(db, (tx) => releaseOrder(tx, { orderId: o2, reason: 'release' }));
    await inTransaction(db, (tx) => commitOrder(tx, { orderId: o2 })); // released: no-op
    await inTransaction(db, (tx) => restockOrder(tx, { orderId: o2 })); // never committed: no-op
    expect(await level(v)).toMatchObject({ onHand: 10, committed: 0 });

    const mv = await movements(v);
    expect(mv.map((m) => [m.reason, m.deltaOnHand, m.deltaCommitted, m.reference])).toEqual([
      ['set', 10, 0, null],
      ['reserve', 0, 3, o1],
      ['commit', -3, -3, o1],
      ['return', 3, 0, o1],
      ['reserve', 0, 4, o2],
      ['release', 0, -4, o2],
    ]);
    expect(await movements(u)).toEqual([]);
    await expectLedgerBalanced(s.id);
  });

  it('lists expired reservations for the orders module and releases them with reason expire', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 2 });
    const o = newId('order');
    await inTransaction(db, (tx) =>
      reserveForOrder(tx, {
        storeId: s.id,
        orderId: o,
        cartId: null,
        lines: [line(v, 2)],
        expiresAt: at(300),
        now: T0,
      }),
    );
    expect((await listExpiredReservations(db, at(299), 100)).some((r) => r.orderId === o)).toBe(false);
    const expired = await listExpiredReservations(db, at(300), 100);
    expect(expired.find((r) => r.orderId === o)).toEqual({ orderId: o, storeId: s.id, expiresAt: at(300) });
    await inTransaction(db, (tx) => releaseOrder(tx, { orderId: o, reason: 'expire' }));
    expect((await listExpiredReservations(db, at(300), 100)).some((r) => r.orderId === o)).toBe(false);
    expect((await movements(v)).map((m) => m.reason)).toEqual(['set', 'reserve', 'expire']);
    expect(await level(v)).toMatchObject({ onHand: 2, committed: 0 });
  });

  it('let backorderable variants oversell on purpose', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { backorder: true, onHand: 1 });
    const fresh = await makeVariant(s.id, { backorder: true });
    const o = newId('order');
    await inTransaction(db, (tx) =>
      reserve(tx, s.id, o, [line(v, 3, { backorder: true }), line(fresh, 2, { backorder: true })]),
    );
    await inTransaction(db, (tx) => commitOrder(tx, { orderId: o }));
    expect(await level(v)).toMatchObject({ onHand: -2, committed: 0 });
    expect(await level(fresh)).toMatchObject({ onHand: -2, committed: 0 });
    expect((await getAvailability(db, s.id, [v])).get(v)).toEqual({ available: 0, inStock: true });
    await expectLedgerBalanced(s.id);
  });

  it('notify the stock-change listener in the same transaction', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 4 });
    const calls: Array<[string, string[]]> = [];
    const mod = createInventoryModule({
      db,
      auth: t.deps.auth,
      ids: t.deps.ids,
      clock,
      config: t.deps.config,
      onStockChange: async (_tx, storeId, ids) => {
        calls.push([storeId, ids]);
      },
    });
    const o = newId('order');
    await hold(s.id, 'cart_n', v, 1); // holds do not notify
    await inTransaction(db, (tx) => reserveVia(mod.stock, tx, s.id, o, [line(v, 1)]));
    await inTransaction(db, (tx) => mod.stock.commitOrder(tx, { orderId: o }));
    await inTransaction(db, (tx) => mod.stock.commitOrder(tx, { orderId: o }));
    expect(calls).toEqual([
      [s.id, [v]],
      [s.id, [v]],
    ]);
    // A listener that fails rolls the stock change back with it.
    const failing = createInventoryModule({
      db,
      auth: t.deps.auth,
      ids: t.deps.ids,
      clock,
      config: t.deps.config,
      onStockChange: async () => {
        throw new Error('listener down');
      },
    });
    await expect(
      inTransaction(db, (tx) => reserveVia(failing.stock, tx, s.id, newId('order'), [line(v, 1)])),
    ).rejects.toThrow('listener down');
    expect(await level(v)).toMatchObject({ onHand: 3, committed: 0 });
  });
});

describe('availability', () => {
  it('combines stock with each variant policy', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 5 });
    const none = await makeVariant(s.id);
    const untracked = await makeVariant(s.id, { track: false });
    const back = await makeVariant(s.id, { backorder: true });
    const foreign = await makeVariant((await t.createStore()).id, { onHand: 9 });
    await hold(s.id, 'cart_x', v, 2);
    await inTransaction(db, (tx) => reserve(tx, s.id, newId('order'), [line(v, 1)]));
    const a = await getAvailability(db, s.id, [v, none, untracked, back, foreign], { now: T0 });
    expect(Object.fromEntries(a)).toEqual({
      [v]: { available: 2, inStock: true },
      [none]: { available: 0, inStock: false },
      [untracked]: { available: null, inStock: true },
      [back]: { available: 0, inStock: true },
      [foreign]: { available: 0, inStock: false },
    });
    const mine = await getAvailability(db, s.id, [v], { now: T0, exceptCartId: 'cart_x' });
    expect(mine.get(v)).toEqual({ available: 4, inStock: true });
    const given = await getAvailability(db, s.id, [v], {
      now: T0,
      policies: new Map([[v, { trackInventory: false, allowBackorder: false }]]),
    });
    expect(given.get(v)).toEqual({ available: null, inStock: true });
  });
});

describe('concurrency', () => {
  it('50 concurrent checkouts for 10 units: exactly 10 succeed', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 10 });
    const other = await makeVariant(s.id, { onHand: 1000 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        inTransaction(db, (tx) =>
          // Half the orders also take another variant, so lock order across rows matters.
          reserve(
            tx,
            s.id,
            newId('order'),
            i % 2 ? [line(other, 1), line(v, 1)] : [line(v, 1)],
            `cart_c${i}`,
          ),
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter(
      (o) =>
        o.status === 'rejected' && o.reason instanceof AppError && o.reason.code === 'INSUFFICIENT_STOCK',
    ).length;
    expect(ok).toBe(10);
    expect(refused).toBe(40);
    expect(await level(v)).toMatchObject({ onHand: 10, committed: 10 });
    const { n } = await first<{ n: number }>(
      sql`select count(*)::int as n from inventory_reservation where variant_id = ${v} and state = 'reserved'`,
    );
    expect(n).toBe(10);
    expect((await getAvailability(db, s.id, [v])).get(v)).toEqual({ available: 0, inStock: false });
    await expectLedgerBalanced(s.id);
  });

  it('concurrent holds from 30 carts on 10 units: exactly 10 are placed', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 10 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        inTransaction(db, (tx) => placeHold(tx, holdInput(s.id, `cart_h${i}`, v, 1))),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBe(10);
    const { held } = await first<{ held: number }>(
      sql`select coalesce(sum(qty), 0)::int as held from inventory_hold where variant_id = ${v}`,
    );
    expect(held).toBe(10);
  });

  it('concurrent commits and releases of one order move stock once', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id, { onHand: 10 });
    const o = newId('order');
    await inTransaction(db, (tx) => reserve(tx, s.id, o, [line(v, 4)]));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        inTransaction(db, (tx) =>
          i % 2 ? commitOrder(tx, { orderId: o }) : releaseOrder(tx, { orderId: o, reason: 'release' }),
        ),
      ),
    );
    const l = (await level(v))!;
    expect(l.committed).toBe(0);
    expect([6, 10]).toContain(l.onHand);
    const mv = await movements(v);
    expect(mv.filter((m) => m.reason === 'commit' || m.reason === 'release')).toHaveLength(1);
    await expectLedgerBalanced(s.id);
  });
});

/** Resolves once a backend of this database waits for a lock in a statement that mentions `text`. */
async function waitingOnLock(text: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { n } = await first<{ n: number }>(
      sql`select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query like ${`%${text}%`}`,
    );
    if (n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no statement with ${text} waited for a lock`);
}

const autocommitHold = (storeId: string, cartId: string, variantId: string, qty: number) =>
  placeHoldAtomically(db, holdInput(storeId, cartId, variantId, qty));

/** A fresh variant of a fresh store, with `onHand` units. */
interface Stock {
  storeId: string;
  v: string;
}

/**
 * Two buyers race for a fresh variant's last units. `first` runs in a transaction and takes the variant's
 * level lock; before it commits, `second` starts (its statement's first snapshot predates `first`'s commit)
 * and waits for that lock in the database function `waitsIn`. Resolves once `first` has committed, with
 * `second` still to settle. `before` runs first, outside the race (e.g. a hold the first buyer already has).
 */
async function raceForLastUnit(o: {
  onHand: number;
  before?: (s: Stock) => Promise<unknown>;
  first: (tx: Tx, s: Stock) => Promise<unknown>;
  second: (s: Stock) => Promise<unknown>;
  waitsIn: 'inventory_place_hold' | 'inventory_reserve_order';
}): Promise<Stock & { second: Promise<unknown> }> {
  const storeId = (await t.createStore()).id;
  const stock = { storeId, v: await makeVariant(storeId, { onHand: o.onHand }) };
  await o.before?.(stock);
  let second: Promise<unknown> | undefined;
  await inTransaction(db, async (tx) => {
    await o.first(tx, stock);
    second = o.second(stock);
    second.catch(() => undefined);
    await waitingOnLock(o.waitsIn);
  });
  return { ...stock, second: second! };
}

// Several connections at once: PostgreSQL only (PGlite has one connection, a waiter would never be let in).
describe.runIf(DB_KIND === 'postgres')('one-round-trip holds and reservations under contention', () => {
  it('two carts racing for the last unit without a transaction: exactly one gets it, every time', async () => {
    const s = await t.createStore();
    for (let round = 0; round < 10; round++) {
      const v = await makeVariant(s.id, { onHand: 1 });
      const outcomes = await Promise.allSettled([
        autocommitHold(s.id, `cart_r${round}a`, v, 1),
        autocommitHold(s.id, `cart_r${round}b`, v, 1),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(AppError);
      expect(refused.reason.details.extra).toEqual({ variant_id: v, available: 0 });
      const { held } = await first<{ held: number }>(
        sql`select coalesce(sum(qty), 0)::int as held from inventory_hold where variant_id = ${v}`,
      );
      expect(held).toBe(1);
    }
  });

  it('a hold committed while another cart waits for the lock counts against it (no oversell)', async () => {
    const { v, second } = await raceForLastUnit({
      onHand: 1,
      first: (tx, { storeId, v }) => placeHold(tx, holdInput(storeId, 'cart_first', v, 1)),
      second: ({ storeId, v }) => autocommitHold(storeId, 'cart_second', v, 1),
      waitsIn: 'inventory_place_hold',
    });
    const e = await refusal(second);
    expect(e.details.extra).toEqual({ variant_id: v, available: 0 });
  });

  it('a hold dropped by a checkout that commits while a cart waits for the lock is free to it (no undersell)', async () => {
    const { v, second } = await raceForLastUnit({
      onHand: 2,
      before: ({ storeId, v }) => hold(storeId, 'cart_buyer', v, 2),
      // The buyer checks out one of its two held units: committed 1, its holds dropped, 1 unit free.
      first: (tx, { storeId, v }) => reserve(tx, storeId, newId('order'), [line(v, 1)], 'cart_buyer'),
      second: ({ storeId, v }) => autocommitHold(storeId, 'cart_waiting', v, 1),
      waitsIn: 'inventory_place_hold',
    });
    await second;
    expect(await level(v)).toMatchObject({ onHand: 2, committed: 1 });
    const hs = await db.select().from(inventoryHold).where(eq(inventoryHold.variantId, v));
    expect(hs.map((h) => [h.cartId, h.qty])).toEqual([['cart_waiting', 1]]);
  });

  it('a checkout waiting for the lock sees the holds a committed checkout dropped (no undersell)', async () => {
    const { storeId, v, second } = await raceForLastUnit({
      onHand: 2,
      before: ({ storeId, v }) => hold(storeId, 'cart_one', v, 2),
      first: (tx, { storeId, v }) => reserve(tx, storeId, newId('order'), [line(v, 1)], 'cart_one'),
      second: ({ storeId, v }) =>
        inTransaction(db, (tx) => reserve(tx, storeId, newId('order'), [line(v, 1)], 'cart_two')),
      waitsIn: 'inventory_reserve_order',
    });
    await second;
    expect(await level(v)).toMatchObject({ onHand: 2, committed: 2 });
    await expectLedgerBalanced(storeId);
  });
});

// pg_stat_xact_user_tables counts the scans of the current transaction: PostgreSQL only.
describe.runIf(DB_KIND === 'postgres')('the stock functions on a growing store', () => {
  it('read level and hold rows by key, never by scanning the tables, whatever the statistics say', async () => {
    // The functions' plans are made once per connection; made while these tables were small (as in this
    // test database, never analyzed), a plan that scanned them whole would go on scanning as they grow.
    const storeId = (await t.createStore()).id;
    const vs: string[] = [];
    for (let i = 0; i < 3; i++) vs.push(await makeVariant(storeId, { onHand: 10 }));
    for (let i = 0; i < 3; i++) await hold(storeId, `cart_other_${i}`, vs[i]!, 1);
    for (let round = 0; round < 3; round++) {
      const scans = await inTransaction(db, async (tx) => {
        // The view also counts what this connection did before and has not reported yet: take the difference.
        const counts = () =>
          rows<{ relname: string; seq_scan: number }>(
            tx,
            sql`select relname, seq_scan::int from pg_stat_xact_user_tables
                 where relname in ('inventory_level', 'inventory_hold', 'inventory_reservation')
                 order by relname`,
          );
        const before = new Map((await counts()).map((x) => [x.relname, x.seq_scan]));
        await rows(
          tx,
          sql`select * from inventory_place_hold(${storeId}, ${`cart_scan_${round}`}, ${vs[0]!}, 1,
                                                 ${T0.toISOString()}::timestamptz, ${at(900).toISOString()}::timestamptz)`,
        );
        const r = await reserveStock(tx, {
          storeId,
          orderId: newId('order'),
          cartId: 'cart_buyer',
          now: T0,
          expiresAt: at(600),
          lines: [vs[1]!, vs[2]!].map((v, i) => ({
            variantId: v,
            qty: i + 1,
            allowBackorder: false,
            movementId: newId('movement'),
          })),
        });
        expect(r.reserved).toBe(true);
        return (await counts()).map((x) => ({ ...x, seq_scan: x.seq_scan - (before.get(x.relname) ?? 0) }));
      });
      expect(
        scans.filter((x) => x.seq_scan > 0),
        `round ${round}`,
      ).toEqual([]);
    }
    expect(await level(vs[1]!)).toMatchObject({ onHand: 10, committed: 3 });
    expect(await level(vs[2]!)).toMatchObject({ onHand: 10, committed: 6 });
  });
});

describe('admin routes', () => {
  it('read, set, adjust and list the ledger of a variant', async () => {
    const s = await t.createStore();
    const v = await makeVariant(s.id);
    const get0 = await t.request('GET', `/v1/inventory/${v}`, { key: s.sk });
    expect(get0.status).toBe(200);
    expect(get0.json).toEqual({
      object: 'inventory_level',
      variant_id: v,
      on_hand: 0,
      committed: 0,
      held: 0,
      available: 0,
    });

    const put = await t.request('PUT', `/v1/inventory/${v}`, { key: s.sk, body: { on_hand: 12 } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ on_hand: 12, available: 12 });
    expect((await t.request('PUT', `/v1/inventory/${v}`, { key: s.sk, body: { on_hand: 12 } })).status).toBe(
      200,
    );

    await hold(s.id, 'cart_r', v, 2);
    await inTransaction(db, (tx) => reserve(tx, s.id, newId('order'), [line(v, 3)]));
    const adj = await t.request('POST', `/v1/inventory/${v}/adjust`, {
      key: s.sk,
      body: { delta: -5, note: 'damaged' },
    });
    expect(adj.status).toBe(200);
    expect(adj.json).toEqual({
      object: 'inventory_level',
      variant_id: v,
      on_hand: 7,
      committed: 3,
      held: 2,
      available: 2,
    });

    const tooMuch = await t.request('POST', `/v1/inventory/${v}/adjust`, { key: s.sk, body: { delta: -8 } });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.json.error).toMatchObject({ code: 'INSUFFICIENT_STOCK', param: 'delta' });
    // Below committed is allowed (the count is a fact); available goes negative for the merchant to see.
    const shrink = await t.request('POST', `/v1/inventory/${v}/adjust`, { key: s.sk, body: { delta: -6 } });
    expect(shrink.json).toMatchObject({ on_hand: 1, committed: 3, available: -4 });

    const zero = await t.request('POST', `/v1/inventory/${v}/adjust`, { key: s.sk, body: { delta: 0 } });
    expect(zero.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'delta' });
    const neg = await t.request('PUT', `/v1/inventory/${v}`, { key: s.sk, body: { on_hand: -1 } });
    expect(neg.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'on_hand' });
    const extra = await t.request('PUT', `/v1/inventory/${v}`, {
      key: s.sk,
      body: { on_hand: 1, committed: 0 },
    });
    expect(extra.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'committed' });

    const p1 = await t.request('GET', `/v1/inventory/${v}/movements?limit=2`, { key: s.sk });
    expect(p1.status).toBe(200);
    expect(p1.json.data.map((m: { reason: string }) => m.reason)).toEqual(['adjust', 'adjust']);
    expect(p1.json.data[1]).toMatchObject({
      object: 'inventory_movement',
      delta_on_hand: -5,
      note: 'damaged',
      actor: expect.stringMatching(/^key:/),
    });
    expect(p1.json.has_more).toBe(true);
    const p2 = await t.request('GET', `/v1/inventory/${v}/movements?limit=2&cursor=${p1.json.next_cursor}`, {
      key: s.sk,
    });
    expect(
      p2.json.data.map((m: { reason: string; delta_on_hand: number; delta_committed: number }) => [
        m.reason,
        m.delta_on_hand,
        m.delta_committed,
      ]),
    ).toEqual([
      ['reserve', 0, 3],
      ['set', 12, 0],
    ]);
    // Who set the stock by hand is recorded; an order's movement has no actor.
    expect(p2.json.data.map((m: { actor: string | null }) => m.actor?.slice(0, 4) ?? null)).toEqual([
      null,
      'key:',
    ]);
    expect(p2.json).toMatchObject({ has_more: false, next_cursor: null });

    const other = await makeVariant(s.id);
    const wrongList = await t.request(
      'GET',
      `/v1/inventory/${other}/movements?cursor=${p1.json.next_cursor}`,
      {
        key: s.sk,
      },
    );
    expect(wrongList.json.error.code).toBe('INVALID_CURSOR');
    await expectLedgerBalanced(s.id);
  });

  it("never let one store's key see or touch another store's stock", async () => {
    const a = await t.createStore();
    const b = await t.createStore();
    const v = await makeVariant(a.id, { onHand: 5 });
    const attempts = [
      await t.request('GET', `/v1/inventory/${v}`, { key: b.sk }),
      await t.request('PUT', `/v1/inventory/${v}`, { key: b.sk, body: { on_hand: 99 } }),
      await t.request('POST', `/v1/inventory/${v}/adjust`, { key: b.sk, body: { delta: 5 } }),
      await t.request('GET', `/v1/inventory/${v}/movements`, { key: b.sk }),
    ];
    for (const r of attempts) {
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'VARIANT_NOT_FOUND', param: 'variant_id' });
    }
    expect(await level(v)).toMatchObject({ onHand: 5, committed: 0 });
    expect((await movements(v)).length).toBe(1);
    // Store B's stock functions do not see store A's level either.
    expect(
      (await refusal(inTransaction(db, (tx) => reserve(tx, b.id, newId('order'), [line(v, 1)])))).code,
    ).toBe('INSUFFICIENT_STOCK');
    expect((await refusal(hold(b.id, 'cart_z', v, 1))).code).toBe('INSUFFICIENT_STOCK');

    const pk = await t.request('GET', `/v1/inventory/${v}`, { key: a.pk });
    expect(pk.status).toBe(403);
    expect(pk.json.error.code).toBe('SECRET_KEY_REQUIRED');
    const bad = await t.request('GET', '/v1/inventory/prod_123', { key: a.sk });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'VALIDATION_FAILED', param: 'variant_id' });
    const anon = await t.request('GET', `/v1/inventory/${v}`);
    expect(anon.status).toBe(401);
  });
});
