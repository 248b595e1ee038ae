import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Clock } from '../../src/shared/clock.ts';
import { type Database, openDatabase, runMigrations } from '../../src/shared/db.ts';
import { silentLogger } from '../../src/shared/logger.ts';

export const ROOT_TOKEN = 'root_token_for_tests_0123456789';

/** The PostgreSQL server tests run against when set (CI sets it); PGlite in memory otherwise. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const DB_KIND = TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** What one piece of work sent to the database: its statements (without BEGIN/COMMIT) and transactions. */
export interface StatementLog {
  statements: string[];
  transactions: number;
}

const recording = new AsyncLocalStorage<StatementLog>();
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release savepoint)\b/i;

function recordStatement(query: string): void {
  const log = recording.getStore();
  if (log && !TRANSACTION_CONTROL.test(query)) log.statements.push(query);
}

/** Counts the transactions opened through the ORM (PGlite's BEGIN never reaches the ORM's logger). */
function countTransactions(database: Database): Database {
  const db = database.db;
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: never, config?: never) => {
    const log = recording.getStore();
    if (log) log.transactions++;
    return transaction(fn, config);
  }) as typeof db.transaction;
  return database;
}

/**
 * Runs `fn` and records every statement it sends to any test database, through the driver's logger, in
 * `fn`'s async context only: background pollers (cache change feed, jobs) running meanwhile are not counted.
 */
export async function recordStatements<T>(fn: () => Promise<T>): Promise<{ result: T; log: StatementLog }> {
  const log: StatementLog = { statements: [], transactions: 0 };
  const result = await recording.run(log, fn);
  return { result, log };
}

/** Opens a fresh, migrated database: a new PostgreSQL database per call, or a new in-memory PGlite. */
export async function freshDatabase(): Promise<Database & { url?: string }> {
  if (!TEST_DATABASE_URL) {
    const database = await openDatabase({ memory: true, onStatement: recordStatement });
    await runMigrations(database);
    return countTransactions(database);
  }
  const name = `cs_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const database = countTransactions(
    await openDatabase({ url: url.toString(), poolSize: 10, onStatement: recordStatement }),
  );
  await runMigrations(database);
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const a = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/**
 * An app on a fresh database, driven in-process with `app.request()`.
 * Closed automatically after the test file.
 */
export async function testApp(
  opts: {
    env?: Record<string, string>;
    clock?: Clock;
    /** Shares a database (the caller closes it); a fresh one otherwise. */
    database?: Database;
  } = {},
) {
  const database = opts.database ?? (await freshDatabase());
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    CROWDSTART_ROOT_TOKEN: ROOT_TOKEN,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
    CACHE_POLL_MS: '50',
    ...opts.env,
  });
  const built = createApp({ config, database, logger: silentLogger, clock: opts.clock });
  await built.start({ worker: false });
  afterAll(async () => {
    await built.close();
    if (!opts.database) await database.close();
  });

  async function request(method: string, path: string, o: RequestOptions = {}) {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await built.app.request(path, { method, headers, body });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  /** Creates a store with one publishable and one secret key through the HTTP API. */
  async function createStore(input: { name?: string; currency?: string; settings?: object } = {}) {
    const s = await request('POST', '/v1/stores', {
      key: ROOT_TOKEN,
      body: { name: input.name ?? 'Test store', currency: input.currency ?? 'USD', settings: input.settings },
    });
    if (s.status !== 201) throw new Error(`createStore: ${s.status} ${s.text}`);
    const pk = await request('POST', `/v1/stores/${s.json.id}/keys`, {
      key: ROOT_TOKEN,
      body: { kind: 'publishable' },
    });
    const sk = await request('POST', `/v1/stores/${s.json.id}/keys`, {
      key: ROOT_TOKEN,
      body: { kind: 'secret' },
    });
    return { id: s.json.id as string, pk: pk.json.key as string, sk: sk.json.key as string };
  }

  return { ...built, database, request, createStore };
}

export type TestApp = Awaited<ReturnType<typeof testApp>>;
