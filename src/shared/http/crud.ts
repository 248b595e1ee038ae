import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ID_PREFIXES, type IdKind } from '../ids.ts';
import type { AppEnv } from './env.ts';
import { expectedVersion } from './if-match.ts';
import { commonErrors, ErrorSchema, jsonBody, jsonContent } from './openapi.ts';
import { cursorParam, decodeCursor, encodeCursor, limitParam, list } from './pagination.ts';

/**
 * The pieces every admin CRUD resource repeats (create, list, get, patch, delete): id parameters, list and
 * delete responses, versions with `If-Match`, money amounts.
 */

/** An amount in minor units: well inside Number.MAX_SAFE_INTEGER even after summing many lines. */
export const money = z.number().int().min(0).max(1_000_000_000_000);

/** The `version` a client sends back with an update. */
export const resourceVersion = z.number().int().min(1).max(2_147_483_647);

/** A path id of one kind, e.g. `idParam('coupon', 'coupon')` accepts `cpn_…` only. */
export function idParam(kind: IdKind, noun: string) {
  const prefix = ID_PREFIXES[kind];
  return z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must be a ${noun} id (${prefix}_…)`);
}

/** `{ id }` path parameters for `idParam(kind, noun)`. */
export const idParams = (kind: IdKind, noun: string) => z.object({ id: idParam(kind, noun) });

/** The list envelope of the API: `{ object: 'list', data, has_more, next_cursor }`. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  });

export const Deleted = z
  .object({ id: z.string(), object: z.string(), deleted: z.literal(true) })
  .openapi('Deleted');

export const deleted = (id: string, object: string) => ({ id, object, deleted: true as const });

/** A list page of rows read one past `limit`, with an id cursor named after the list. */
export function idList<T extends { id: string }>(listName: string, data: T[], limit: number) {
  return list(data, limit, (last) => encodeCursor(listName, [last.id]));
}

/** The id a `cursor` of `listName` points before, or null on the first page. */
export function cursorId(listName: string, cursor: string | undefined): string | null {
  const before = decodeCursor(listName, cursor, 1)?.[0];
  return before ? String(before) : null;
}

export const ifMatchHeaders = z.object({
  'if-match': z.string().max(64).optional().openapi({ description: 'The version you last read, e.g. "3".' }),
});

/** The version an update expects: the body's `version` and/or the `If-Match` header (one shared parser). */
export function versionOf(c: Context<AppEnv>, bodyVersion: number | undefined): Promise<number | undefined> {
  return expectedVersion({ bodyVersion, ifMatch: c.req.header('if-match') });
}

/** Sets the version ETag (`"3"`) that `If-Match` takes back. */
export function versionETag(c: Context<AppEnv>, row: { version: number }): void {
  c.header('ETag', `"${row.version}"`);
}

/** `?limit=&cursor=`: the query of a plain list. */
export const pageQuery = z.object({ limit: limitParam, cursor: cursorParam });

type Responses = RouteConfig['responses'];

/** The common error responses plus a route's own, e.g. `errorResponses({ 409: 'Version conflict' })`. */
export function errorResponses(extra: Record<number, string> = {}) {
  return {
    ...commonErrors,
    ...Object.fromEntries(Object.entries(extra).map(([status, d]) => [status, jsonContent(ErrorSchema, d)])),
  };
}

/**
 * The five route shapes of an admin resource at `path` and `path/{id}`: each call names only what differs
 * (summary, body, query, extra error responses), so paths, methods and operation ids stay put.
 */
export function crudRoutes<S extends z.ZodType>(resource: {
  path: string;
  kind: IdKind;
  noun: string;
  schema: S;
  /** The description of a 200/201 holding one resource, e.g. "The coupon". */
  one: string;
  tags: string[];
  security: Record<string, string[]>[];
}) {
  const { path, schema, one, tags, security } = resource;
  const params = idParams(resource.kind, resource.noun);
  const byId = `${path}/{id}`;
  return {
    create: <B extends z.ZodType, E extends Responses>(r: { summary: string; body: B; errors: E }) =>
      createRoute({
        method: 'post',
        path,
        tags,
        summary: r.summary,
        security,
        request: { body: jsonBody(r.body) },
        responses: { 201: jsonContent(schema, one), ...r.errors },
      }),
    list: <Q extends z.ZodObject>(r: { summary: string; query: Q; description: string }) =>
      createRoute({
        method: 'get',
        path,
        tags,
        summary: r.summary,
        security,
        request: { query: r.query },
        responses: { 200: jsonContent(listOf(schema), r.description), ...commonErrors },
      }),
    get: (r: { summary: string }) =>
      createRoute({
        method: 'get',
        path: byId,
        tags,
        summary: r.summary,
        security,
        request: { params },
        responses: { 200: jsonContent(schema, one), ...commonErrors },
      }),
    patch: <B extends z.ZodType, E extends Responses>(r: { summary: string; body: B; errors: E }) =>
      createRoute({
        method: 'patch',
        path: byId,
        tags,
        summary: r.summary,
        security,
        request: { params, headers: ifMatchHeaders, body: jsonBody(r.body) },
        responses: { 200: jsonContent(schema, one), ...r.errors },
      }),
    delete: (r: { summary: string }) =>
      createRoute({
        method: 'delete',
        path: byId,
        tags,
        summary: r.summary,
        security,
        request: { params },
        responses: { 200: jsonContent(Deleted, 'Deleted'), ...commonErrors },
      }),
  };
}
