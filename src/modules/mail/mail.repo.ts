import { and, asc, eq, inArray, lt, lte, ne, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../shared/db.ts';
import { type EmailRow, email, type NewEmailRow } from './mail.tables.ts';

/** Inserts emails; one whose (store, dedupe key) exists already is skipped. Returns the ids inserted. */
export async function insertEmails(tx: Tx, rows: NewEmailRow[]): Promise<string[]> {
  // One row per key: the first of a batch wins, like a key queued by an earlier batch.
  const seen = new Set<string>();
  const unique = rows.filter((r) => {
    const key = `${r.storeId} ${r.dedupeKey}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length === 0) return [];
  const inserted = await tx
    .insert(email)
    .values(unique)
    .onConflictDoNothing({ target: [email.storeId, email.dedupeKey] })
    .returning({ id: email.id });
  return inserted.map((r) => r.id);
}

/**
 * Claims due emails: locks them (skipping rows another sender holds), counts the attempt and moves `run_at`
 * past the lease, so the claim holds after this short transaction commits and the send happens outside it.
 */
export async function claimDue(
  tx: Tx,
  args: { now: Date; leaseUntil: Date; limit: number },
): Promise<EmailRow[]> {
  const due = await tx
    .select({ id: email.id })
    .from(email)
    .where(and(eq(email.state, 'queued'), lte(email.runAt, args.now)))
    .orderBy(asc(email.runAt), asc(email.id))
    .limit(args.limit)
    .for('update', { skipLocked: true });
  if (due.length === 0) return [];
  return tx
    .update(email)
    .set({ runAt: args.leaseUntil, attempts: sql`${email.attempts} + 1`, updatedAt: args.now })
    .where(
      inArray(
        email.id,
        due.map((r) => r.id),
      ),
    )
    .returning();
}

/** Records an accepted send. Conditional on `queued`, so a late second sender never rewrites the first's record. */
export async function markSent(
  db: Executor,
  args: { id: string; messageId: string; now: Date },
): Promise<boolean> {
  const r = await db
    .update(email)
    .set({ state: 'sent', sentAt: args.now, messageId: args.messageId, lastError: null, updatedAt: args.now })
    .where(and(eq(email.id, args.id), eq(email.state, 'queued')))
    .returning({ id: email.id });
  return r.length === 1;
}

/**
 * Records a failed attempt: due again at `runAt`, or `failed` for good. Fenced by the attempt number of the
 * claim, so a sender whose lease ran out (and whose email another sender claimed since) changes nothing.
 */
export async function markAttemptFailed(
  db: Executor,
  args: { id: string; attempts: number; error: string; now: Date } & (
    | { state: 'queued'; runAt: Date }
    | { state: 'failed' }
  ),
): Promise<boolean> {
  const r = await db
    .update(email)
    .set({
      state: args.state,
      ...(args.state === 'queued' ? { runAt: args.runAt } : {}),
      lastError: args.error,
      updatedAt: args.now,
    })
    .where(and(eq(email.id, args.id), eq(email.state, 'queued'), eq(email.attempts, args.attempts)))
    .returning({ id: email.id });
  return r.length === 1;
}

/** Deletes up to `limit` sent or failed emails created before `before`; returns how many. */
export async function deleteFinishedBefore(
  db: Executor,
  args: { before: Date; limit: number },
): Promise<number> {
  const old = db
    .select({ id: email.id })
    .from(email)
    .where(and(ne(email.state, 'queued'), lt(email.createdAt, args.before)))
    .limit(args.limit);
  const r = await db.delete(email).where(inArray(email.id, old)).returning({ id: email.id });
  return r.length;
}

/** The emails about one order, oldest first (index `email_store_order_idx`). */
export async function emailsOfOrder(
  db: Executor,
  args: { storeId: string; livemode: boolean; orderId: string },
): Promise<EmailRow[]> {
  return db
    .select()
    .from(email)
    .where(
      and(
        eq(email.storeId, args.storeId),
        eq(email.orderId, args.orderId),
        eq(email.livemode, args.livemode),
      ),
    )
    .orderBy(asc(email.createdAt), asc(email.id));
}
