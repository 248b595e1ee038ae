import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './error-codes.ts';
import { renderErrorsDoc } from './errors-doc.ts';

describe('docs/errors.md', () => {
  it('lists exactly the codes of the catalogue (run `npm run docs:errors` after adding one)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(ERROR_CODES).sort());
    expect(doc).toBe(renderErrorsDoc());
  });

  it('gives every code an error status', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.description.length, code).toBeGreaterThan(10);
    }
  });
});
