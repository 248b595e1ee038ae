import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../../shared/db.ts';
import { type DeliveryState, webhookAttempt, webhookDelivery, webhookEndpoint } from './webhooks.tables.ts';

/** A timestamp parameter of raw SQL, typed, the same on PGlite and node-postgres. */
const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export type EndpointRow = typeof webhookEndpoint.$inferSelect;
export type DeliveryRow = typeof webhookDelivery.$inferSelect;
export type AttemptRow = typeof webhookAttempt.$inferSelect;

export interface Scope {
  storeId: string;
  livemode: boolean;
}

const inScope = (s: Scope) =>
  and(eq(webhookEndpoint.storeId, s.storeId), eq(webhookEndpoint.livemode, s.livemode));

export async function insertEndpoint(db: Executor, row: typeof webhookEndpoint.$inferInsert) {
  const [r] = await db.insert(webhookEndpoint).values(row).returning();
  return r!;
}

export async function findEndpoint(db: Executor, scope: Scope, id: string, lock = false) {
  const q = db
    .select()
    .from(webhookEndpoint)
    .where(and(inScope(scope), eq(webhookEndpoint.id, id)));
  const [r] = lock ? await q.for('update') : await q;
  return r ?? null;
}

export function listEndpoints(db: Executor, scope: Scope, page: { limit: number; before: string | null }) {
  return db
    .select()
    .from(webhookEndpoint)
    .where(and(inScope(scope), page.before ? lt(webhookEndpoint.id, page.before) : undefined))
    .orderBy(desc(webhookEndpoint.id))
    .limit(page.limit + 1);
}

export async function updateEndpoint(
  tx: Tx,
  id: string,
  set: Partial<typeof webhookEndpoint.$inferInsert>,
): Promise<EndpointRow> {
  const [r] = await tx
    .update(webhookEndpoint)
    .set({ ...set, version: sql`${webhookEndpoint.version} + 1` })
    .where(eq(webhookEndpoint.id, id))
    .returning();
  return r!;
}

/** Delivery health (failure streak, last success): not a change of the resource, so no new version. */
export function updateEndpointHealth(
  tx: Tx,
  id: string,
  set: { failingSince: Date | null; lastSuccessAt?: Date },
) {
  return tx.update(webhookEndpoint).set(set).where(eq(webhookEndpoint.id, id));
}

/** Starts the endpoint's failure streak unless one is running; answers when it started (null: endpoint gone). */
export async function markFailing(tx: Tx, id: string, now: Date): Promise<Date | null> {
  const [r] = await tx
    .update(webhookEndpoint)
    .set({ failingSince: sql`coalesce(${webhookEndpoint.failingSince}, ${iso(now)})` })
    .where(eq(webhookEndpoint.id, id))
    .returning({ failingSince: webhookEndpoint.failingSince });
  return r?.failingSince ?? null;
}

export async function deleteEndpoint(db: Executor, scope: Scope, id: string): Promise<boolean> {
  const r = await db
    .delete(webhookEndpoint)
    .where(and(inScope(scope), eq(webhookEndpoint.id, id)))
    .returning({ id: webhookEndpoint.id });
  return r.length > 0;
}

/** The pending deliveries of an endpoint that is disabled will not go out: they become `cancelled`. */
export function cancelPendingDeliveries(tx: Tx, endpointId: string, now: Date, reason: string) {
  return tx
    .update(webhookDelivery)
    .set({ state: 'cancelled', lastError: reason, lockedUntil: null, lockedBy: null, updatedAt: now })
    .where(and(eq(webhookDelivery.endpointId, endpointId), eq(webhookDelivery.state, 'pending')));
}

export interface FanOutEvent {
  id: string;
  storeId: string;
  livemode: boolean;
  type: string;
  payload: string;
}

/**
 * One delivery per (event, enabled endpoint of the event's store and mode that listens to its type), in one
 * INSERT … SELECT. A delivery's id is derived from its event and endpoint (the event's time part, then a
 * hash), so relaying the same events twice inserts nothing new.
 */
