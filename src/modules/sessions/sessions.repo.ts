import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { Executor, Tx } from '../../shared/db.ts';
import { type RefreshTokenRow, refreshToken, type SigningKeyRow, signingKey } from './sessions.tables.ts';

export async function activeKey(db: Executor, audience: string): Promise<SigningKeyRow | undefined> {
  const [r] = await db
    .select()
    .from(signingKey)
    .where(and(eq(signingKey.audience, audience), isNull(signingKey.retiredAt)))
    .limit(1);
  return r;
}

/** Inserts the first key of an audience unless another process did meanwhile (one active key per audience). */
export async function insertKeyOnce(db: Executor, row: typeof signingKey.$inferInsert): Promise<void> {
  await db.insert(signingKey).values(row).onConflictDoNothing();
}

export async function retireActiveKey(tx: Tx, audience: string, at: Date): Promise<void> {
  await tx
    .update(signingKey)
    .set({ retiredAt: at })
    .where(and(eq(signingKey.audience, audience), isNull(signingKey.retiredAt)));
}

export async function insertKey(tx: Tx, row: typeof signingKey.$inferInsert): Promise<void> {
  await tx.insert(signingKey).values(row);
}

/** Keys that may still have valid tokens out: active, or retired after `retiredAfter`. */
export async function publishedKeys(db: Executor, retiredAfter: Date): Promise<SigningKeyRow[]> {
  return db
    .select()
    .from(signingKey)
    .where(or(isNull(signingKey.retiredAt), gt(signingKey.retiredAt, retiredAfter)))
    .orderBy(signingKey.createdAt);
}

export async function insertRefreshToken(db: Executor, row: typeof refreshToken.$inferInsert): Promise<void> {
  await db.insert(refreshToken).values(row);
}

/** Marks a live token as rotated; returns it when it was live (unused, unrevoked, unexpired), else nothing. */
export async function rotateLiveToken(
  tx: Tx,
  args: { tokenHash: string; audience: string; storeId: string; now: Date },
): Promise<RefreshTokenRow | undefined> {
  const [r] = await tx
    .update(refreshToken)
    .set({ rotatedAt: args.now })
    .where(
      and(
        eq(refreshToken.tokenHash, args.tokenHash),
        eq(refreshToken.audience, args.audience),
        eq(refreshToken.storeId, args.storeId),
        isNull(refreshToken.rotatedAt),
        isNull(refreshToken.revokedAt),
        gt(refreshToken.expiresAt, args.now),
      ),
    )
    .returning();
  return r;
}

export async function findToken(
  db: Executor,
  args: { tokenHash: string; audience: string; storeId: string },
): Promise<RefreshTokenRow | undefined> {
  const [r] = await db
    .select()
    .from(refreshToken)
    .where(
      and(
        eq(refreshToken.tokenHash, args.tokenHash),
        eq(refreshToken.audience, args.audience),
        eq(refreshToken.storeId, args.storeId),
      ),
    )
    .limit(1);
  return r;
}

export async function revokeFamily(db: Executor, familyId: string, at: Date): Promise<number> {
  const r = await db
    .update(refreshToken)
    .set({ revokedAt: at })
    .where(and(eq(refreshToken.familyId, familyId), isNull(refreshToken.revokedAt)))
    .returning({ h: refreshToken.tokenHash });
  return r.length;
}

export async function revokeSubject(
  db: Executor,
  args: { storeId: string; audience: string; subject: string; at: Date },
): Promise<number> {
  const r = await db
    .update(refreshToken)
    .set({ revokedAt: args.at })
    .where(
      and(
        eq(refreshToken.storeId, args.storeId),
        eq(refreshToken.audience, args.audience),
        eq(refreshToken.subject, args.subject),
        isNull(refreshToken.revokedAt),
      ),
    )
    .returning({ h: refreshToken.tokenHash });
  return r.length;
}
