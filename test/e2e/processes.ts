import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E_ROOT_TOKEN = 'e2e_root_token_0123456789abcdef';

export interface Proc {
  child: ChildProcess;
  url: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `crowdstart <command>` as a real process and waits until it is ready. */
export async function startCrowdstart(
  command: 'serve' | 'worker' | 'start',
  env: Record<string, string>,
): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CROWDSTART_ROOT_TOKEN: E2E_ROOT_TOKEN,
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const ready = command === 'worker' ? /worker (running|started)/ : /listening on http:\/\/localhost:(\d+)/;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ? `http://127.0.0.1:${m[1]}` : '');
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    url,
    output: () => out,
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

/** A fresh PostgreSQL database for one test file; `drop()` removes it. */
export async function e2eDatabase(adminUrl: string) {
  const name = `cs_e2e_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // `drop()` ends the pool, then drops the database with (force): a client still closing then hears its backend
  // terminated (57P01), and the pool re-emits that on itself; unheard, it would be an uncaught exception.
  pool.on('error', () => undefined);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function api(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Creates a store and its keys through the root-token API. */
export async function e2eStore(base: string, settings: object = {}) {
  const s = await api(base, 'POST', '/v1/stores', {
    key: E2E_ROOT_TOKEN,
    body: { name: 'E2E', currency: 'USD', settings },
  });
  const pk = await api(base, 'POST', `/v1/stores/${s.json.id}/keys`, {
    key: E2E_ROOT_TOKEN,
    body: { kind: 'publishable' },
  });
  const sk = await api(base, 'POST', `/v1/stores/${s.json.id}/keys`, {
    key: E2E_ROOT_TOKEN,
    body: { kind: 'secret' },
  });
  return { id: s.json.id as string, pk: pk.json.key as string, sk: sk.json.key as string };
}
