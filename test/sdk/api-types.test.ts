import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSdkTypes } from '../../scripts/sdk-types.lib.ts';

describe('packages/sdk/src/api.d.ts', () => {
  it('matches the types generated from the current OpenAPI document (run `npm run sdk:types` when it does not)', async () => {
    const committed = readFileSync('packages/sdk/src/api.d.ts', 'utf8');
    const fresh = await renderSdkTypes();
    expect(fresh.length).toBeGreaterThan(10_000);
    expect(committed === fresh, 'api.d.ts is stale: run `npm run sdk:types`').toBe(true);
  });
});