export async function fanOut(tx: Tx, events: readonly FanOutEvent[], now: Date): Promise<number> {
  if (events.length === 0) return 0;
  const inserted = await rows<{ id: string }>(
    tx,
    sql`insert into webhook_delivery
          (id, store_id, livemode, endpoint_id, event_id, event_type, payload, state, attempts,
           next_attempt_at, created_at, updated_at)
        select 'whd_' || substr(split_part(ev.id, '_', 2), 1, 10) || substr(md5(ev.id || ':' || e.id), 1, 16),
               e.store_id, e.livemode, e.id, ev.id, ev.type, ev.payload, 'pending', 0, ${iso(now)}, ${iso(now)}, ${iso(now)}
          from jsonb_to_recordset(${JSON.stringify(events)}::jsonb)
                 as ev(id text, "storeId" text, livemode boolean, type text, payload text)
          join webhook_endpoint e
            on e.store_id = ev."storeId" and e.livemode = ev.livemode and not e.disabled
           and ('*' = any(e.enabled_events) or ev.type = any(e.enabled_events))
        on conflict (endpoint_id, event_id) do nothing
        returning id`,
  );
  return inserted.length;
}

export interface Candidate {
  id: string;
  endpointId: string;
  /** Deliveries of the endpoint in flight under a live lease (any process) when the candidates were read. */
  leased: number;
}

/**
 * Endpoints with due deliveries, locked with SKIP LOCKED: while a worker holds one, no other worker claims
 * for it, so the lease count it reads next (in a later statement, hence a fresh snapshot) is not raced.
 */
export async function lockDueEndpoints(tx: Tx, now: Date): Promise<string[]> {
  const r = await rows<{ id: string }>(
    tx,
    sql`select e.id from webhook_endpoint e
         where e.id in (select distinct endpoint_id from webhook_delivery
                         where state = 'pending' and next_attempt_at <= ${iso(now)}
                           and (locked_until is null or locked_until <= ${iso(now)})
                         limit 1000)
         for update skip locked`,
  );
  return r.map((x) => x.id);
}

/**
 * Due deliveries of the locked endpoints, oldest first, at most `perEndpoint` in flight per endpoint
 * counting the leases already out (so a backlog or a slow receiver on one endpoint never takes every slot),
 * locked with SKIP LOCKED. Nothing here waits for a lock.
 */
export function lockDueCandidates(
  tx: Tx,
  args: { endpointIds: string[]; now: Date; perEndpoint: number; limit: number },
): Promise<Candidate[]> {
  if (args.endpointIds.length === 0) return Promise.resolve([]);
  const now = iso(args.now);
  return rows<Candidate>(
    tx,
    sql`select d.id, d.endpoint_id as "endpointId", l.leased
          from jsonb_array_elements_text(${JSON.stringify(args.endpointIds)}::jsonb) as ep(endpoint_id)
          cross join lateral (
            select count(*)::int as leased from webhook_delivery y
             where y.endpoint_id = ep.endpoint_id and y.state = 'pending' and y.locked_until > ${now}) l
          cross join lateral (
            select x.id, x.endpoint_id, x.next_attempt_at from webhook_delivery x
             where x.endpoint_id = ep.endpoint_id and x.state = 'pending' and x.next_attempt_at <= ${now}
               and (x.locked_until is null or x.locked_until <= ${now})
             order by x.next_attempt_at, x.id
             limit greatest(${args.perEndpoint}::int - l.leased, 0)
             for update skip locked) d
         order by d.next_attempt_at, d.id
         limit ${args.limit}`,
  );
}

export interface ClaimedDelivery {
  delivery: DeliveryRow;
  endpoint: EndpointRow;
}

