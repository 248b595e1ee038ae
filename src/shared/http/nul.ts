import type { MiddlewareHandler } from 'hono';
import { AppError } from '../app-error.ts';
import type { AppEnv } from './env.ts';

/** The path (`a.0.b`) of the first string or key holding a NUL character, or null when there is none. */
export function findNul(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, k.replaceAll('\u0000', '\\u0000')];
      const found = findNul(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

const refuse = (param: string) =>
  new AppError('VALIDATION_FAILED', `${param}: must not contain the NUL character (\\u0000).`, { param });

const ENCODED_NUL = '%00';
const JSON_NUL = '\\u0000';

/**
 * Refuses NUL characters in the path, the query string and JSON bodies with 400 VALIDATION_FAILED, once
 * for every route: PostgreSQL cannot store them in text, so they would otherwise fail deep in a query.
 */
export const rejectNul: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = c.req.url;
  if (url.includes(ENCODED_NUL)) {
    const parsed = new URL(url);
    if (parsed.pathname.includes(ENCODED_NUL)) throw refuse('path');
    for (const [k, v] of parsed.searchParams) {
      if (k.includes('\u0000') || v.includes('\u0000')) throw refuse(k.replaceAll('\u0000', '\\u0000'));
    }
  }
  const method = c.req.method;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
    const text = await c.req.text();
    if (text.includes(JSON_NUL)) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return next(); // the validator answers MALFORMED_JSON
      }
      const found = findNul(body);
      if (found) throw refuse(found.join('.') || 'body');
    }
  }
  return next();
};
