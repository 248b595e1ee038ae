import { describe, expect, it } from 'vitest';
import { adjustmentAllowed, availabilityOf, chunks, stockLines } from './inventory.rules.ts';

const tracked = { trackInventory: true, allowBackorder: false };

describe('inventory rules', () => {
  it('shows availability clamped at zero, null for untracked variants', () => {
    expect(availabilityOf(tracked, { onHand: 5, committed: 2, held: 1 })).toEqual({
      available: 2,
      inStock: true,
    });
    expect(availabilityOf(tracked, { onHand: 2, committed: 3, held: 0 })).toEqual({
      available: 0,
      inStock: false,
    });
    expect(
      availabilityOf({ trackInventory: true, allowBackorder: true }, { onHand: -2, committed: 0, held: 0 }),
    ).toEqual({
      available: 0,
      inStock: true,
    });
    expect(
      availabilityOf({ trackInventory: false, allowBackorder: false }, { onHand: 0, committed: 0, held: 0 }),
    ).toEqual({
      available: null,
      inStock: true,
    });
  });

  it('folds order lines per variant, drops untracked ones and sorts by variant id', () => {
    const lines = stockLines([
      { variantId: 'var_b', qty: 2, trackInventory: true, allowBackorder: false },
      { variantId: 'var_a', qty: 1, trackInventory: true, allowBackorder: false },
      { variantId: 'var_b', qty: 3, trackInventory: true, allowBackorder: true },
      { variantId: 'var_c', qty: 9, trackInventory: false, allowBackorder: false },
    ]);
    expect(lines).toEqual([
      { variantId: 'var_a', qty: 1, allowBackorder: false },
      { variantId: 'var_b', qty: 5, allowBackorder: true },
    ]);
  });

  it('never lets an adjustment take on-hand stock below zero', () => {
    expect(adjustmentAllowed(3, -3)).toBe(true);
    expect(adjustmentAllowed(3, -4)).toBe(false);
    expect(adjustmentAllowed(-2, 1)).toBe(true);
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
