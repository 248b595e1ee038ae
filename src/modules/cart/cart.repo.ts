import { desc } from 'drizzle-orm';
import type { Executor } from '../../shared/db.ts';
import { cartSigningKey } from './cart.tables.ts';

export type CartSigningKeyRow = typeof cartSigningKey.$inferSelect;

/** Every stored signing key, newest first (the newest signs). */
export async function listSigningKeys(tx: Executor): Promise<CartSigningKeyRow[]> {
  return tx.select().from(cartSigningKey).orderBy(desc(cartSigningKey.createdAt), desc(cartSigningKey.kid));
}

/**
 * Creates the key unless one with this kid exists. Processes starting together all try the same
 * kid, so exactly one insert wins and everyone then reads the winner's secret.
 */
export async function insertSigningKeyIfAbsent(
  tx: Executor,
  row: { kid: string; secret: string },
): Promise<void> {
  await tx.insert(cartSigningKey).values(row).onConflictDoNothing({ target: cartSigningKey.kid });
}
