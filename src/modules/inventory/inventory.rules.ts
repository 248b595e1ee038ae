/**
 * Pure inventory rules: what a variant can sell, and how order lines fold into stock changes.
 * No database, no clock: data in, data out.
 */

/** How a variant takes part in stock keeping (from the catalog's variant). */
export interface StockPolicy {
  trackInventory: boolean;
  allowBackorder: boolean;
}

export interface StockFigures {
  onHand: number;
  committed: number;
  /** Units held by live cart holds that count against this buyer. */
  held: number;
}

/** Units free to sell: on hand, minus units promised to orders, minus other carts' live holds. */
export const freeToSell = (f: StockFigures): number => f.onHand - f.committed - f.held;

/**
 * The shopper-facing view. `available` is null for untracked variants (no limit) and never below zero
 * (oversold or backordered stock shows as 0); `inStock` says whether one more unit can be bought.
 */
export function availabilityOf(
  policy: StockPolicy,
  f: StockFigures,
): { available: number | null; inStock: boolean } {
  if (!policy.trackInventory) return { available: null, inStock: true };
  const available = Math.max(0, freeToSell(f));
  return { available, inStock: policy.allowBackorder || available > 0 };
}

export interface OrderLine extends StockPolicy {
  variantId: string;
  qty: number;
}

/**
 * The lines of an order that touch stock, one per variant (duplicates summed; a line that allows
 * backorder makes the variant backorderable), sorted by variant id so locks are taken in one order.
 */
export function stockLines(
  lines: OrderLine[],
): Array<{ variantId: string; qty: number; allowBackorder: boolean }> {
  const byVariant = new Map<string, { variantId: string; qty: number; allowBackorder: boolean }>();
  for (const l of lines) {
    if (!l.trackInventory || l.qty <= 0) continue;
    const cur = byVariant.get(l.variantId);
    if (cur) {
      cur.qty += l.qty;
      cur.allowBackorder ||= l.allowBackorder;
    } else {
      byVariant.set(l.variantId, { variantId: l.variantId, qty: l.qty, allowBackorder: l.allowBackorder });
    }
  }
  return [...byVariant.values()].sort((a, b) =>
    a.variantId < b.variantId ? -1 : a.variantId > b.variantId ? 1 : 0,
  );
}

/** A manual adjustment may not take on-hand stock below zero (only backordered sales can). */
export function adjustmentAllowed(onHand: number, delta: number): boolean {
  return delta >= 0 || onHand + delta >= 0;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const sortedUnique = (ids: string[]): string[] => [...new Set(ids)].sort();
