import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';

/**
 * Events, written in the same transaction as the change that caused them (the transactional outbox), relayed to
 * consumers once committed, listable for 30 days. `data` is `{ object: {...} }`: the object as the API shows it.
 */
export const event = pgTable(
  'event',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    livemode: boolean('livemode').notNull().default(false),
    type: text('type').notNull(),
    apiVersion: text('api_version').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    dispatchedAt: ts('dispatched_at'),
  },
  (t) => [
    // The relay's feed: small, since dispatched rows leave it.
    index('event_undispatched_idx').on(t.createdAt, t.id).where(sql`dispatched_at is null`),
    // GET /v1/events: a key's mode, newest first.
    index('event_list_idx').on(t.storeId, t.livemode, t.createdAt.desc(), t.id.desc()),
    // GET /v1/events?type=…
    index('event_type_idx').on(t.storeId, t.livemode, t.type, t.createdAt.desc(), t.id.desc()),
    // The retention task's batched deletes of events past 30 days.
    index('event_created_idx').on(t.createdAt),
  ],
);

export type EventRow = typeof event.$inferSelect;
