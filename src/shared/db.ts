import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';

/**
 * A database handle or an open transaction: repositories take one of these as their first
 * argument and never open transactions themselves.
 */
export type Executor = PgDatabase<PgQueryResultHKT, Record<string, never>>;

declare const inOpenTransaction: unique symbol;
/**
 * An open transaction. Only `inTransaction` makes one, so a function that takes a `Tx` (it locks rows, or
 * its writes must commit or roll back with the caller's) cannot be called outside a transaction. A `Tx`
 * is an `Executor`, so it goes wherever one does.
 */
export type Tx = Executor & { readonly [inOpenTransaction]: true };

export interface Database {
  db: Executor;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../db/migrations');

/** Where PGlite keeps an embedded data directory's database (`<data dir>/pgdata`). */
export const PGLITE_DIR = 'pgdata';

// int8 and numeric come back as strings from node-postgres; our counters fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** At most this many distinct statement texts are prepared; the rest (rare shapes) run unnamed. */
const MAX_PREPARED_TEXTS = 1_000;

/**
 * node-postgres' client class for one pool, with every parameterised statement sent as a named statement: the
 * same text, the same name (`cs_<n>`). The ORM sends every query with parameters through the extended
 * protocol; naming it lets each connection parse and plan it once and then only bind and execute it, instead
 * of parsing it again on every request (the hot paths repeat a few dozen texts). Past the cap (lists of
 * varying length make new texts) statements run unnamed.
 */
function preparingClient(): typeof pg.Client {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED_TEXTS) {
      name = `cs_${names.size.toString(36)}`;
      names.set(text, name);
    }
    return name;
  };
  const Client = class extends pg.Client {} as typeof pg.Client;
  const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const [config, values] = args;
    if (typeof config === 'object' && config !== null && !('submit' in config)) {
      const c = config as { text?: unknown; name?: unknown; values?: unknown };
      const params = Array.isArray(values) ? values : c.values;
      if (typeof c.text === 'string' && c.name === undefined && Array.isArray(params) && params.length > 0) {
        const name = nameOf(c.text);
        if (name) args[0] = { ...c, name };
      }
    } else if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = nameOf(config);
      if (name) args[0] = { text: config, name };
    }
    return clientQuery.apply(this, args);
  };
  return Client;
}

export async function openDatabase(options: {
  url?: string;
  dataDir?: string;
  poolSize?: number;
  memory?: boolean;
  /** How long a query waits for a pool connection before failing (PostgreSQL only). */
  connectTimeoutMs?: number;
  /** Sees every statement the ORM sends, in the caller's async context (tests count the hot paths' SQL). */
  onStatement?: (sql: string) => void;
}): Promise<Database> {
  const onStatement = options.onStatement;
  const logger = onStatement ? { logQuery: (query: string) => onStatement(query) } : undefined;
  if (options.url) {
    const pool = new pg.Pool({
      Client: preparingClient(),
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // A request waits this long for a connection, then answers 503 instead of hanging.
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it. Queries report their own errors.
    });
    pool.on('connect', (client) => {
      // A checked-out client whose connection drops (failover, restart, pg_terminate_backend) emits
      // 'error'; unhandled, that event ends the process. The query in flight rejects on its own, and the
      // client is no longer queryable, so the pool discards it on release instead of reusing it.
      client.on('error', () => undefined);
    });
    return {
      db: drizzlePg({ client: pool, logger }) as unknown as Executor,
      kind: 'postgres',
      close: () => pool.end(),
    };
  }
  let dir: string | undefined;
  if (!options.memory) {
    dir = path.resolve(options.dataDir ?? './.crowdstart', PGLITE_DIR);
    mkdirSync(dir, { recursive: true });
  }
  const client = await PGlite.create(dir ?? 'memory://', { extensions: { pg_trgm } });
  return {
    db: drizzlePglite({ client, logger }) as unknown as Executor,
    kind: 'pglite',
    close: () => client.close(),
  };
}

