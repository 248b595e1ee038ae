import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch } from 'undici';
import {
  type AttemptResult,
  checkWebhookUrl,
  isAddressAllowed,
  type PrivateAddressPolicy,
  refusedAddressMessage,
} from './webhooks.rules.ts';

/** What a delivery keeps of a response body: enough to debug a receiver, never a flood. */
export const RESPONSE_BODY_LIMIT = 4096;

export class RefusedAddressError extends Error {
  readonly code = 'EWEBHOOKADDR';
}

/**
 * A `lookup` for sockets that resolves the name and refuses it when any address it resolves to is outside
 * the policy. The socket connects to the address checked here (no second resolution), so a name cannot
 * pass the check and then point elsewhere (DNS rebinding).
 */
export function guardedLookup(policy: PrivateAddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4);
      const refused = addresses.find((a) => !isAddressAllowed(a.address, policy));
      if (refused || addresses.length === 0) {
        const e = new RefusedAddressError(
          refused ? refusedAddressMessage(refused.address) : `${hostname} has no address.`,
        );
        return callback(e as NodeJS.ErrnoException, '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** Resolves a host and reports the first address outside the policy, for the check at creation. */
export async function refusedAddressOf(host: string, policy: PrivateAddressPolicy): Promise<string | null> {
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    dnsLookup(host, { all: true }, (err, a) => resolve(err ? [] : a));
  });
  // A name that does not resolve yet is accepted: delivery checks again and fails the attempt until it does.
  const refused = addresses.find((a) => !isAddressAllowed(a.address, policy));
  return refused ? refusedAddressMessage(refused.address) : null;
}

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  livemode: boolean;
}

export interface PostResult {
  result: AttemptResult;
  /** The first bytes of the response body. */
  responseBody: string | null;
  latencyMs: number;
}

/**
 * The HTTP client of deliveries: a keep-alive connection pool per endpoint origin (undici's Agent keeps one
 * Pool per origin) whose sockets connect only to addresses the policy allows, a timeout over the whole
 * exchange, no redirects followed, and at most 4 KB of any answer read.
 *
 * The address check runs in the socket's `lookup`, so on every new connection: a reused connection stays on
 * the address checked when it was opened (a name that now resolves elsewhere reaches the new address only
 * through a new, checked connection). IP literals never reach the lookup: `post` checks them every time.
 */
export function createWebhookClient(opts: {
  policy: PrivateAddressPolicy;
  timeoutMs: number;
  /** Kept-alive connections per endpoint origin (at least the per-endpoint in-flight limit). */
  connectionsPerEndpoint?: number;
}) {
  const dispatcher = new Agent({
    connect: { lookup: guardedLookup(opts.policy), timeout: opts.timeoutMs },
    connections: Math.max(8, opts.connectionsPerEndpoint ?? 0),
    keepAliveTimeout: 10_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });

  async function post(p: WebhookPost): Promise<PostResult> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    // IP literals never reach the lookup: check them (and the scheme) here, at every attempt.
    const check = checkWebhookUrl(p.url, { livemode: p.livemode, policy: opts.policy });
    if (!check.ok) return { result: { error: check.message }, responseBody: null, latencyMs: latency() };
    try {
      const res = await fetch(p.url, {
        method: 'POST',
        headers: p.headers,
        body: p.body,
        redirect: 'manual',
        dispatcher,
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const responseBody = await readPrefix(
        res.body as ReadableStream<Uint8Array> | null,
        RESPONSE_BODY_LIMIT,
      );
      return { result: { status: res.status }, responseBody, latencyMs: latency() };
    } catch (err) {
      return { result: { error: describe(err, opts.timeoutMs) }, responseBody: null, latencyMs: latency() };
    }
  }

  return { post, timeoutMs: opts.timeoutMs, close: () => dispatcher.close() };
}

export type WebhookClient = ReturnType<typeof createWebhookClient>;

/** Reads at most `limit` bytes of a body, then cancels the rest (a 10 MB answer costs 4 KB). */
async function readPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string | null> {
  if (!body) return null;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  return bytes.toString('utf8');
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: unknown };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  // undici wraps socket errors in `TypeError: fetch failed` with the reason as `cause`.
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 4; depth++) {
    const c = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (cur instanceof RefusedAddressError) return cur.message;
    if (typeof c.code === 'string' && c.code !== 'UND_ERR') {
      return `${c.code}${typeof c.message === 'string' ? `: ${c.message}` : ''}`.slice(0, 500);
    }
    if (!c.cause) break;
    cur = c.cause;
  }
  return String(e?.message ?? err).slice(0, 500);
}
