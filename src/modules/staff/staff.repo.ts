import { and, asc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../shared/db.ts';
import {
  type StaffInvitationRow,
  type StaffRole,
  type StaffUserRow,
  staffInvitation,
  staffUser,
} from './staff.tables.ts';

export async function insertStaffUser(
  tx: Executor,
  row: typeof staffUser.$inferInsert,
): Promise<StaffUserRow> {
  const [r] = await tx.insert(staffUser).values(row).returning();
  return r!;
}

export async function findStaffUser(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<StaffUserRow | undefined> {
  const [r] = await tx
    .select()
    .from(staffUser)
    .where(and(eq(staffUser.storeId, storeId), eq(staffUser.id, id)))
    .limit(1);
  return r;
}

export async function findStaffByEmail(
  tx: Executor,
  storeId: string,
  email: string,
): Promise<StaffUserRow | undefined> {
  const [r] = await tx
    .select()
    .from(staffUser)
    .where(and(eq(staffUser.storeId, storeId), eq(staffUser.email, email)))
    .limit(1);
  return r;
}

export async function listStaff(tx: Executor, storeId: string): Promise<StaffUserRow[]> {
  return tx
    .select()
    .from(staffUser)
    .where(and(eq(staffUser.storeId, storeId), isNull(staffUser.disabledAt)))
    .orderBy(asc(staffUser.id));
}

/** Active owners other than `exceptId`, locked: demoting or removing owners is serialised per store. */
export async function lockOtherOwners(tx: Tx, storeId: string, exceptId: string): Promise<number> {
  const r = await tx
    .select({ id: staffUser.id })
    .from(staffUser)
    .where(
      and(
        eq(staffUser.storeId, storeId),
        eq(staffUser.role, 'owner'),
        isNull(staffUser.disabledAt),
        ne(staffUser.id, exceptId),
      ),
    )
    .for('update');
  return r.length;
}

export async function updateStaffUser(
  tx: Executor,
  storeId: string,
  id: string,
  set: Partial<{
    role: StaffRole;
    name: string | null;
    passwordHash: string;
    acceptedAt: Date;
    disabledAt: Date | null;
  }>,
  now: Date,
): Promise<StaffUserRow | undefined> {
  const [r] = await tx
    .update(staffUser)
    .set({ ...set, updatedAt: now, version: sql`${staffUser.version} + 1` })
    .where(and(eq(staffUser.storeId, storeId), eq(staffUser.id, id)))
    .returning();
  return r;
}

export async function insertInvitation(
  tx: Executor,
  row: typeof staffInvitation.$inferInsert,
): Promise<StaffInvitationRow> {
  const [r] = await tx.insert(staffInvitation).values(row).returning();
  return r!;
}

/** Marks an unused, unexpired invitation used and returns it; undefined when there is none (one use only). */
export async function consumeInvitation(
  tx: Tx,
  tokenHash: string,
  now: Date,
): Promise<StaffInvitationRow | undefined> {
  const [r] = await tx
    .update(staffInvitation)
    .set({ usedAt: now })
    .where(
      and(
        eq(staffInvitation.tokenHash, tokenHash),
        isNull(staffInvitation.usedAt),
        sql`${staffInvitation.expiresAt} > ${now.toISOString()}`,
      ),
    )
    .returning();
  return r;
}
