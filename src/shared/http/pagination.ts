import { z } from '@hono/zod-openapi';
import { AppError } from '../app-error.ts';

/** List envelope of DESIGN §6. */
export function list<T>(data: T[], limit: number, cursorOf: (last: T) => string) {
  const hasMore = data.length > limit;
  const page = hasMore ? data.slice(0, limit) : data;
  const last = page[page.length - 1];
  return {
    object: 'list' as const,
    data: page,
    has_more: hasMore,
    next_cursor: hasMore && last ? cursorOf(last) : null,
  };
}

export const limitParam = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .openapi({ param: { name: 'limit', in: 'query' }, example: 20 });

export const cursorParam = z
  .string()
  .max(512)
  .optional()
  .openapi({ param: { name: 'cursor', in: 'query' } });

/**
 * Opaque cursors: base64url JSON with the list's name, so a cursor of one list is refused by another.
 * `values` are the sort key of the last row seen.
 */
export function encodeCursor(list: string, values: (string | number)[]): string {
  return Buffer.from(JSON.stringify({ l: list, v: values })).toString('base64url');
}

export function decodeCursor(
  list: string,
  cursor: string | undefined,
  arity: number,
): (string | number)[] | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      l?: unknown;
      v?: unknown;
    };
    if (
      parsed.l === list &&
      Array.isArray(parsed.v) &&
      parsed.v.length === arity &&
      parsed.v.every(
        (x) => (typeof x === 'string' && x.length < 256) || (typeof x === 'number' && Number.isFinite(x)),
      )
    ) {
      return parsed.v as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw new AppError('INVALID_CURSOR', 'The cursor is malformed or belongs to another list.', {
    param: 'cursor',
  });
}
