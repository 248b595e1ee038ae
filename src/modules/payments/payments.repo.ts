import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../shared/db.ts';
import { prepared, slot } from '../../shared/prepared.ts';
import { testGatewayOperation, testGatewayPayment } from './payments.tables.ts';

export type TestPaymentRow = typeof testGatewayPayment.$inferSelect;
export type TestOperationRow = typeof testGatewayOperation.$inferSelect;

const insertTestPayment = prepared<TestPaymentRow, ReturnType<typeof buildInsertTestPayment>>((db) =>
  buildInsertTestPayment(db),
);

function buildInsertTestPayment(db: Executor) {
  return db
    .insert(testGatewayPayment)
    .values({
      id: slot('id'),
      idempotencyKey: slot('idempotencyKey'),
      orderId: slot('orderId'),
      currency: slot('currency'),
      amount: slot('amount'),
      status: slot('status'),
      amountAuthorized: slot('amountAuthorized'),
      amountCaptured: slot('amountCaptured'),
      amountRefunded: slot('amountRefunded'),
      declineCode: slot('declineCode'),
      message: slot('message'),
      cardLast4: slot('cardLast4'),
      email: slot('email'),
      createdAt: slot('createdAt'),
      updatedAt: slot('updatedAt'),
    })
    .onConflictDoNothing({ target: testGatewayPayment.idempotencyKey })
    .returning();
}

/** Inserts the payment (every column given) unless one with the same idempotency key exists; returns it only when inserted. */
export async function insertTestPaymentIfAbsent(
  tx: Executor,
  row: TestPaymentRow,
): Promise<TestPaymentRow | undefined> {
  const [r] = await insertTestPayment(tx, row);
  return r;
}

const testPaymentByKey = prepared<{ key: string }, ReturnType<typeof buildTestPaymentByKey>>((db) =>
  buildTestPaymentByKey(db),
);

function buildTestPaymentByKey(db: Executor) {
  return db
    .select()
    .from(testGatewayPayment)
    .where(eq(testGatewayPayment.idempotencyKey, slot('key')))
    .limit(1);
}

export async function findTestPaymentByKey(
  tx: Executor,
  idempotencyKey: string,
): Promise<TestPaymentRow | undefined> {
  const [r] = await testPaymentByKey(tx, { key: idempotencyKey });
  return r;
}

export async function findTestPayment(
  tx: Executor,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<TestPaymentRow | undefined> {
  const q = tx.select().from(testGatewayPayment).where(eq(testGatewayPayment.id, id)).limit(1);
  const [r] = opts.forUpdate ? await q.for('update') : await q;
  return r;
}

/** Every attempt for one order, oldest first. */
export async function listTestPaymentsForOrder(tx: Executor, orderId: string): Promise<TestPaymentRow[]> {
  return tx
    .select()
    .from(testGatewayPayment)
    .where(eq(testGatewayPayment.orderId, orderId))
    .orderBy(asc(testGatewayPayment.createdAt), asc(testGatewayPayment.id));
}

export async function updateTestPayment(
  tx: Executor,
  id: string,
  patch: Partial<
    Pick<TestPaymentRow, 'status' | 'amountCaptured' | 'amountRefunded' | 'amountAuthorized' | 'updatedAt'>
  >,
): Promise<TestPaymentRow> {
  const [r] = await tx.update(testGatewayPayment).set(patch).where(eq(testGatewayPayment.id, id)).returning();
  return r!;
}

export async function findTestOperation(
  tx: Executor,
  idempotencyKey: string,
): Promise<TestOperationRow | undefined> {
  const [r] = await tx
    .select()
    .from(testGatewayOperation)
    .where(eq(testGatewayOperation.idempotencyKey, idempotencyKey))
    .limit(1);
  return r;
}

export async function insertTestOperation(
  tx: Executor,
  row: typeof testGatewayOperation.$inferInsert,
): Promise<void> {
  await tx.insert(testGatewayOperation).values(row);
}
