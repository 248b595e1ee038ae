import { and, eq, sql } from 'drizzle-orm';
import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/support/harness.ts';
import { type Executor, inTransaction, rows } from './db.ts';
import { ts } from './db-columns.ts';
import { prepared, preparedSql, slot } from './prepared.ts';

// An existing table with a JSON column, nullable columns and timestamps, seen from here (modules keep their own).
const idempotencyKey = pgTable('idempotency_key', {
  scope: text('scope').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  state: text('state').notNull(),
  responseStatus: integer('response_status'),
  responseHeaders: jsonb('response_headers').$type<Record<string, string>>(),
  responseBody: text('response_body'),
  lockedUntil: ts('locked_until').notNull(),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

const database = await freshDatabase();
afterAll(() => database.close());
const db = database.db;

const insert = prepared<
  { key: string; headers: Record<string, string> | null; status: number | null; at: Date },
  ReturnType<typeof buildInsert>
>((x) => buildInsert(x));
function buildInsert(x: Executor) {
  return x
    .insert(idempotencyKey)
    .values({
      scope: 'prepared-test',
      key: slot('key'),
      requestHash: 'h',
      state: 'in_flight',
      responseStatus: slot('status'),
      responseHeaders: slot('headers'),
      lockedUntil: slot('at'),
      createdAt: slot('at'),
      expiresAt: slot('at'),
    })
    .returning();
}
const byKey = prepared<{ key: string }, ReturnType<typeof buildSelect>>((x) => buildSelect(x));
function buildSelect(x: Executor) {
  return x
    .select()
    .from(idempotencyKey)
    .where(and(eq(idempotencyKey.scope, 'prepared-test'), eq(idempotencyKey.key, slot('key'))));
}
const countOf = preparedSql<{ key: string }>(
  () =>
    sql`select count(*)::int as n from idempotency_key where scope = 'prepared-test' and key = ${slot('key')}`,
);

describe('prepared statements', () => {
  it('answer the same typed rows as the builder, with values encoded per column', async () => {
    const at = new Date('2030-01-02T03:04:05.678Z');
    const [row] = await insert(db, { key: 'a', headers: { etag: '"1"' }, status: 201, at });
    expect(row).toMatchObject({ key: 'a', responseHeaders: { etag: '"1"' }, responseStatus: 201 });
    expect(row!.lockedUntil).toBeInstanceOf(Date);
    expect(row!.lockedUntil.toISOString()).toBe(at.toISOString());
    const [again] = await byKey(db, { key: 'a' });
    const [built] = await db
      .select()
      .from(idempotencyKey)
      .where(and(eq(idempotencyKey.scope, 'prepared-test'), eq(idempotencyKey.key, 'a')));
    expect(again).toEqual(built);
  });

  it('store null as SQL NULL, not JSON null', async () => {
    await insert(db, { key: 'b', headers: null, status: null, at: new Date() });
    const r = await rows<{ n: number }>(
      db,
      sql`select count(*)::int as n from idempotency_key where key = 'b' and response_headers is null and response_status is null`,
    );
    expect(r[0]!.n).toBe(1);
  });

  it('run on the transaction they are given: a rollback takes their writes back', async () => {
    await expect(
      inTransaction(db, async (tx) => {
        await insert(tx, { key: 'c', headers: null, status: null, at: new Date() });
        const inside = await countOf(tx, { key: 'c' });
        expect(inside.rows[0]!.n).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await countOf(db, { key: 'c' })).rows[0]!.n).toBe(0);
  });

  it('refuse to run with a value missing', async () => {
    await expect(byKey(db, {} as { key: string })).rejects.toThrow(/no value for key/);
  });
});
