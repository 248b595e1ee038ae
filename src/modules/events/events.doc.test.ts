import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE, EVENT_TYPES } from './events.catalogue.ts';
import { renderEventsDoc } from './events.doc.ts';
import { parseTypeFilter } from './events.rules.ts';

describe('docs/events.md', () => {
  it('is the catalogue rendered (run `npm run docs:events` after changing it)', () => {
    const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...EVENT_TYPES]);
    expect(doc).toBe(renderEventsDoc());
  });

  it('describes every type: its meaning, its object and when it fires', () => {
    for (const [type, e] of Object.entries(EVENT_CATALOGUE)) {
      expect(e.description.length, type).toBeGreaterThan(10);
      expect(e.fires.length, type).toBeGreaterThan(10);
    }
  });

  it('parses the type filter: one, a list, a family; refuses unknown names', () => {
    expect(parseTypeFilter('order.paid')).toEqual(['order.paid']);
    expect(parseTypeFilter('order.paid, product.created')).toEqual(['order.paid', 'product.created']);
    expect(parseTypeFilter('inventory.*')).toEqual(['inventory.low_stock', 'inventory.out_of_stock']);
    expect(() => parseTypeFilter('webhook.test')).toThrow(/Unknown event type/);
    expect(() => parseTypeFilter('order')).toThrow(/Unknown event type/);
    expect(() => parseTypeFilter('order.paid,')).toThrow(/Unknown event type/);
  });
});
