import { and, desc, eq, gt, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../shared/db.ts';
import {
  type CustomerAddressRow,
  type CustomerRow,
  customer,
  customerAddress,
  customerEmailToken,
  type EmailTokenKind,
} from './customers.tables.ts';

/** Inserts the customer unless the store already has one with this email; returns it when inserted. */
export async function insertCustomerOnce(
  tx: Executor,
  row: typeof customer.$inferInsert,
): Promise<CustomerRow | undefined> {
  const [r] = await tx.insert(customer).values(row).onConflictDoNothing().returning();
  return r;
}

export async function findByEmail(
  db: Executor,
  storeId: string,
  email: string,
): Promise<CustomerRow | undefined> {
  const [r] = await db
    .select()
    .from(customer)
    .where(and(eq(customer.storeId, storeId), eq(customer.email, email)))
    .limit(1);
  return r;
}

export async function findById(db: Executor, storeId: string, id: string): Promise<CustomerRow | undefined> {
  const [r] = await db
    .select()
    .from(customer)
    .where(and(eq(customer.storeId, storeId), eq(customer.id, id)))
    .limit(1);
  return r;
}

/** Updates the customer, bumping its version; with `expectedVersion`, only when it still matches. */
export async function updateCustomer(
  db: Executor,
  args: {
    storeId: string;
    id: string;
    set: Partial<Pick<CustomerRow, 'name' | 'passwordHash' | 'emailVerifiedAt'>>;
    now: Date;
    expectedVersion?: number;
  },
): Promise<CustomerRow | undefined> {
  const conditions = [eq(customer.storeId, args.storeId), eq(customer.id, args.id)];
  if (args.expectedVersion !== undefined) conditions.push(eq(customer.version, args.expectedVersion));
  const [r] = await db
    .update(customer)
    .set({ ...args.set, updatedAt: args.now, version: sql`${customer.version} + 1` })
    .where(and(...conditions))
    .returning();
  return r;
}

export async function insertEmailToken(db: Executor, row: typeof customerEmailToken.$inferInsert) {
  await db.insert(customerEmailToken).values(row);
}

/** Uses a live token once: returns it when it was unused and unexpired, marking it used. */
export async function useEmailToken(
  tx: Tx,
  args: { storeId: string; tokenHash: string; kind: EmailTokenKind; now: Date },
) {
  const [r] = await tx
    .update(customerEmailToken)
    .set({ usedAt: args.now })
    .where(
      and(
        eq(customerEmailToken.tokenHash, args.tokenHash),
        eq(customerEmailToken.storeId, args.storeId),
        eq(customerEmailToken.kind, args.kind),
        isNull(customerEmailToken.usedAt),
        gt(customerEmailToken.expiresAt, args.now),
      ),
    )
    .returning();
  return r;
}

/** Closes the customer's other open tokens of a kind (a reset used makes the other reset links void). */
export async function closeOpenTokens(tx: Tx, args: { customerId: string; kind: EmailTokenKind; now: Date }) {
  await tx
    .update(customerEmailToken)
    .set({ usedAt: args.now })
    .where(
      and(
        eq(customerEmailToken.customerId, args.customerId),
        eq(customerEmailToken.kind, args.kind),
        isNull(customerEmailToken.usedAt),
      ),
    );
}

export async function listAddresses(
  db: Executor,
  args: { customerId: string; beforeId: string | null; limit: number },
): Promise<CustomerAddressRow[]> {
  const conditions = [eq(customerAddress.customerId, args.customerId)];
  if (args.beforeId) conditions.push(lt(customerAddress.id, args.beforeId));
  return db
    .select()
    .from(customerAddress)
    .where(and(...conditions))
    .orderBy(desc(customerAddress.id))
    .limit(args.limit + 1);
}

export async function insertAddress(db: Executor, row: typeof customerAddress.$inferInsert) {
  const [r] = await db.insert(customerAddress).values(row).returning();
  return r!;
}

export async function updateAddress(
  db: Executor,
  args: { customerId: string; id: string; set: Partial<typeof customerAddress.$inferInsert> },
): Promise<CustomerAddressRow | undefined> {
  const [r] = await db
    .update(customerAddress)
    .set(args.set)
    .where(and(eq(customerAddress.customerId, args.customerId), eq(customerAddress.id, args.id)))
    .returning();
  return r;
}

export async function deleteAddress(
  db: Executor,
  args: { customerId: string; id: string },
): Promise<boolean> {
  const r = await db
    .delete(customerAddress)
    .where(and(eq(customerAddress.customerId, args.customerId), eq(customerAddress.id, args.id)))
    .returning({ id: customerAddress.id });
  return r.length > 0;
}

/** `like` pattern for a prefix: the user's `%`, `_` and `\\` match themselves. */
const prefixPattern = (q: string) => `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * A store's customers, newest first (index `customer_store_id_idx`). `q` keeps those whose email or name
 * starts with it, case-insensitively (indexes `customer_store_email_prefix_idx` and `customer_store_name_prefix_idx`,
 * combined by a bitmap or); `verified` keeps those whose email is (or is not) verified. Reads one past `limit`.
 */
export async function listCustomers(
  db: Executor,
  args: { storeId: string; q?: string; verified?: boolean; beforeId: string | null; limit: number },
): Promise<CustomerRow[]> {
  const conditions: SQL[] = [eq(customer.storeId, args.storeId)];
  if (args.q) {
    const pattern = prefixPattern(args.q.toLowerCase());
    conditions.push(
      or(sql`${customer.email} like ${pattern}`, sql`lower(${customer.name}) like ${pattern}`)!,
    );
  }
  if (args.verified !== undefined) {
    conditions.push(args.verified ? isNotNull(customer.emailVerifiedAt) : isNull(customer.emailVerifiedAt));
  }
  if (args.beforeId) conditions.push(lt(customer.id, args.beforeId));
  return db
    .select()
    .from(customer)
    .where(and(...conditions))
    .orderBy(desc(customer.id))
    .limit(args.limit + 1);
}