/** Applies the committed SQL migrations; several processes may call it at once on PostgreSQL. */
export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  // Serialise concurrent migrators (two API processes starting together). Not on the money path.
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7426150)`);
    await migratePg(tx as never, { migrationsFolder: MIGRATIONS_DIR });
  });
}

export function expectedMigrationCount(): number {
  const journal = path.join(MIGRATIONS_DIR, 'meta', '_journal.json');
  if (!existsSync(journal)) return 0;
  return (JSON.parse(readFileSync(journal, 'utf8')) as { entries: unknown[] }).entries.length;
}

export async function appliedMigrationCount(db: Executor): Promise<number> {
  try {
    const r = await rows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    return r[0]?.n ?? 0;
  } catch {
    return 0;
  }
}

/** Runs a raw SQL statement and returns its rows, the same on PGlite and node-postgres. */
export async function rows<T>(db: Executor, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows: T[] };
  return res.rows;
}

/** The SQLSTATE of a database error, looking through the ORM's wrapper. */
export function pgErrorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function pgConstraint(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const c = (cur as { constraint?: unknown }).constraint;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Socket-level codes of a connection that could not be made or was cut. */
const CONNECTION_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** SQLSTATEs of a server going away or refusing connections: admin/crash shutdown, cannot connect now, too many. */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|PGlite is closed|Cannot use a pool after calling end/i;

/**
 * Whether an error means the database could not be reached (refused, cut, timed out, shutting down),
 * as opposed to a bad query: callers answer 503 and the client retries.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 6; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
        return true;
    }
    const message = (cur as { message?: unknown }).message;
    if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true;
    const errors = (cur as { errors?: unknown }).errors; // AggregateError from a dual-stack connect
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

const RETRYABLE: ReadonlySet<string> = new Set(['40001', '40P01']);

const commitHooks = Symbol('crowdstart.commitHooks');
type WithCommitHooks = { [commitHooks]?: Array<() => void> };

/**
 * Runs `fn` once the transaction `tx` belongs to has committed, and never if it rolls back: for what must not
 * happen before the data is visible to others (dropping cached pages, telling other processes). Hooks run in
 * order, right after COMMIT and before `inTransaction` returns; one that throws is reported on stderr and does
 * not fail the committed work.
 */
export function afterCommit(tx: Tx, fn: () => void): void {
  const hooks = (tx as WithCommitHooks)[commitHooks];
  if (!hooks) throw new Error('afterCommit: not a transaction made by inTransaction');
  hooks.push(fn);
}

function runCommitHooks(hooks: ReadonlyArray<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch (err) {
      console.error('after-commit hook failed', err);
    }
  }
}

/**
 * Runs `fn` in one transaction, retrying on serialization failures and deadlocks
 * (portable to CockroachDB/YugabyteDB, which report contention the same way).
 */
export async function inTransaction<T>(
  db: Executor,
  fn: (tx: Tx) => Promise<T>,
  options: { isolation?: 'read committed' | 'repeatable read' | 'serializable'; retries?: number } = {},
): Promise<T> {
  const retries = options.retries ?? 8;
  // A nested call (a savepoint) hands its hooks to the transaction around it: they wait for the real commit.
  const outer = (db as WithCommitHooks)[commitHooks];
  for (let attempt = 0; ; attempt++) {
    try {
      const hooks: Array<() => void> = outer ?? [];
      const result = await db.transaction(
        (tx) => {
          (tx as WithCommitHooks)[commitHooks] = hooks;
          return fn(tx as unknown as Tx);
        },
        options.isolation ? { isolationLevel: options.isolation } : undefined,
      );
      if (!outer) runCommitHooks(hooks);
      return result;
    } catch (e) {
      const code = pgErrorCode(e);
      if (!code || !RETRYABLE.has(code) || attempt >= retries) throw e;
      await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
