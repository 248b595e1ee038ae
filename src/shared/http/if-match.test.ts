import { describe, expect, it } from 'vitest';
import { expectedVersion, parseIfMatch } from './if-match.ts';

describe('parseIfMatch', () => {
  it('reads a version, an ETag list, or *', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('"3"')).toEqual({ kind: 'version', version: 3 });
    expect(parseIfMatch('W/"3"')).toEqual({ kind: 'version', version: 3 });
    expect(parseIfMatch('7')).toEqual({ kind: 'version', version: 7 });
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch('"abc_-1", W/"weak", "def"')).toEqual({
      kind: 'etags',
      etags: ['"abc_-1"', '"def"'],
    });
  });

  it('refuses anything else naming the header', () => {
    for (const h of ['abc', '"unterminated', '"a" "b"', '']) {
      expect(() => parseIfMatch(h), h).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});

describe('expectedVersion', () => {
  const current = async () => ({ etag: '"now"', version: 4 });
  it('resolves an ETag against the current representation', async () => {
    expect(await expectedVersion({ bodyVersion: undefined, ifMatch: '"now"', current })).toBe(4);
    expect(await expectedVersion({ bodyVersion: 4, ifMatch: '"now"', current })).toBe(4);
    await expect(
      expectedVersion({ bodyVersion: undefined, ifMatch: '"then"', current }),
    ).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    await expect(expectedVersion({ bodyVersion: 3, ifMatch: '"4"' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    // Routes without ETags take only the version form.
    await expect(expectedVersion({ bodyVersion: undefined, ifMatch: '"then"' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
