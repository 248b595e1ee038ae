import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../../shared/db.ts';
import type { NamedWrite } from '../../shared/write-together.ts';
import type { Coupon, ShippingRate, TaxRate } from './pricing.rules.ts';
import { coupon, couponRedemption, shippingRate, taxRate } from './pricing.tables.ts';

export type CouponRow = typeof coupon.$inferSelect;
export type TaxRateRow = typeof taxRate.$inferSelect;
export type ShippingRateRow = typeof shippingRate.$inferSelect;

export const toCoupon = (r: CouponRow): Coupon => ({
  id: r.id,
  code: r.code,
  kind: r.kind,
  value: r.value,
  minSubtotal: r.minSubtotal,
  startsAt: r.startsAt,
  endsAt: r.endsAt,
  usageLimit: r.usageLimit,
  usedCount: r.usedCount,
  active: r.active,
});

export const toTaxRate = (r: TaxRateRow): TaxRate => ({
  id: r.id,
  country: r.country,
  region: r.region,
  rate: r.rate,
  name: r.name,
  appliesToShipping: r.appliesToShipping,
});

export const toShippingRate = (r: ShippingRateRow): ShippingRate => ({
  id: r.id,
  name: r.name,
  countries: r.countries,
  kind: r.kind,
  amount: r.amount,
  weightBands: r.weightBands,
  freeAbove: r.freeAbove,
});

export interface Page {
  limit: number;
  /** id of the last row of the previous page; lists run newest first */
  before: string | null;
}

// ---- coupons

export async function insertCoupon(tx: Executor, row: typeof coupon.$inferInsert): Promise<CouponRow> {
  const [r] = await tx.insert(coupon).values(row).returning();
  return r!;
}

export async function findCoupon(tx: Executor, storeId: string, id: string): Promise<CouponRow | undefined> {
  const [r] = await tx
    .select()
    .from(coupon)
    .where(and(eq(coupon.storeId, storeId), eq(coupon.id, id)))
    .limit(1);
  return r;
}

export async function findCouponByCode(
  tx: Executor,
  storeId: string,
  code: string,
): Promise<CouponRow | undefined> {
  const [r] = await tx
    .select()
    .from(coupon)
    .where(and(eq(coupon.storeId, storeId), sql`lower(${coupon.code}) = lower(${code})`))
    .limit(1);
  return r;
}

export async function listCoupons(tx: Executor, storeId: string, page: Page): Promise<CouponRow[]> {
  return tx
    .select()
    .from(coupon)
    .where(and(eq(coupon.storeId, storeId), page.before ? lt(coupon.id, page.before) : undefined))
    .orderBy(desc(coupon.id))
    .limit(page.limit + 1);
}

