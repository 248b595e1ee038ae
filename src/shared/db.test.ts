import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  afterCommit,
  inTransaction,
  isDatabaseUnavailable,
  MIGRATIONS_DIR,
  openDatabase,
  rows,
} from './db.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('afterCommit', () => {
  it('runs after the outermost commit, in order, and never after a rollback', async () => {
    const { db, close } = await openDatabase({ memory: true });
    try {
      const seen: string[] = [];
      await db.execute(sql`create table t (n int)`);
      const r = await inTransaction(db, async (tx) => {
        await tx.execute(sql`insert into t values (1)`);
        afterCommit(tx, () => seen.push('outer'));
        await inTransaction(tx, async (inner) => {
          afterCommit(inner, () => seen.push('nested'));
        });
        // The nested block released its savepoint; the hook still waits for the real COMMIT.
        expect(seen).toEqual([]);
        return 'done';
      });
      expect(r).toBe('done');
      expect(seen).toEqual(['outer', 'nested']);

      await expect(
        inTransaction(db, async (tx) => {
          afterCommit(tx, () => seen.push('rolled back'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(seen).toEqual(['outer', 'nested']);

      // A hook that throws does not undo or fail the committed work.
      await inTransaction(db, async (tx) => {
        await tx.execute(sql`insert into t values (2)`);
        afterCommit(tx, () => {
          throw new Error('hook');
        });
      });
      expect((await rows<{ n: number }>(db, sql`select count(*)::int as n from t`))[0]!.n).toBe(2);
      expect(() => afterCommit(db as never, () => undefined)).toThrow(/not a transaction/);
    } finally {
      await close();
    }
  });
});

describe('the migration journal', () => {
  it('dates every migration after the one before it (the migrator skips one dated before the last applied)', () => {
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
      entries: Array<{ idx: number; when: number; tag: string }>;
    };
    const outOfOrder = journal.entries.filter((e, i) => i > 0 && e.when <= journal.entries[i - 1]!.when);
    expect(outOfOrder.map((e) => e.tag)).toEqual([]);
    expect(journal.entries.map((e) => e.idx)).toEqual(journal.entries.map((_, i) => i));
  });
});

describe('isDatabaseUnavailable', () => {
  it('recognises refused, cut and timed-out connections and a server going away', () => {
    for (const e of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('08001'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Failed query: select 1', { cause: withCode('ECONNREFUSED') }),
      Object.assign(new AggregateError([withCode('ECONNREFUSED')]), { code: undefined }),
    ]) {
      expect(isDatabaseUnavailable(e), String(e)).toBe(true);
    }
  });

  it('leaves query errors alone', () => {
    for (const e of [
      withCode('23505', 'duplicate key'),
      withCode('40001'),
      withCode('22P05', 'unsupported Unicode escape sequence'),
      new Error('boom'),
      null,
      undefined,
    ]) {
      expect(isDatabaseUnavailable(e), String(e)).toBe(false);
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('a connection dropped mid-transaction (PostgreSQL)', () => {
  it('fails that transaction as unavailable, does not end the process, and the pool replaces the client', async () => {
    const url = process.env.TEST_DATABASE_URL!;
    const database = await openDatabase({ url, poolSize: 1 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const failed = await inTransaction(database.db, async (tx) => {
        const [me] = await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
        await admin.query('select pg_terminate_backend($1)', [me!.pid]);
        // Idle in the transaction while the connection dies: the client emits 'error' with no query to fail.
        await new Promise((r) => setTimeout(r, 200));
        await rows(tx, sql`select 1`);
      }).catch((e: unknown) => e);
      expect(isDatabaseUnavailable(failed), String(failed)).toBe(true);
      // One connection in the pool: the broken client was discarded, not handed out again.
      expect(await rows(database.db, sql`select 1 as n`)).toEqual([{ n: 1 }]);
    } finally {
      await admin.end();
      await database.close();
    }
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('prepared statements (PostgreSQL)', () => {
  it('prepares a parameterised statement once per connection and runs it again by name', async () => {
    const database = await openDatabase({ url: process.env.TEST_DATABASE_URL!, poolSize: 1 });
    try {
      const marker = `m${Date.now()}`;
      const query = (n: number) => sql`select ${n}::int + 1 as n, ${marker}::text as marker`;
      const prepared = await inTransaction(database.db, async (tx) => {
        expect(await rows(tx, query(1))).toEqual([{ n: 2, marker }]);
        expect(await rows(tx, query(41))).toEqual([{ n: 42, marker }]);
        return rows<{ name: string; statement: string }>(
          tx,
          sql`select name, statement from pg_prepared_statements where statement like ${`%::text as marker%`}`,
        );
      });
      expect(prepared).toHaveLength(1);
      expect(prepared[0]!.name).toMatch(/^cs_/);
      // Outside a transaction, through the pool, the same connection answers by name too.
      expect(await rows(database.db, query(9))).toEqual([{ n: 10, marker }]);
    } finally {
      await database.close();
    }
  });
});
