import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../shared/db.ts';
import { apiKey, type StoreSettings, store } from './stores.tables.ts';

export type StoreRow = typeof store.$inferSelect;
export type ApiKeyRow = typeof apiKey.$inferSelect;

export async function insertStore(tx: Executor, row: typeof store.$inferInsert): Promise<StoreRow> {
  const [r] = await tx.insert(store).values(row).returning();
  return r!;
}

export async function findStore(tx: Executor, id: string): Promise<StoreRow | undefined> {
  const [r] = await tx.select().from(store).where(eq(store.id, id)).limit(1);
  return r;
}

export async function listStores(tx: Executor): Promise<StoreRow[]> {
  return tx.select().from(store).orderBy(store.id);
}

export async function updateStore(
  tx: Executor,
  id: string,
  patch: { name?: string; settings?: StoreSettings },
): Promise<StoreRow | undefined> {
  const [r] = await tx
    .update(store)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(store.id, id))
    .returning();
  return r;
}

export async function insertApiKey(tx: Executor, row: typeof apiKey.$inferInsert): Promise<ApiKeyRow> {
  const [r] = await tx.insert(apiKey).values(row).returning();
  return r!;
}

export async function findActiveKeyByHash(tx: Executor, hash: string) {
  const [r] = await tx
    .select({ id: apiKey.id, storeId: apiKey.storeId, kind: apiKey.kind, mode: apiKey.mode })
    .from(apiKey)
    .where(and(eq(apiKey.hash, hash), isNull(apiKey.revokedAt)))
    .limit(1);
  return r;
}

export async function listApiKeys(tx: Executor, storeId: string): Promise<ApiKeyRow[]> {
  return tx.select().from(apiKey).where(eq(apiKey.storeId, storeId)).orderBy(desc(apiKey.id));
}

export async function revokeApiKey(
  tx: Executor,
  storeId: string,
  id: string,
): Promise<ApiKeyRow | undefined> {
  const [r] = await tx
    .update(apiKey)
    .set({ revokedAt: sql`coalesce(${apiKey.revokedAt}, now())` })
    .where(and(eq(apiKey.id, id), eq(apiKey.storeId, storeId)))
    .returning();
  return r;
}
