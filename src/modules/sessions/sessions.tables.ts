import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import type { JWK } from 'jose';
import { ts } from '../../shared/db-columns.ts';
import { store } from '../stores/index.ts';

/**
 * The keys that sign session access tokens, one active key per audience (`customer`, `staff`). Kept in the
 * database so every API process signs and verifies with the same keys; a retired key stays published in the
 * JWKS until the last token it signed has expired.
 */
export const signingKey = pgTable(
  'signing_key',
  {
    kid: text('kid').primaryKey(),
    audience: text('audience').notNull(),
    publicJwk: jsonb('public_jwk').$type<JWK>().notNull(),
    privateJwk: jsonb('private_jwk').$type<JWK>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    retiredAt: ts('retired_at'),
  },
  (t) => [
    // One active key per audience: two processes creating the first key at once agree on one.
    uniqueIndex('signing_key_active_uq').on(t.audience).where(sql`retired_at is null`),
  ],
);

/**
 * Refresh tokens, stored as SHA-256 hashes only. Each sign-in starts a family; a refresh rotates the token
 * (the old one is marked `rotated_at`) within the family. Presenting a rotated token again means it was
 * copied: the whole family is revoked.
 */
export const refreshToken = pgTable(
  'refresh_token',
  {
    tokenHash: text('token_hash').primaryKey(),
    familyId: text('family_id').notNull(),
    audience: text('audience').notNull(),
    storeId: text('store_id')
      .notNull()
      .references(() => store.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    rotatedAt: ts('rotated_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    index('refresh_token_family_idx').on(t.familyId),
    index('refresh_token_subject_idx').on(t.storeId, t.audience, t.subject),
  ],
);

export type SigningKeyRow = typeof signingKey.$inferSelect;
export type RefreshTokenRow = typeof refreshToken.$inferSelect;
