import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids.ts';

describe('ids', () => {
  it('are well formed, unique and sorted in creation order, within a millisecond and across many', () => {
    const made: string[] = [];
    for (let i = 0; i < 5000; i++) made.push(newId('order', 1_700_000_000_000 + Math.floor(i / 50)));
    expect(made.every((id) => isId('order', id))).toBe(true);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });

  it('draw fresh random bytes for every millisecond (no two share their random part)', () => {
    const parts = new Set<string>();
    for (let ms = 0; ms < 2000; ms++) parts.add(newId('order', 1_800_000_000_000 + ms).slice(-16));
    expect(parts.size).toBe(2000);
  });
});
