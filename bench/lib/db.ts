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

/** The environment of an API or worker process on `dbUrl`, with rate limits out of the way of the load. */
export function serverEnv(dbUrl: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '20',
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };
}
