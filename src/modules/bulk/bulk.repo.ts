import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Executor, rows } from '../../shared/db.ts';
import { product, variant } from '../catalog/index.ts';
import { store } from '../stores/index.ts';
import { type BulkJobRow, bulkFile, bulkJob } from './bulk.tables.ts';

export type JobError = BulkJobRow['errors'][number];

export async function insertJob(
  tx: Executor,
  row: typeof bulkJob.$inferInsert,
  input?: string,
): Promise<BulkJobRow> {
  const [job] = await tx.insert(bulkJob).values(row).returning();
  if (input !== undefined) await tx.insert(bulkFile).values({ jobId: row.id, role: 'input', content: input });
  return job!;
}

export async function findJob(db: Executor, storeId: string, id: string): Promise<BulkJobRow | undefined> {
  const [job] = await db
    .select()
    .from(bulkJob)
    .where(and(eq(bulkJob.storeId, storeId), eq(bulkJob.id, id)));
  return job;
}

export async function listJobs(
  db: Executor,
  args: { storeId: string; beforeId: string | null; limit: number },
) {
  return db
    .select()
    .from(bulkJob)
    .where(and(eq(bulkJob.storeId, args.storeId), args.beforeId ? lt(bulkJob.id, args.beforeId) : undefined))
    .orderBy(desc(bulkJob.id))
    .limit(args.limit + 1);
}

export async function readFile(db: Executor, jobId: string, role: 'input' | 'output') {
  const [f] = await db
    .select({ content: bulkFile.content })
    .from(bulkFile)
    .where(and(eq(bulkFile.jobId, jobId), eq(bulkFile.role, role)));
  return f?.content;
}

export async function writeFile(tx: Executor, jobId: string, role: 'input' | 'output', content: string) {
  await tx
    .insert(bulkFile)
    .values({ jobId, role, content })
    .onConflictDoUpdate({ target: [bulkFile.jobId, bulkFile.role], set: { content } });
}

/** Jobs whose worker died too often: failed for good instead of claimed again. */
export async function failAbandoned(db: Executor, args: { now: Date; maxAttempts: number }) {
  await db
    .update(bulkJob)
    .set({
      status: 'failed',
      errors: [{ line: null, field: null, message: 'The job was interrupted too many times.' }],
      finishedAt: args.now,
      updatedAt: args.now,
      leaseUntil: null,
    })
    .where(
      and(
        eq(bulkJob.status, 'running'),
        lt(bulkJob.leaseUntil, args.now),
        sql`${bulkJob.attempts} >= ${args.maxAttempts}`,
      ),
    );
}

/**
 * Claims the oldest job that is queued or whose lease lapsed (its worker died), skipping rows another worker
 * holds; `id` narrows the claim to one job (the CLI runs the job it just queued).
 */
export async function claimJob(
  db: Executor,
  args: { now: Date; leaseUntil: Date; id?: string },
): Promise<BulkJobRow | undefined> {
  const claimed = await rows<{ id: string }>(
    db,
    sql`
    update ${bulkJob} set status = 'running', attempts = attempts + 1, lease_until = ${args.leaseUntil.toISOString()}::timestamptz,
      started_at = coalesce(started_at, ${args.now.toISOString()}::timestamptz),
      updated_at = ${args.now.toISOString()}::timestamptz
    where id = (
      select id from ${bulkJob}
      where (status = 'queued' or (status = 'running' and lease_until < ${args.now.toISOString()}::timestamptz))
        ${args.id ? sql`and id = ${args.id}` : sql``}
      order by created_at, id limit 1 for update skip locked)
    returning id`,
  );
  const id = claimed[0]?.id;
  if (!id) return undefined;
  const [job] = await db.select().from(bulkJob).where(eq(bulkJob.id, id));
  return job;
}

/** Progress and a longer lease, while the job is still this attempt's. */
export async function recordProgress(
  db: Executor,
  job: { id: string; attempts: number },
  args: { done: number; total: number; now: Date; leaseUntil: Date },
): Promise<void> {
  await db
    .update(bulkJob)
    .set({
      progressDone: args.done,
      progressTotal: args.total,
      leaseUntil: args.leaseUntil,
      updatedAt: args.now,
    })
    .where(and(eq(bulkJob.id, job.id), eq(bulkJob.status, 'running'), eq(bulkJob.attempts, job.attempts)));
}

/** Ends this attempt of the job; false when another worker took it over meanwhile (its lease lapsed). */
export async function finishJob(
  db: Executor,
  job: { id: string; attempts: number },
  outcome: {
    status: 'succeeded' | 'failed' | 'queued';
    errors?: JobError[];
    result?: Record<string, number> | null;
    done?: number;
    total?: number;
    now: Date;
  },
): Promise<boolean> {
  const ended = outcome.status !== 'queued';
  const r = await db
    .update(bulkJob)
    .set({
      status: outcome.status,
      errors: outcome.errors,
      result: outcome.result,
      progressDone: outcome.done,
      progressTotal: outcome.total,
      leaseUntil: null,
      finishedAt: ended ? outcome.now : null,
      updatedAt: outcome.now,
    })
    .where(and(eq(bulkJob.id, job.id), eq(bulkJob.status, 'running'), eq(bulkJob.attempts, job.attempts)))
    .returning({ id: bulkJob.id });
  return r.length === 1;
}

export async function storeCurrency(db: Executor, storeId: string): Promise<string> {
  const [s] = await db.select({ currency: store.currency }).from(store).where(eq(store.id, storeId));
  return s?.currency ?? 'USD';
}

/** The handles (slugs) among `slugs` that products of the store already use. */
export async function takenSlugs(db: Executor, storeId: string, slugs: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < slugs.length; i += 5000) {
    const found = await db
      .select({ slug: product.slug })
      .from(product)
      .where(and(eq(product.storeId, storeId), inArray(product.slug, slugs.slice(i, i + 5000))));
    for (const f of found) out.add(f.slug);
  }
  return out;
}

export async function takenSkus(db: Executor, storeId: string, skus: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < skus.length; i += 5000) {
    const found = await db
      .select({ sku: variant.sku })
      .from(variant)
      .where(and(eq(variant.storeId, storeId), inArray(variant.sku, skus.slice(i, i + 5000))));
    for (const f of found) out.add(f.sku);
  }
  return out;
}

export async function countProducts(db: Executor, storeId: string): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(product)
    .where(eq(product.storeId, storeId));
  return Number(r?.n ?? 0);
}
