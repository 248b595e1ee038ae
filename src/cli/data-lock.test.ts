import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  removeTempDataDirs,
  runCli,
  spawnCli,
  tempDataDir,
} from '../../test/support/cli.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectRefused(r: { code: number | null; stdout: string; stderr: string }, pid: number, dir: string) {
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toEqual([
    expect.stringMatching(
      new RegExp(
        `^the server in PID ${pid} is using ${escapeRegExp(dir)}; stop it first, or point this command at its API$`,
      ),
    ),
  ]);
}

/** Starts `start` on the directory; it joins `running` at once, so a test that fails while it boots still stops it. */
async function startServer(dataDir: string, running: CliProcess[]) {
  const server = spawnCli(['start'], { CROWDSTART_DATA_DIR: dataDir });
  running.push(server);
  const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
  return { server, port: port!, base: `http://127.0.0.1:${port}` };
}

afterAll(removeTempDataDirs);

describe('one process per embedded data directory', () => {
  const dataDir = tempDataDir();
  const running: CliProcess[] = [];
  afterAll(async () => {
    for (const p of running) await p.kill();
  });

  it('refuses a second process while the server runs, and loses no write', async () => {
    const { server, port, base } = await startServer(dataDir, running);
    const [, storeId] = await server.waitFor(/Demo store (store_\w+) seeded/);
    const [, sk] = await server.waitFor(/secret key:\s+(sk_test_\w+)/);
    const [, slug] = await server.waitFor(/\/v1\/products\/(\S+)/);
    const pid = server.child.pid!;

    // A key made now would be written beside the server's files and never seen by it.
    const keys = await runCli(['keys', 'create', '--store', storeId!, '--kind', 'publishable'], {
      CROWDSTART_DATA_DIR: dataDir,
    });
    expectRefused(keys, pid, dataDir);
    expect(keys.stdout).not.toMatch(/pk_test_/);

    // A second server (same port, as a second `npm start` would) stops before migrating, seeding or
    // starting jobs, and names the server that holds the data.
    const second = await runCli(['start'], { CROWDSTART_DATA_DIR: dataDir, PORT: port });
    expectRefused(second, pid, dataDir);
    expect(second.stdout).not.toMatch(/Using existing data|seeded|listening/);

    const others = await Promise.all(
      [['migrate'], ['seed'], ['worker'], ['serve'], ['stores', 'create', '--name', 'X']].map((command) =>
        runCli(command, { CROWDSTART_DATA_DIR: dataDir }),
      ),
    );
    for (const r of others) expectRefused(r, pid, dataDir);

    // The server is unharmed and, once stopped, frees the directory.
    const store = await fetch(`${base}/v1/store`, { headers: { authorization: `Bearer ${sk}` } });
    expect(store.status).toBe(200);
    expect(await server.kill('SIGTERM')).toBe(0);
    expect(existsSync(path.join(dataDir, 'crowdstart.pid'))).toBe(false);

    // Now the key is made, and the next server honours it.
    const made = await runCli(['keys', 'create', '--store', storeId!, '--kind', 'publishable'], {
      CROWDSTART_DATA_DIR: dataDir,
    });
    expect(made.code).toBe(0);
    const key = JSON.parse(made.stdout).key as string;
    const again = await startServer(dataDir, running);
    const product = await fetch(`${again.base}/v1/products/${slug}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(product.status).toBe(200);
    // Ten CLI processes and two servers start here; on a busy 2-core machine that takes more than a minute.
  }, 240_000);

  it('takes over the lock of a process that is gone', async () => {
    const dir = tempDataDir();
    mkdirSync(dir, { recursive: true });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    writeFileSync(path.join(dir, 'crowdstart.pid'), JSON.stringify({ pid: dead.pid, command: 'start' }));

    const r = await runCli(['migrate'], { CROWDSTART_DATA_DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Migrations applied/);
    expect(existsSync(path.join(dir, 'crowdstart.pid'))).toBe(false);
  });

  it('names a live command that holds the lock', async () => {
    const dir = tempDataDir();
    writeFileSync(
      path.join(dir, 'crowdstart.pid'),
      JSON.stringify({ pid: process.pid, command: 'keys create' }),
    );
    const r = await runCli(['migrate'], { CROWDSTART_DATA_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `\`crowdstart keys create\` in PID ${process.pid} is using ${dir}; stop it first, or point this command at its API\n`,
    );
    expect(existsSync(path.join(dir, 'pgdata'))).toBe(false);
  });
});
