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

/**
 * Endpoints with due deliveries, locked with SKIP LOCKED: while a worker holds one, no other worker claims
 * for it, so the lane count it reads next (in a later statement, hence a fresh snapshot) is not raced.
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

export interface ClaimedDelivery {
  delivery: DeliveryRow;
  endpoint: EndpointRow;
  /** The lease holder: one lane, which sends its deliveries one after another. */
  lane: string;
  /** `last_attempt_at` before the claim (restored when the lane gives the delivery back unsent). */
  previousAttemptAt: Date | null;
}

/**
 * Claims due deliveries of the locked endpoints in one statement, as lanes: a lane is a run of deliveries
 * one worker sends one after another, so an endpoint has at most as many POSTs in flight as it has lanes
 * under a live lease (`locked_by` is the lane). Each endpoint gets at most `perEndpoint` lanes counting the
 * ones already out (any process), the whole claim at most `lanes`, each lane at most `perLane` deliveries,
 * oldest first and dealt round-robin over the endpoint's new lanes. The claim counts the attempt and takes
 * the lease. Nothing here waits for a lock.
 */
export async function claimLanes(
  tx: Tx,
  args: {
    endpointIds: string[];
    now: Date;
    until: Date;
    perEndpoint: number;
    lanes: number;
    perLane: number;
    /** Lane ids are `${lanePrefix}${n}` for n in 1..lanes. */
    lanePrefix: string;
  },
): Promise<ClaimedDelivery[]> {
  if (args.endpointIds.length === 0 || args.lanes <= 0) return [];
  const now = iso(args.now);
  const claimed = await rows<{ id: string; lane: string; previous: number | null }>(
    tx,
    sql`with ep as (
          select ep.endpoint_id,
                 least(greatest(${args.perEndpoint}::int - l.lanes, 0), ${args.lanes}::int) as free
            from jsonb_array_elements_text(${JSON.stringify(args.endpointIds)}::jsonb) as ep(endpoint_id)
            cross join lateral (
              select count(distinct y.locked_by)::int as lanes from webhook_delivery y
               where y.endpoint_id = ep.endpoint_id and y.state = 'pending' and y.locked_until > ${now}) l
        ), cand as (
          select x.id, x.endpoint_id, x.next_attempt_at, x.last_attempt_at, ep.free
            from ep cross join lateral (
              select d.id, d.endpoint_id, d.next_attempt_at, d.last_attempt_at from webhook_delivery d
               where d.endpoint_id = ep.endpoint_id and d.state = 'pending' and d.next_attempt_at <= ${now}
                 and (d.locked_until is null or d.locked_until <= ${now})
               order by d.next_attempt_at, d.id
               limit ep.free * ${args.perLane}::int
               for update skip locked) x
           where ep.free > 0
        ), dealt as (
          select c.*, (row_number() over (partition by c.endpoint_id order by c.next_attempt_at, c.id) - 1)
                        % least(c.free, count(*) over (partition by c.endpoint_id)) as slot
            from cand c
        ), lanes as (
          select endpoint_id, slot,
                 row_number() over (order by min(next_attempt_at), endpoint_id, slot) as n
            from dealt group by endpoint_id, slot
        )
        update webhook_delivery w
           set locked_until = ${iso(args.until)}, locked_by = ${args.lanePrefix} || l.n::text,
               attempts = w.attempts + 1, last_attempt_at = ${now}, updated_at = ${now}
          from dealt t join lanes l on l.endpoint_id = t.endpoint_id and l.slot = t.slot
         where w.id = t.id and l.n <= ${args.lanes}::int
        returning w.id, w.locked_by as lane,
                  (extract(epoch from t.last_attempt_at) * 1000)::float8 as previous`,
  );
  if (claimed.length === 0) return [];
  const full = await tx
    .select({ delivery: webhookDelivery, endpoint: webhookEndpoint })
    .from(webhookDelivery)
    .innerJoin(webhookEndpoint, eq(webhookEndpoint.id, webhookDelivery.endpointId))
    .where(
      inArray(
        webhookDelivery.id,
        claimed.map((c) => c.id),
      ),
    )
    .orderBy(asc(webhookDelivery.nextAttemptAt), asc(webhookDelivery.id));
  const byId = new Map(claimed.map((c) => [c.id, c]));
  return full.map((r) => {
    const c = byId.get(r.delivery.id)!;
    return {
      ...r,
      lane: c.lane,
      previousAttemptAt: c.previous === null ? null : new Date(Number(c.previous)),
    };
  });
}

export interface AttemptOutcome {
  id: string;
  deliveryId: string;
  startedAt: Date;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
}

/** The attempts of a lane, in one INSERT. */
export async function insertAttempts(db: Executor, attempts: readonly AttemptOutcome[]): Promise<void> {
  if (attempts.length > 0) await db.insert(webhookAttempt).values([...attempts]);
}

export interface Settlement {
  id: string;
  state: DeliveryState;
  /** null: keep the current one. */
  nextAttemptAt: Date | null;
  statusCode: number | null;
  error: string | null;
  /** Given back unsent: the claim's attempt is not counted and `last_attempt_at` is restored. */
  unsent?: { previousAttemptAt: Date | null };
}

/**
 * Records the outcomes of a lane in one UPDATE, only on rows the lane still holds: a lane whose lease ran
 * out (and whose deliveries another worker took over) does not overwrite the newer state. Answers the ids
 * settled.
 */
export async function settleDeliveries(
  tx: Tx,
  args: { lane: string; now: Date; settlements: readonly Settlement[] },
): Promise<Set<string>> {
  if (args.settlements.length === 0) return new Set();
  const values = args.settlements.map((s) => ({
    id: s.id,
    state: s.state,
    next: s.nextAttemptAt?.toISOString() ?? null,
    status: s.statusCode,
    error: s.error,
    unsent: s.unsent !== undefined,
    previous: s.unsent?.previousAttemptAt?.toISOString() ?? null,
  }));
  const r = await rows<{ id: string }>(
    tx,
    sql`update webhook_delivery w
           set state = v.state,
               next_attempt_at = coalesce(v.next, w.next_attempt_at),
               last_status_code = case when v.unsent then w.last_status_code else v.status end,
               last_error = case when v.unsent then w.last_error else v.error end,
               attempts = case when v.unsent then greatest(w.attempts - 1, 0) else w.attempts end,
               last_attempt_at = case when v.unsent then v.previous else w.last_attempt_at end,
               locked_until = null, locked_by = null, updated_at = ${iso(args.now)}
          from jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
                 as v(id text, state text, next timestamptz, status int, error text, unsent boolean,
                      previous timestamptz)
         where w.id = v.id and w.locked_by = ${args.lane}
        returning w.id`,
  );
  return new Set(r.map((x) => x.id));
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
