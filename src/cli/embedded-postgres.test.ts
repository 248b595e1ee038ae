import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  removeTempDataDirs,
  runCli,
  spawnCli,
  tempDataDir,
} from '../../test/support/cli.ts';

/** PIDs of PostgreSQL servers running on this data directory's cluster. */
function clusterServers(dataDir: string): number[] {
  const cluster = path.join(dataDir, 'pg');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('/postgres') && argv.includes(cluster)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A data directory the system `postgres` user can enter (mkdtemp makes 0700 directories). */
function openDataDir(): string {
  const dir = tempDataDir();
  chmodSync(dir, 0o755);
  return dir;
}

const AUTO = { EMBEDDED_DB: undefined };

afterAll(removeTempDataDirs);

describe('embedded mode defaults to a PostgreSQL server of its own', () => {
  const running: CliProcess[] = [];
  afterAll(async () => {
    for (const p of running) await p.kill();
  });

  it('starts PostgreSQL for a fresh directory, serves CLI commands while up, and stops it on shutdown', async () => {
    const dataDir = openDataDir();
    const server = spawnCli(['start'], { ...AUTO, CROWDSTART_DATA_DIR: dataDir });
    running.push(server);
    const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/, 90_000);
    const [, storeId] = await server.waitFor(/Demo store (store_\w+) seeded/);
    expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
    expect(clusterServers(dataDir)).toHaveLength(1);

    // A CLI command while the server is up goes to the same PostgreSQL: the key it makes works at once.
    const keys = await runCli(['keys', 'create', '--store', storeId!, '--kind', 'publishable'], {
      ...AUTO,
      CROWDSTART_DATA_DIR: dataDir,
    });
    expect(keys.code, keys.stderr).toBe(0);
    const [pk] = /pk_test_\w+/.exec(keys.stdout) ?? [];
    const r = await fetch(`http://127.0.0.1:${port}/v1/products?limit=1`, {
      headers: { authorization: `Bearer ${pk}` },
    });
    expect(r.status).toBe(200);

    expect(await server.kill('SIGTERM')).toBe(0);
    expect(clusterServers(dataDir)).toEqual([]);
  }, 180_000);

  it('stops the server a killed process left behind, and keeps the data', async () => {
    const dataDir = openDataDir();
    const first = spawnCli(['start'], { ...AUTO, CROWDSTART_DATA_DIR: dataDir });
    running.push(first);
    await first.waitFor(/listening on/, 90_000);
    const [orphan] = clusterServers(dataDir);
    await first.kill('SIGKILL');
    expect(clusterServers(dataDir)).toEqual([orphan]);

    const second = spawnCli(['start'], { ...AUTO, CROWDSTART_DATA_DIR: dataDir });
    running.push(second);
    await second.waitFor(/listening on/, 90_000);
    expect(second.stdout()).toMatch(/Using existing data in .*: 1 store\(s\)/);
    const now = clusterServers(dataDir);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(orphan);
    expect(await second.kill('SIGTERM')).toBe(0);
    expect(clusterServers(dataDir)).toEqual([]);
  }, 180_000);

  it.runIf(process.getuid?.() === 0)(
    'as root, serves a directory the postgres user cannot enter with PGlite and says why',
    async () => {
      const dataDir = tempDataDir(); // 0700, owned by root
      const r = await runCli(['migrate'], { ...AUTO, CROWDSTART_DATA_DIR: dataDir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /^Embedded database: PGlite, since PostgreSQL cannot run here: the `postgres` user cannot enter .+ \(running as root\)\.$/m,
      );
      expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'pg'))).toBe(false);
    },
    60_000,
  );
});
