import { and, asc, count, desc, eq, gte, inArray, isNull, lt, min, type SQL, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../../shared/db.ts';
import { ids } from '../../shared/ids.ts';
import type { Write } from '../../shared/write-together.ts';
import type { EventType } from './events.catalogue.ts';
import { type EventRow, event } from './events.tables.ts';

/** The version of the event payloads (the shape of `data.object`); receivers pin to it. */
export const API_VERSION = '2026-11-01';

export interface EventRecord {
  id: string;
  storeId: string;
  livemode: boolean;
  type: EventType;
  apiVersion: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface NewEvent {
  storeId: string;
  livemode: boolean;
  type: EventType;
  object: Record<string, unknown>;
  /** What the change was about, beside the object (`data.fulfillment` of `order.fulfilled`, `data.refund`). */
  related?: Record<string, unknown>;
  id?: string;
  createdAt?: Date;
}

export const toRecord = (r: EventRow): EventRecord => ({
  id: r.id,
  storeId: r.storeId,
  livemode: r.livemode,
  type: r.type as EventType,
  apiVersion: r.apiVersion,
  data: r.data,
  createdAt: r.createdAt,
});

/** One event row as a write for the caller's transaction (so it can share a round trip, see writeTogether). */
export function appendEvent(tx: Tx, e: NewEvent): Write {
  return appendEvents(tx, [e]);
}

/** Several event rows as one write. */
export function appendEvents(tx: Tx, events: readonly NewEvent[]): Write {
  return tx.insert(event).values(
    events.map((e) => ({
      id: e.id ?? ids('event'),
      storeId: e.storeId,
      livemode: e.livemode,
      type: e.type,
      apiVersion: API_VERSION,
      data: { object: e.object, ...e.related },
      // Set here, in milliseconds, rather than by the database (microseconds): list cursors carry milliseconds.
      createdAt: e.createdAt ?? new Date(),
    })),
  );
}

/** Whether anything waits for the relay: one probe of the (small) partial index, no lock. */
export async function hasUndispatched(db: Executor): Promise<boolean> {
  const rows = await db.select({ id: event.id }).from(event).where(isNull(event.dispatchedAt)).limit(1);
  return rows.length > 0;
}

/** Claims up to `limit` undispatched events, oldest first, skipping rows another relay holds. */
export async function claimUndispatched(tx: Tx, limit: number): Promise<EventRow[]> {
  return tx
    .select()
    .from(event)
    .where(isNull(event.dispatchedAt))
    .orderBy(asc(event.createdAt), asc(event.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function markDispatched(tx: Tx, eventIds: string[], at: Date): Promise<void> {
  await tx
    .update(event)
    .set({ dispatchedAt: at })
    .where(and(inArray(event.id, eventIds), isNull(event.dispatchedAt)));
}

export async function undispatchedStats(db: Executor): Promise<{ count: number; oldest: Date | null }> {
  const [r] = await db
    .select({ n: count(), oldest: min(event.createdAt) })
    .from(event)
    .where(isNull(event.dispatchedAt));
  return { count: Number(r?.n ?? 0), oldest: r?.oldest ? new Date(r.oldest) : null };
}

/** Deletes up to `limit` events created before `before`; answers how many went. */
export async function deleteOlderThan(db: Executor, before: Date, limit: number): Promise<number> {
  const gone = await rows<{ id: string }>(
    db,
    sql`delete from ${event} where ${event.id} in (
      select ${event.id} from ${event} where ${lt(event.createdAt, before)} limit ${limit}
    ) returning ${event.id}`,
  );
  return gone.length;
}

export async function findEvent(
  db: Executor,
  scope: { storeId: string; livemode: boolean },
  id: string,
): Promise<EventRow | undefined> {
  const [r] = await db
    .select()
    .from(event)
    .where(and(eq(event.id, id), eq(event.storeId, scope.storeId), eq(event.livemode, scope.livemode)));
  return r;
}

/** The filters of the event list: a key's store and mode, then types, creation time and the cursor. */
export interface EventListQuery {
  storeId: string;
  livemode: boolean;
  /** Exact types (already expanded from prefixes); absent = every type. */
  types?: readonly string[];
  createdGte?: Date;
  createdLt?: Date;
  /** The sort key of the last row seen: (created_at, id), newest first. */
  before?: { createdAt: Date; id: string };
  limit: number;
}

/** Newest first by (created_at, id); reads one past `limit` for `has_more`. */
export async function listEvents(db: Executor, q: EventListQuery): Promise<EventRow[]> {
  const conditions = [eq(event.storeId, q.storeId), eq(event.livemode, q.livemode)];
  if (q.types && q.types.length === 1) conditions.push(eq(event.type, q.types[0]!));
  else if (q.types) conditions.push(inArray(event.type, [...q.types]));
  if (q.createdGte) conditions.push(gte(event.createdAt, q.createdGte));
  if (q.createdLt) conditions.push(lt(event.createdAt, q.createdLt));
  if (q.before) {
    conditions.push(
      sql`(${event.createdAt}, ${event.id}) < (${q.before.createdAt.toISOString()}::timestamptz, ${q.before.id})`,
    );
  }
  return db
    .select()
    .from(event)
    .where(and(...conditions))
    .orderBy(desc(event.createdAt), desc(event.id))
    .limit(q.limit + 1);
}

/**
 * An insert of the events a query yields, for writes that decide in SQL which events fire (a stock level
 * crossing a threshold). The query's columns: id, store_id, livemode, type, data (jsonb `{ object }`),
 * created_at. Usable as a data-modifying CTE of the caller's statement, so it costs no round trip of its own.
 */
export function appendEventsFromQuery(query: SQL): SQL {
  return sql`insert into ${event} (id, store_id, livemode, type, api_version, data, created_at)
    select q.id, q.store_id, q.livemode, q.type, ${API_VERSION}, q.data, q.created_at from (${query}) q`;
}
