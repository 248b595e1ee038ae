import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

export const BULK_KINDS = ['import_products', 'export_products', 'export_orders'] as const;
export type BulkKind = (typeof BULK_KINDS)[number];
export const BULK_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/**
 * An import or export, run by the worker: claimed with FOR UPDATE SKIP LOCKED and a lease (`lease_until`), so
 * the job of a worker that died comes back to another one. An import's writes and its move to `succeeded`
 * commit in one transaction, so a re-run never writes a product twice.
 */
export const bulkJob = pgTable(
  'bulk_job',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    /** From the key that asked: an orders export reads the orders of that mode only. */
    livemode: boolean('livemode').notNull().default(false),
    kind: text('kind', { enum: BULK_KINDS }).notNull(),
    status: text('status', { enum: BULK_STATUSES }).notNull().default('queued'),
    progressDone: integer('progress_done').notNull().default(0),
    progressTotal: integer('progress_total').notNull().default(0),
    errors: jsonb('errors')
      .$type<{ line: number | null; field: string | null; message: string }[]>()
      .notNull()
      .default([]),
    result: jsonb('result').$type<Record<string, number>>(),
    fileName: text('file_name'),
    createdBy: text('created_by').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** While running: when the claim lapses and another worker may take the job over. */
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('bulk_job_store_idx').on(t.storeId, t.id),
    index('bulk_job_due_idx').on(t.createdAt).where(sql`status in ('queued', 'running')`),
  ],
);

/** The uploaded CSV of an import (`input`) and the CSV an export wrote (`output`), kept apart from the job row. */
export const bulkFile = pgTable(
  'bulk_file',
  {
    jobId: text('job_id')
      .notNull()
      .references(() => bulkJob.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['input', 'output'] }).notNull(),
    content: text('content').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.role] })],
);

export type BulkJobRow = typeof bulkJob.$inferSelect;