/** Takes the lease on the chosen deliveries and counts the attempt they are about to make. */
export async function leaseDeliveries(
  tx: Tx,
  args: { ids: string[]; now: Date; until: Date; workerId: string },
): Promise<ClaimedDelivery[]> {
  if (args.ids.length === 0) return [];
  const leased = await tx
    .update(webhookDelivery)
    .set({
      lockedUntil: args.until,
      lockedBy: args.workerId,
      attempts: sql`${webhookDelivery.attempts} + 1`,
      lastAttemptAt: args.now,
      updatedAt: args.now,
    })
    .where(inArray(webhookDelivery.id, args.ids))
    .returning();
  const endpoints = await tx
    .select()
    .from(webhookEndpoint)
    .where(
      inArray(
        webhookEndpoint.id,
        leased.map((d) => d.endpointId),
      ),
    );
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  return leased.flatMap((d) => {
    const endpoint = byId.get(d.endpointId);
    return endpoint ? [{ delivery: d, endpoint }] : [];
  });
}

export function insertAttempt(db: Executor, row: typeof webhookAttempt.$inferInsert) {
  return db.insert(webhookAttempt).values(row);
}

/**
 * Records the outcome on the delivery, only while this worker still holds its lease: a worker whose lease
 * ran out (and whose delivery another worker took over) does not overwrite the newer state.
 */
export async function settleDelivery(
  tx: Tx,
  args: {
    id: string;
    workerId: string;
    state: DeliveryState;
    nextAttemptAt: Date | null;
    statusCode: number | null;
    error: string | null;
    now: Date;
  },
): Promise<boolean> {
  const r = await tx
    .update(webhookDelivery)
    .set({
      state: args.state,
      ...(args.nextAttemptAt ? { nextAttemptAt: args.nextAttemptAt } : {}),
      lastStatusCode: args.statusCode,
      lastError: args.error,
      lockedUntil: null,
      lockedBy: null,
      updatedAt: args.now,
    })
    .where(and(eq(webhookDelivery.id, args.id), eq(webhookDelivery.lockedBy, args.workerId)))
    .returning({ id: webhookDelivery.id });
  return r.length > 0;
}

export function listDeliveries(
  db: Executor,
  args: { endpointId: string; state?: DeliveryState; limit: number; before: string | null },
) {
  return db
    .select()
    .from(webhookDelivery)
    .where(
      and(
        eq(webhookDelivery.endpointId, args.endpointId),
        args.state ? eq(webhookDelivery.state, args.state) : undefined,
        args.before ? lt(webhookDelivery.id, args.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDelivery.id))
    .limit(args.limit + 1);
}

export async function findDelivery(db: Executor, endpointId: string, id: string) {
  const [r] = await db
    .select()
    .from(webhookDelivery)
    .where(and(eq(webhookDelivery.endpointId, endpointId), eq(webhookDelivery.id, id)));
  return r ?? null;
}

export function listAttempts(db: Executor, deliveryId: string) {
  return db
    .select()
    .from(webhookAttempt)
    .where(eq(webhookAttempt.deliveryId, deliveryId))
    .orderBy(asc(webhookAttempt.startedAt), asc(webhookAttempt.id));
}

/** Makes deliveries due now again (a manual retry or redelivery), unless one is in flight under a lease. */
export function requeueDeliveries(
  db: Executor,
  args: { endpointId: string; now: Date; id?: string; failedSince?: Date },
) {
  return db
    .update(webhookDelivery)
    .set({ state: 'pending', nextAttemptAt: args.now, updatedAt: args.now })
    .where(
      and(
        eq(webhookDelivery.endpointId, args.endpointId),
        args.id ? eq(webhookDelivery.id, args.id) : undefined,
        args.failedSince
          ? and(
              inArray(webhookDelivery.state, ['failed', 'cancelled']),
              gte(webhookDelivery.createdAt, args.failedSince),
            )
          : undefined,
        sql`(${webhookDelivery.lockedUntil} is null or ${webhookDelivery.lockedUntil} <= ${iso(args.now)})`,
      ),
    )
    .returning({ id: webhookDelivery.id });
}

export function insertDelivery(db: Executor, row: typeof webhookDelivery.$inferInsert) {
  return db.insert(webhookDelivery).values(row).returning();
}
