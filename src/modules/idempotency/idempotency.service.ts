import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/app-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Executor } from '../../shared/db.ts';
import { bearer } from '../../shared/http/auth.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { prepared, slot } from '../../shared/prepared.ts';
import { idempotencyKey } from './idempotency.tables.ts';

const KEEP_MS = 24 * 3600 * 1000;
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);
/** Response headers worth replaying; the rest (dates, request ids) belong to the new response. */
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'];

const MUTATING: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// A customer token too: two shoppers on one publishable key never share a stored answer.
const HASHED_HEADERS = ['x-cart-token', 'if-match', 'x-order-secret', 'customer-token'];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Outcomes that mean the request never ran, so a retry must be free to run it: auth failures, rate limits, server errors. */
const isTransient = (status: number) => status === 401 || status === 403 || status === 429 || status >= 500;

/**
 * Stripe semantics for `Idempotency-Key` on every mutating method (POST, PUT, PATCH, DELETE): the first request runs and its response is stored;
 * the same key with the same request replays it (`Idempotent-Replayed: true`); with a different request
 * → 422 IDEMPOTENCY_KEY_REUSED; while the first is still running → 409 IDEMPOTENCY_KEY_IN_USE.
 * Keys are scoped per API key (by the key's hash, so no lookup is needed) and kept 24 h. The claim is
 * one upsert (insert, or overwrite an expired record), so it holds across any number of processes on one database.
 */
export function idempotencyMiddleware(deps: {
  db: Executor;
  clock: Clock;
  /** How long an in-flight claim blocks retries; past it, the first request is presumed dead and a retry takes over. */
  lockMs: number;
}): MiddlewareHandler<AppEnv> {
  const { db, clock, lockMs } = deps;
  return async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    if (key.length === 0 || key.length > 255) {
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 characters.', {
        param: 'Idempotency-Key',
      });
    }
    const token = bearer(c.req.header('authorization'));
    if (!token) return next(); // authentication will refuse the request; nothing to scope it by
    const scope = sha256(token).slice(0, 40);
    const url = new URL(c.req.url);
    // Headers that change what the request means are part of it (a cart token, an expected version).
    const meaningful = HASHED_HEADERS.map((h) => `${h}:${c.req.header(h) ?? ''}`).join('\n');
    const requestHash = sha256(
      `${c.req.method} ${url.pathname}${url.search}\n${meaningful}\n${await c.req.text()}`,
    );

    const now = clock.now();
    const claimed = await claim(db, { scope, key, requestHash, now, lockMs });
    if (claimed === 'new') c.set('idempotencyKeyNew', true);
    if (!claimed) {
      const [row] = await db
        .select()
        .from(idempotencyKey)
        .where(and(eq(idempotencyKey.scope, scope), eq(idempotencyKey.key, key)))
        .limit(1);
      // The record vanished between the claim and the read (expired and deleted): treat as in flight.
      if (!row) throw inUse();
      if (row.requestHash !== requestHash) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request.',
          { param: 'Idempotency-Key' },
        );
      }
      if (row.state === 'done') {
        const headers = new Headers(row.responseHeaders ?? {});
        headers.set('Idempotent-Replayed', 'true');
        headers.set('X-Request-Id', c.get('requestId'));
        // A 204 (or any empty answer) replays without a body: a Response with status 204 may not have one.
        const replayed = Object.fromEntries(headers);
        return row.responseBody
          ? c.body(row.responseBody, row.responseStatus as 200, replayed)
          : c.body(null, row.responseStatus as 204, replayed);
      }
      if (row.lockedUntil > now || !(await takeOver(db, { scope, key, now, lockMs }))) throw inUse();
    }

    await next();
    const res = c.res;
    // A transient outcome never ran; an answer with credentials in it is not kept (the route said so).
    if (isTransient(res.status) || c.get('secretAnswer')) {
      await db
        .delete(idempotencyKey)
        .where(and(eq(idempotencyKey.scope, scope), eq(idempotencyKey.key, key)));
      return;
    }
    // Read once, then answered from the text: a clone would tee the body into two streams.
    const body = await res.text();
    // A 204 (or 304) carries no body: the Response constructor refuses even an empty string for it.
    const answer = new Response(NULL_BODY_STATUSES.has(res.status) ? null : body, {
      status: res.status,
      headers: res.headers,
    });
    // Cleared first, so Hono does not copy the old answer's headers onto the new one (they are the same).
    c.res = undefined;
    c.res = answer;
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    await saveStatement(db, { scope, key, status: res.status, headers, body });
  };
}