/** Applies `patch` only if the row is still at `version`; undefined when it is gone or has moved on. */
export async function updateCoupon(
  tx: Executor,
  key: { storeId: string; id: string; version: number },
  patch: Partial<typeof coupon.$inferInsert>,
): Promise<CouponRow | undefined> {
  const [r] = await tx
    .update(coupon)
    .set({ ...patch, version: sql`${coupon.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(coupon.storeId, key.storeId), eq(coupon.id, key.id), eq(coupon.version, key.version)))
    .returning();
  return r;
}

export async function deleteCoupon(tx: Executor, storeId: string, id: string): Promise<boolean> {
  const r = await tx
    .delete(coupon)
    .where(and(eq(coupon.storeId, storeId), eq(coupon.id, id)))
    .returning({ id: coupon.id });
  return r.length > 0;
}

/**
 * Takes one use of the coupon if any is left. The condition is re-checked on the latest row version
 * after the row lock, so concurrent checkouts never redeem past the limit.
 */
export async function incrementCouponUse(tx: Executor, storeId: string, couponId: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update coupon set used_count = used_count + 1, updated_at = now()
        where id = ${couponId} and store_id = ${storeId} and active
          and (usage_limit is null or used_count < usage_limit)
        returning id`,
  );
  return r.length > 0;
}

export async function decrementCouponUse(tx: Executor, couponId: string): Promise<void> {
  await tx.execute(
    sql`update coupon set used_count = used_count - 1, updated_at = now() where id = ${couponId} and used_count > 0`,
  );
}

/**
 * Takes one use of a coupon for an order in one statement: the usage count goes up only where the coupon is
 * active, under its limit (re-checked on the row's newest version, so concurrent redemptions never pass it)
 * and not yet redeemed by the order; the redemption row is written from that update.
 */
export async function redeemOnce(
  tx: Tx,
  row: { couponId: string; orderId: string; storeId: string },
): Promise<{ alreadyRedeemed: boolean; counted: boolean; recorded: boolean }> {
  const r = await rows<{ already: boolean; counted: number; recorded: number }>(
    tx,
    sql`with already as (
           select exists (
             select 1 from coupon_redemption where coupon_id = ${row.couponId} and order_id = ${row.orderId}
           ) as yes
         ),
         counted as (
           update coupon set used_count = used_count + 1, updated_at = now()
            where id = ${row.couponId} and store_id = ${row.storeId} and active
              and (usage_limit is null or used_count < usage_limit)
              and not (select yes from already)
        returning id
         ),
         recorded as (
           insert into coupon_redemption (coupon_id, order_id, store_id)
           select id, ${row.orderId}, ${row.storeId} from counted
           on conflict do nothing
           returning order_id
         )
       select (select yes from already) as already,
              (select count(*) from counted)::int as counted,
              (select count(*) from recorded)::int as recorded`,
  );
  const x = r[0];
  return {
    alreadyRedeemed: x?.already === true,
    counted: Number(x?.counted ?? 0) > 0,
    recorded: Number(x?.recorded ?? 0) > 0,
  };
}

/**
 * The redemption of an order written in this transaction, as writes that join the order's own statement
 * (`writeTogether`): the usage count goes up only where the coupon is active and under its limit (re-checked on
 * the row's newest version after its lock, so concurrent redemptions never pass it), and the redemption row is
 * written from that update. `taken` is the select-list entry that reads 1 when the use was taken, 0 otherwise.
 * No "already redeemed" check: the order is new, nothing else can have redeemed for it.
 */
export function redemptionOfNewOrder(row: { couponId: string; orderId: string; storeId: string }): {
  writes: NamedWrite[];
  taken: SQL;
} {
  return {
    writes: [
      {
        as: 'coupon_taken',
        write: sql`update coupon set used_count = used_count + 1, updated_at = now()
                    where id = ${row.couponId} and store_id = ${row.storeId} and active
                      and (usage_limit is null or used_count < usage_limit)
                returning id`,
      },
      {
        as: 'coupon_redeemed',
        write: sql`insert into coupon_redemption (coupon_id, order_id, store_id)
                   select id, ${row.orderId}, ${row.storeId} from coupon_taken
                   returning order_id`,
      },
    ],
    taken: sql`(select count(*) from coupon_redeemed)::int as coupon_taken`,
  };
}

export async function deleteRedemption(tx: Executor, couponId: string, orderId: string): Promise<boolean> {
  const r = await tx
    .delete(couponRedemption)
    .where(and(eq(couponRedemption.couponId, couponId), eq(couponRedemption.orderId, orderId)))
    .returning({ id: couponRedemption.orderId });
  return r.length > 0;
}

export async function countRedemptions(tx: Executor, couponId: string): Promise<number> {
  const r = await rows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from coupon_redemption where coupon_id = ${couponId}`,
  );
  return r[0]?.n ?? 0;
}

// ---- tax rates

export async function insertTaxRate(tx: Executor, row: typeof taxRate.$inferInsert): Promise<TaxRateRow> {
  const [r] = await tx.insert(taxRate).values(row).returning();
  return r!;
}

export async function findTaxRate(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<TaxRateRow | undefined> {
  const [r] = await tx
    .select()
    .from(taxRate)
    .where(and(eq(taxRate.storeId, storeId), eq(taxRate.id, id)))
    .limit(1);
  return r;
}

export async function listTaxRates(
  tx: Executor,
  storeId: string,
  page: Page & { country?: string },
): Promise<TaxRateRow[]> {
  return tx
    .select()
    .from(taxRate)
    .where(
      and(
        eq(taxRate.storeId, storeId),
        page.country ? eq(taxRate.country, page.country) : undefined,
        page.before ? lt(taxRate.id, page.before) : undefined,
      ),
    )
    .orderBy(desc(taxRate.id))
    .limit(page.limit + 1);
}

export async function allTaxRates(tx: Executor, storeId: string): Promise<TaxRateRow[]> {
  return tx.select().from(taxRate).where(eq(taxRate.storeId, storeId)).orderBy(taxRate.id);
}

export async function updateTaxRate(
  tx: Executor,
  key: { storeId: string; id: string; version: number },
  patch: Partial<typeof taxRate.$inferInsert>,
): Promise<TaxRateRow | undefined> {
  const [r] = await tx
    .update(taxRate)
    .set({ ...patch, version: sql`${taxRate.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(taxRate.storeId, key.storeId), eq(taxRate.id, key.id), eq(taxRate.version, key.version)))
    .returning();
  return r;
}

export async function deleteTaxRate(tx: Executor, storeId: string, id: string): Promise<boolean> {
  const r = await tx
    .delete(taxRate)
    .where(and(eq(taxRate.storeId, storeId), eq(taxRate.id, id)))
    .returning({ id: taxRate.id });
  return r.length > 0;
}

// ---- shipping rates

export async function insertShippingRate(
  tx: Executor,
  row: typeof shippingRate.$inferInsert,
): Promise<ShippingRateRow> {
  const [r] = await tx.insert(shippingRate).values(row).returning();
  return r!;
}

export async function findShippingRate(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<ShippingRateRow | undefined> {
  const [r] = await tx
    .select()
    .from(shippingRate)
    .where(and(eq(shippingRate.storeId, storeId), eq(shippingRate.id, id)))
    .limit(1);
  return r;
}

export async function listShippingRates(
  tx: Executor,
  storeId: string,
  page: Page,
): Promise<ShippingRateRow[]> {
  return tx
    .select()
    .from(shippingRate)
    .where(and(eq(shippingRate.storeId, storeId), page.before ? lt(shippingRate.id, page.before) : undefined))
    .orderBy(desc(shippingRate.id))
    .limit(page.limit + 1);
}

export async function allShippingRates(tx: Executor, storeId: string): Promise<ShippingRateRow[]> {
  return tx.select().from(shippingRate).where(eq(shippingRate.storeId, storeId)).orderBy(shippingRate.id);
}

export async function updateShippingRate(
  tx: Executor,
  key: { storeId: string; id: string; version: number },
  patch: Partial<typeof shippingRate.$inferInsert>,
): Promise<ShippingRateRow | undefined> {
  const [r] = await tx
    .update(shippingRate)
    .set({ ...patch, version: sql`${shippingRate.version} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(shippingRate.storeId, key.storeId),
        eq(shippingRate.id, key.id),
        eq(shippingRate.version, key.version),
      ),
    )
    .returning();
  return r;
}

export async function deleteShippingRate(tx: Executor, storeId: string, id: string): Promise<boolean> {
  const r = await tx
    .delete(shippingRate)
    .where(and(eq(shippingRate.storeId, storeId), eq(shippingRate.id, id)))
    .returning({ id: shippingRate.id });
  return r.length > 0;
}
