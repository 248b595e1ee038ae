import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

/**
 * Where a store wants its events POSTed, per mode. The signing secret is kept as is (it must sign every
 * delivery) and shown only at creation and rotation; after a rotation the previous secret keeps signing
 * beside the new one until `previous_secret_expires_at`.
 */
export const webhookEndpoint = pgTable(
  'webhook_endpoint',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    livemode: boolean('livemode').notNull(),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types, or `['*']` for all of them. */
    enabledEvents: text('enabled_events').array().notNull(),
    disabled: boolean('disabled').notNull().default(false),
    /** Why the platform disabled it (`gone`, `failing`); null when a person did, or when enabled. */
    disabledReason: text('disabled_reason', { enum: ['gone', 'failing'] }),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    /** Start of the current run of failed attempts; null after a success. */
    failingSince: ts('failing_since'),
    lastSuccessAt: ts('last_success_at'),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoint_store_idx').on(t.storeId, t.livemode, t.id)],
);

export type DeliveryState = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/**
 * One event to one endpoint. Workers claim due rows with FOR UPDATE SKIP LOCKED and hold them with a lease
 * (`locked_until`, `locked_by`) while the POST is in flight outside any transaction; a lease that runs out
 * (the worker died) makes the row claimable again.
 */
export const webhookDelivery = pgTable(
  'webhook_delivery',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    livemode: boolean('livemode').notNull(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoint.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The exact body sent on every attempt (the event envelope as JSON text). */
    payload: text('payload').notNull(),
    state: text('state', { enum: ['pending', 'succeeded', 'failed', 'cancelled'] })
      .$type<DeliveryState>()
      .notNull()
      .default('pending'),
    /** Attempts started (counted when claimed, so an attempt cut short by a crash still counts). */
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    lockedUntil: ts('locked_until'),
    lockedBy: text('locked_by'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: ts('last_attempt_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_delivery_endpoint_event_uq').on(t.endpointId, t.eventId),
    index('webhook_delivery_due_idx').on(t.nextAttemptAt).where(sql`state = 'pending'`),
    index('webhook_delivery_endpoint_idx').on(t.endpointId, t.id),
  ],
);

/** The log of every POST made for a delivery. */
export const webhookAttempt = pgTable(
  'webhook_attempt',
  {
    id: text('id').primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDelivery.id, { onDelete: 'cascade' }),
    startedAt: ts('started_at').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    latencyMs: integer('latency_ms').notNull(),
    /** The first bytes of the response body (at most 4 KB). */
    responseBody: text('response_body'),
  },
  (t) => [index('webhook_attempt_delivery_idx').on(t.deliveryId, t.startedAt)],
);
