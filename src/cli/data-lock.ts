import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './errors.ts';

/** Commands that run as long-lived servers; others are one-off administration commands. */
const SERVERS = new Set(['start', 'serve', 'worker']);

export interface Holder {
  pid: number;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRaw(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function parseHolder(raw: string): Holder | null {
  try {
    const holder = JSON.parse(raw) as Holder;
    return Number.isInteger(holder.pid) && holder.pid > 0 ? holder : null;
  } catch {
    return null;
  }
}

/** The live process holding the data directory's lock, if any. */
export function dataDirHolder(dataDir: string): Holder | null {
  const holder = parseHolder(readRaw(path.join(path.resolve(dataDir), 'crowdstart.pid')));
  return holder && holder.pid !== process.pid && isAlive(holder.pid) ? holder : null;
}

/**
 * One process per embedded data directory. PGlite has no server of its own: a second process that opened the
 * same files would write beside the first and one of them would lose its writes. The lock is a file that names
 * its process, created atomically (a hard link fails if it exists); a lock whose process is gone is taken over. Released when the process exits.
 */
export function lockDataDir(dataDir: string, command: string): { file: string } {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'crowdstart.pid');
  const mine = JSON.stringify({ pid: process.pid, command });
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written aside, then linked into place: the lock file appears atomically, never empty.
    const aside = `${file}.${process.pid}`;
    writeFileSync(aside, mine);
    try {
      linkSync(aside, file);
      process.once('exit', () => {
        if (parseHolder(readRaw(file))?.pid === process.pid) unlinkSync(file);
      });
      return { file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(aside);
    }
    const raw = readRaw(file);
    const holder = parseHolder(raw);
    if (holder?.pid === process.pid) return { file }; // taken earlier by this process
    if (holder && isAlive(holder.pid)) {
      const who = SERVERS.has(holder.command) ? 'the server' : `\`crowdstart ${holder.command}\``;
      throw new CliError(
        `${who} in PID ${holder.pid} is using ${dataDir}; stop it first, or point this command at its API`,
      );
    }
    // Stale (its process is gone) or unreadable: take it over, unless another process just did.
    if (readRaw(file) === raw) {
      try {
        unlinkSync(file);
      } catch {
        // removed by another process first; the next attempt decides
      }
    }
  }
  throw new CliError(`could not lock ${dataDir}: another process keeps taking ${file}`);
}
