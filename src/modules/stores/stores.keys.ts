import { and, inArray, isNotNull } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../shared/clock.ts';
import { type Executor, isDatabaseUnavailable } from '../../shared/db.ts';
import type { AuthContext } from '../../shared/http/env.ts';
import type { Logger } from '../../shared/logger.ts';
import { apiKey } from './stores.tables.ts';

export const KEY_REVOCATION_CHANNEL = 'crowdstart:api-key-revocations';

/** How long a resolved key is trusted without asking the database again (revocations are pushed sooner). */
export const KEY_TTL_MS = 60_000;
/** Unknown keys are remembered briefly, so a flood of bad keys costs one lookup each per few seconds. */
const UNKNOWN_KEY_TTL_MS = 5_000;
/** With Redis pushing revocations, the database poll is only a safety net. */
const POLL_WITH_REDIS_FACTOR = 20;

interface Entry {
  auth: AuthContext | null;
  at: number;
}

/**
 * Resolved API keys in memory, keyed by the presented key (a cached request costs a map lookup, not a
 * SHA-256). Entries are fresh for a minute; past that the database is asked again, and while it is
 * unreachable the last answer stands (stale but known), so storefront reads the catalog cache can answer
 * keep working through a database outage.
 *
 * Revocation reaches every process within about a second: the revoking process drops the key at once and
 * announces it on Redis when configured; every process also polls `api_key.revoked_at` for the key ids it
 * holds (primary-key lookups, no index needed), every `pollMs` without Redis, as a safety net with it.
 */
export function createKeyCache(deps: {
  db: Executor;
  clock: Clock;
  logger: Logger;
  redis: Redis | null;
  pollMs: number;
  lookup: (key: string) => Promise<AuthContext | null>;
}) {
  const { db, clock, logger } = deps;
  const entries = new LRUCache<string, Entry>({ max: 10_000 });
  /** key id → presented keys cached for it (a key id has one presented key, but the map costs nothing). */
  const byKeyId = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let subscriber: Redis | null = null;
  let subscribed = false;
  let lastErrorLog = 0;

  const fresh = (e: Entry, now: number) => now - e.at < (e.auth ? KEY_TTL_MS : UNKNOWN_KEY_TTL_MS);

  function put(key: string, auth: AuthContext | null) {
    entries.set(key, { auth, at: clock.now().getTime() });
    if (auth) {
      const keys = byKeyId.get(auth.keyId) ?? new Set<string>();
      keys.add(key);
      byKeyId.set(auth.keyId, keys);
    }
  }

  function drop(keyIds: Iterable<string>) {
    for (const id of keyIds) {
      for (const key of byKeyId.get(id) ?? []) entries.delete(key);
      byKeyId.delete(id);
    }
  }

  async function pollOnce(): Promise<number> {
    // Forget key ids whose entries the LRU evicted.
    for (const [id, keys] of byKeyId) {
      for (const k of keys) if (!entries.has(k)) keys.delete(k);
      if (keys.size === 0) byKeyId.delete(id);
    }
    const ids = [...byKeyId.keys()];
    if (ids.length === 0) return 0;
    const revoked = await db
      .select({ id: apiKey.id })
      .from(apiKey)
      .where(and(inArray(apiKey.id, ids), isNotNull(apiKey.revokedAt)));
    drop(revoked.map((r) => r.id));
    return revoked.length;
  }

  function schedule() {
    if (stopped) return;
    const every = subscribed ? deps.pollMs * POLL_WITH_REDIS_FACTOR : deps.pollMs;
    timer = setTimeout(() => {
      running = pollOnce()
        .catch((err) => {
          if (Date.now() - lastErrorLog > 30_000) {
            lastErrorLog = Date.now();
            logger.warn({ err }, 'api key revocation poll failed; retrying');
          }
        })
        .finally(() => {
          running = null;
          schedule();
        });
    }, every);
    timer.unref();
  }

  return {
    /** The cached answer, fresh only; undefined when not cached or due for a refresh. */
    peek(key: string): AuthContext | null | undefined {
      const e = entries.get(key);
      return e && fresh(e, clock.now().getTime()) ? e.auth : undefined;
    },

    async resolve(key: string): Promise<AuthContext | null> {
      const e = entries.get(key);
      if (e && fresh(e, clock.now().getTime())) return e.auth;
      let auth: AuthContext | null;
      try {
        auth = await deps.lookup(key);
      } catch (err) {
        // Serve the last known answer through a database outage; revocations still drop it.
        if (e && isDatabaseUnavailable(err)) return e.auth;
        throw err;
      }
      put(key, auth);
      return auth;
    },

    /** A key was revoked here: drop it at once and tell the other processes. */
    revoked(keyId: string): void {
      drop([keyId]);
      if (deps.redis) {
        deps.redis
          .publish(KEY_REVOCATION_CHANNEL, keyId)
          .catch((err) => logger.debug({ err }, 'key revocation publish failed; other processes will poll'));
      }
    },

    /** Polls for revocations once, now (tests). */
    poll: () => pollOnce(),

    async start() {
      if (!stopped) return;
      stopped = false;
      if (deps.redis) {
        const sub = deps.redis.duplicate();
        subscriber = sub;
        sub.on('error', (err) => logger.debug({ err }, 'key revocation subscriber error'));
        sub.on('message', (channel: string, message: string) => {
          if (channel === KEY_REVOCATION_CHANNEL && message) drop([message]);
        });
        try {
          await sub.subscribe(KEY_REVOCATION_CHANNEL);
          subscribed = true;
        } catch (err) {
          logger.warn({ err }, 'key revocation subscription failed; relying on polling');
        }
      }
      schedule();
    },

    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running.catch(() => undefined);
      subscribed = false;
      if (subscriber) {
        subscriber.disconnect();
        subscriber = null;
      }
    },
  };
}

export type KeyCache = ReturnType<typeof createKeyCache>;
