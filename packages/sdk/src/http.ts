import { type ApiErrorBody, CrowdstartError } from './errors.ts';

/** Options every SDK method takes. */
export interface CallOptions {
  /** Aborts the call, including its waits between retries. */
  signal?: AbortSignal;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface ApiRequest extends CallOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query | undefined;
  body?: unknown;
  headers?: Record<string, string | undefined>;
  /** Makes a mutating request retry-safe: the same key is sent on every retry of this request. */
  idempotencyKey?: string | undefined;
}

export interface TransportOptions {
  /** The bearer token, or a function giving the current one (a staff access token that is refreshed). */
  key: string | (() => string);
  baseUrl: string;
  fetch: typeof fetch;
  maxRetries: number;
}

export type Send = <T>(r: ApiRequest) => Promise<T>;

const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8000;

/**
 * A random, unguessable key (128 bits, hex). `getRandomValues`, not `randomUUID`: browsers offer the latter only
 * to secure contexts, and a shop may still be served over plain HTTP.
 */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Exponential backoff with full jitter, or the server's `Retry-After` (seconds) when it gives one. */
export function retryDelay(attempt: number, retryAfter?: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  return Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
}

const aborted = (signal: AbortSignal | undefined, cause?: unknown) =>
  new CrowdstartError(
    0,
    { code: 'ABORTED', type: 'aborted', message: 'The request was aborted.' },
    undefined,
    {
      cause: cause ?? signal?.reason,
    },
  );

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends API requests: the key, JSON bodies, typed errors, and retries with backoff where a retry cannot
 * repeat an effect — reads, requests with an Idempotency-Key, and 429s (refused before anything happened).
 */
export function createTransport(o: TransportOptions): Send {
  const base = o.baseUrl.replace(/\/+$/, '');
  return async function send<T>(r: ApiRequest): Promise<T> {
    let url = base + r.path;
    if (r.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(r.query)) if (v !== undefined && v !== null) q.set(k, String(v));
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    const key = typeof o.key === 'function' ? o.key() : o.key;
    const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) headers[k] = v;
    if (r.idempotencyKey) headers['Idempotency-Key'] = r.idempotencyKey;
    let body: string | undefined;
    if (r.body !== undefined) {
      body = JSON.stringify(r.body);
      headers['Content-Type'] = 'application/json';
    }
    const safe = r.method === 'GET' || r.method === 'HEAD' || !!r.idempotencyKey;

    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < o.maxRetries;
      let res: Response;
      try {
        res = await o.fetch(url, { method: r.method, headers, body, signal: r.signal });
      } catch (e) {
        if (r.signal?.aborted) throw aborted(r.signal, e);
        if (safe && canRetry) {
          await sleep(retryDelay(attempt), r.signal);
          continue;
        }
        throw new CrowdstartError(
          0,
          { code: 'NETWORK_ERROR', type: 'connection_error', message: 'The store could not be reached.' },
          undefined,
          { cause: e },
        );
      }
      const requestId = res.headers.get('x-request-id') ?? undefined;
      if (res.ok) {
        if (res.status === 204 || r.method === 'HEAD') return undefined as T;
        try {
          return (await res.json()) as T;
        } catch (e) {
          if (r.signal?.aborted) throw aborted(r.signal, e);
          throw e;
        }
      }
      let error: ApiErrorBody = {};
      try {
        error = ((await res.json()) as { error?: ApiErrorBody }).error ?? {};
      } catch {
        // Not the API's JSON (a proxy's error page): keep the status.
      }
      const retryable =
        res.status === 429 ||
        (safe && res.status >= 500) ||
        (!!r.idempotencyKey && error.code === 'IDEMPOTENCY_KEY_IN_USE');
      if (retryable && canRetry) {
        await sleep(retryDelay(attempt, res.headers.get('retry-after')), r.signal);
        continue;
      }
      throw new CrowdstartError(res.status, error, requestId);
    }
  };
}
