import { isAppError } from '../shared/app-error.ts';

/** A problem the user can fix, said in one line (no stack trace). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
]);

/**
 * Any error as the one line the CLI prints. Database errors name the database; codes stay in the line so an
 * operator can search them.
 */
export function describeError(e: unknown, context: { databaseUrl?: string } = {}): string {
  if (e instanceof CliError) return e.message;
  if (isAppError(e)) return `${e.message} (${e.code})`;
  // A dual-stack connect failure is an AggregateError with an empty message; its parts say what happened.
  const err = (e instanceof AggregateError && e.errors[0] ? e.errors[0] : e) as Error & {
    code?: string;
  };
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = (message.split('\n')[0] || String(e)).trim();
  const where = context.databaseUrl ? redactUrl(context.databaseUrl) : 'the embedded database';
  if (err?.code === 'EADDRINUSE') return `${firstLine}; stop what listens there or set PORT to a free port`;
  if (err?.code && CONNECT_CODES.has(err.code)) return `cannot reach the database at ${where}: ${firstLine}`;
  if (err?.code === '3D000' || err?.code === '28P01' || err?.code === '28000') {
    return `the database at ${where} refused us: ${firstLine}`;
  }
  return err?.code ? `${firstLine} (${err.code})` : firstLine;
}
