// The PostgreSQL the benchmarks that need one run against.
import pg from 'pg';

/** A maintenance connection that may create and drop the benchmarks' databases. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the same server as ADMIN_URL. */
export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement (e.g. `create database …`) on a connection of its own to ADMIN_URL. */
export async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Autovacuum's analyze, on database `url` every `everyMs` until stopped: each table of which more than 50 rows
 * + 10% have changed since its last analyze is analyzed (PostgreSQL's default thresholds), which re-plans the
 * statements that each connection prepared while the table was small. This machine's PostgreSQL runs with
 * autovacuum off, and even with it on, its one-minute nap is longer than a bench phase: without this, a table
 * that starts empty (orders, reservations, idempotency keys) goes on being read with a plan that scans it whole.
 */
export async function analyzeEvery(url: string, everyMs: number): Promise<{ stop(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const round = async () => {
    const due = await client.query<{ name: string }>(
      `select format('%I.%I', s.schemaname, s.relname) as name
         from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        where s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)`,
    );
    for (const { name } of due.rows) await client.query(`analyze ${name}`);
  };
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(round).catch(() => undefined);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await client.end();
    },
  };
}

/** The environment of an API or worker process on `dbUrl`, with rate limits out of the way of the load. */
export function serverEnv(dbUrl: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '20',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };
}
