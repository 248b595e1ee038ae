import { newKey } from './http.ts';
import type { StorageLike } from './storage.ts';

export type FunnelEventType =
  | 'page_viewed'
  | 'product_viewed'
  | 'product_added'
  | 'cart_viewed'
  | 'checkout_started'
  | 'order_completed';

export interface FunnelEventProps {
  path?: string;
  product_id?: string;
  variant_id?: string;
  quantity?: number;
  order_id?: string;
  /** Minor units. */
  value?: number;
  currency?: string;
}

export interface Track {
  (type: FunnelEventType, props?: FunnelEventProps): void;
  /** Sends what is queued now (by `navigator.sendBeacon` when `beacon`, which survives the page closing). */
  flush(o?: { beacon?: boolean }): Promise<void>;
}

const MAX_EVENTS = 50;
const MAX_BYTES = 32 * 1024;
const FLUSH_MS = 2000;

/**
 * Funnel events, batched: sent every two seconds or fifty events, and with `sendBeacon` when the page is
 * hidden. The key travels in the body so a beacon (`text/plain`, no preflight) carries it. Never throws: a
 * lost analytics batch must not break a purchase.
 */
export function createTracker(deps: {
  key: string;
  baseUrl: string;
  fetch: typeof fetch;
  storage: StorageLike;
  storageKey: string;
}): Track {
  const url = `${deps.baseUrl.replace(/\/+$/, '')}/v1/analytics/events`;
  const sidKey = `${deps.storageKey}:sid`;
  let sessionId = deps.storage.getItem(sidKey);
  if (!sessionId) {
    sessionId = newKey();
    deps.storage.setItem(sidKey, sessionId);
  }
  let queue: Array<Record<string, unknown>> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const g = globalThis as {
    location?: { pathname: string };
    navigator?: { sendBeacon?(url: string, data: Blob): boolean };
    addEventListener?(type: string, fn: () => void): void;
  };

  function batches(): string[] {
    const out: string[] = [];
    while (queue.length) {
      let n = Math.min(queue.length, MAX_EVENTS);
      let body: string;
      for (;;) {
        body = JSON.stringify({ key: deps.key, session_id: sessionId, events: queue.slice(0, n) });
        if (body.length <= MAX_BYTES || n === 1) break;
        n = Math.ceil(n / 2);
      }
      queue = queue.slice(n);
      out.push(body);
    }
    return out;
  }

  const flush: Track['flush'] = async (o = {}) => {
    clearTimeout(timer);
    timer = undefined;
    for (const body of batches()) {
      if (o.beacon && g.navigator?.sendBeacon?.(url, new Blob([body], { type: 'text/plain' }))) continue;
      try {
        await deps.fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          keepalive: true,
        });
      } catch {
        // Analytics is best effort.
      }
    }
  };

  g.addEventListener?.('pagehide', () => void flush({ beacon: true }));

  const track = ((type, props = {}) => {
    queue.push({ type, occurred_at: new Date().toISOString(), path: g.location?.pathname, ...props });
    if (queue.length >= MAX_EVENTS) void flush();
    else timer ??= setTimeout(() => void flush(), FLUSH_MS);
  }) as Track;
  track.flush = flush;
  return track;
}
