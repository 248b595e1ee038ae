import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

export const STAFF_ROLES = ['owner', 'staff', 'read_only'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** A person who signs in to a store's dashboard. The password hash is null until the invitation is accepted. */
export const staffUser = pgTable(
  'staff_user',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    /** Lower-cased: one person, one account per store. */
    email: text('email').notNull(),
    name: text('name'),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    passwordHash: text('password_hash'),
    /** `staff:<id>` of the owner who invited, or `root` / `cli` for the first owner. */
    invitedBy: text('invited_by'),
    acceptedAt: ts('accepted_at'),
    disabledAt: ts('disabled_at'),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('staff_user_store_email_idx').on(t.storeId, t.email)],
);

/** A one-time link (invitation or set-password): only the SHA-256 of its token is stored. */
export const staffInvitation = pgTable(
  'staff_invitation',
  {
    id: text('id').primaryKey(),
    storeId: text('store_id').notNull(),
    staffUserId: text('staff_user_id')
      .notNull()
      .references(() => staffUser.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('staff_invitation_user_idx').on(t.staffUserId)],
);

export type StaffUserRow = typeof staffUser.$inferSelect;
export type StaffInvitationRow = typeof staffInvitation.$inferSelect;
