import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const made: string[] = [];

/** A fresh, empty embedded data directory; `removeTempDataDirs` deletes them (call it in `afterAll`). */
export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'crowdstart-cli-'));
  made.push(dir);
  return dir;
}

export function removeTempDataDirs() {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` on stdout + stderr; rejects if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `crowdstart <args>` from source as a real process, in embedded mode unless `env` says otherwise. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SEED_PRODUCTS: '3',
    // No demo history: starts stay quick (test/api/demo-history.test.ts covers it).
    SEED_HISTORY_DAYS: '0',
    // PGlite: no cluster to initialise per directory. src/cli/embedded-postgres.test.ts covers the default.
    EMBEDDED_DB: 'pglite',
    ...env,
  };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out + err);
          if (!m) return false;
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          resolve(m);
          return true;
        };
        const timer = setTimeout(
          () => reject(new Error(`no ${re} in ${timeoutMs} ms:\n${out}${err}`)),
          timeoutMs,
        );
        if (check()) return;
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        void exited.then((code) => {
          if (check()) return;
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before ${re}:\n${out}${err}`));
        });
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs `crowdstart <args>` to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const p = spawnCli(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
