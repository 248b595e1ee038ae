import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The API is measured as it is deployed: compiled JavaScript (`npm run build` → dist/), without the
 * TypeScript loader (which alone adds ~35 MB of RSS and a loader thread).
 */
export const MAIN = 'dist/main.js';

/** Runs the CLI to completion and returns its stdout. */
export async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`crowdstart ${args.join(' ')} exited with ${code}\n${out}`);
  return out;
}

export interface Server {
  child: ChildProcess;
  url: string;
  rssMb(): number;
  /** CPU time (user + system, ms) the process has used so far. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Starts a long-running process and waits until it prints a line matching `ready`. */
export async function startProcess(opts: {
  args: string[];
  env: Record<string, string>;
  ready: RegExp;
  url: string;
  script?: string;
  /** Ready once `ready` has matched this many lines (one per cluster worker). Default 1. */
  readyCount?: number;
  /** Count the CPU and memory of the process's children too (node:cluster workers). */
  withChildren?: boolean;
}): Promise<Server> {
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=prof") profiles the API process, not the ceiling.
  const extra =
    !opts.script && process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
  const child = spawn(
    process.execPath,
    [...extra, ...(opts.script ? ['--import', 'tsx', opts.script] : [MAIN]), ...opts.args],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not become ready:\n${log}`)), 120_000);
    const onData = (d: Buffer) => {
      log += d;
      const seen = log.split('\n').filter((line) => opts.ready.test(line)).length;
      if (seen >= (opts.readyCount ?? 1)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      log += d;
    });
    child.on('exit', (code) => reject(new Error(`process exited with ${code}:\n${log}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const pids = () => [child.pid!, ...(opts.withChildren ? childrenOf(child.pid!) : [])];
  return {
    child,
    url: opts.url,
    rssMb() {
      let kb = 0;
      for (const pid of pids()) {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      }
      return Math.round(kb / 1024);
    },
    cpuMs() {
      // /proc/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks of 10 ms, after the ") " of the name.
      let ticks = 0;
      for (const pid of pids()) {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      }
      return ticks * 10;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * CPU time (ms) that the machine's PostgreSQL processes have used so far: every live `postgres` process, plus
 * what the postmasters' exited children (closed backends) used. Read before and after a load, it is what the
 * database spent on it (the server mode's system PostgreSQL or the embedded one; PGlite runs inside the API).
 */
export function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    if (!stat.includes('(postgres)')) continue;
    // utime, stime, cutime, cstime: fields 14 to 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks * 10;
}

/** The live child processes of `pid` (its node:cluster workers). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * `crowdstart serve` on 127.0.0.1:`port`, ready once it listens; `start` for what `npm start` runs (the
 * embedded database unless DATABASE_URL is set, the demo seed on first start, the worker in the process).
 */
export function startApi(
  env: Record<string, string>,
  port: number,
  command: 'serve' | 'start' = 'serve',
  workers = 1,
): Promise<Server> {
  return startProcess({
    args: workers > 1 ? [command, '--workers', String(workers)] : [command],
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    ready: /listening on/,
    readyCount: workers,
    withChildren: workers > 1,
    url: `http://127.0.0.1:${port}`,
  });
}

/** `crowdstart worker`, ready once it runs its loop. */
export function startWorker(env: Record<string, string>): Promise<Server> {
  return startProcess({ args: ['worker'], env, ready: /worker (running|started)/, url: '' });
}

/** The ceiling (bench/ceiling.ts): a bare node:http server answering `bodyBytes` of JSON on `port`. */
export function startCeiling(port: number, bodyBytes: number): Promise<Server> {
  return startProcess({
    args: [],
    script: 'bench/ceiling.ts',
    env: { PORT: String(port), BODY_BYTES: String(bodyBytes) },
    ready: /ceiling listening/,
    url: `http://127.0.0.1:${port}`,
  });
}