const inUse = () =>
  new AppError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still in progress.', {
    param: 'Idempotency-Key',
    headers: { 'Retry-After': '1' },
  });

/**
 * One statement: a new key is inserted; an expired record is gone for good, so it is overwritten as if
 * new; a live record is left alone (no row returned). Two claimants of an expired key queue on its row
 * lock and the second sees the first's fresh expiry, so exactly one wins.
 */
const claimStatement = prepared<
  { scope: string; key: string; requestHash: string; now: Date; lockedUntil: Date; expiresAt: Date },
  ReturnType<typeof buildClaim>
>((db) => buildClaim(db));

function buildClaim(db: Executor) {
  // `inserted`: a row PostgreSQL has just inserted has no xmax; one the conflict branch rewrote has its writer's.
  return db
    .insert(idempotencyKey)
    .values({
      scope: slot('scope'),
      key: slot('key'),
      requestHash: slot('requestHash'),
      state: 'in_flight',
      lockedUntil: slot('lockedUntil'),
      createdAt: slot('now'),
      expiresAt: slot('expiresAt'),
    })
    .onConflictDoUpdate({
      target: [idempotencyKey.scope, idempotencyKey.key],
      set: {
        requestHash: slot('requestHash') as unknown as string,
        state: 'in_flight',
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
        lockedUntil: slot('lockedUntil') as unknown as Date,
        createdAt: slot('now') as unknown as Date,
        expiresAt: slot('expiresAt') as unknown as Date,
      },
      setWhere: lt(idempotencyKey.expiresAt, slot('now')),
    })
    .returning({ key: idempotencyKey.key, inserted: sql<boolean>`(xmax = 0)` });
}

/**
 * Claims the key: 'new' when its record was created now (the key was never used in this scope, or its record
 * is gone), 'renewed' when an expired record was overwritten, false when a live record holds it.
 */
async function claim(
  db: Executor,
  a: { scope: string; key: string; requestHash: string; now: Date; lockMs: number },
): Promise<'new' | 'renewed' | false> {
  const claimed = await claimStatement(db, {
    scope: a.scope,
    key: a.key,
    requestHash: a.requestHash,
    now: a.now,
    lockedUntil: new Date(a.now.getTime() + a.lockMs),
    expiresAt: new Date(a.now.getTime() + KEEP_MS),
  });
  const [row] = claimed;
  if (!row) return false;
  return row.inserted ? 'new' : 'renewed';
}

/** Stores the answer of a request that ran to completion. */
const saveStatement = prepared<
  { scope: string; key: string; status: number; headers: Record<string, string>; body: string },
  ReturnType<typeof buildSave>
>((db) => buildSave(db));

function buildSave(db: Executor) {
  return db
    .update(idempotencyKey)
    .set({
      state: 'done',
      responseStatus: slot('status') as unknown as number,
      responseHeaders: slot('headers') as unknown as Record<string, string>,
      responseBody: slot('body') as unknown as string,
    })
    .where(and(eq(idempotencyKey.scope, slot('scope')), eq(idempotencyKey.key, slot('key'))));
}

/** Takes over an in-flight claim whose owner died (lock expired); only one contender wins. */
async function takeOver(
  db: Executor,
  a: { scope: string; key: string; now: Date; lockMs: number },
): Promise<boolean> {
  const r = await db
    .update(idempotencyKey)
    .set({ lockedUntil: new Date(a.now.getTime() + a.lockMs) })
    .where(
      and(
        eq(idempotencyKey.scope, a.scope),
        eq(idempotencyKey.key, a.key),
        eq(idempotencyKey.state, 'in_flight'),
        lt(idempotencyKey.lockedUntil, a.now),
      ),
    )
    .returning({ key: idempotencyKey.key });
  return r.length === 1;
}

/** Deletes records past their 24 h. */
export async function pruneIdempotencyKeys(db: Executor, now: Date): Promise<number> {
  const r = await db
    .delete(idempotencyKey)
    .where(lt(idempotencyKey.expiresAt, now))
    .returning({ key: idempotencyKey.key });
  return r.length;
}

export const idempotencyPruneSql = sql`select 1`;
